using System.Text.Json.Nodes;
using Repro.Experiments.Training;
using Repro.Losses;

namespace Repro.Experiments.Methods;

/// <summary>One ADB stage's schedule and its Eq. 2 weights.</summary>
public sealed record AttnDreamBoothStage(int Steps, double LearningRate, int BatchSize, double LambdaMean, double LambdaVariance);

/// <summary>
/// AttnDreamBooth defaults (paper §5.1 = bash_script/train_attndreambooth.sh, papers.md §2.2). Ablations are values:
/// w/o stage k = Stage k with 0 steps; w/o Reg = all λ 0; fast = Stage 3 (200 steps, lr 1e-5, batch 4).
/// </summary>
public sealed record AttnDreamBoothConfig
{
    public ConceptSettings Concept { get; init; } = new();
    public string Prompt { get; init; } = "a photo of a {} {category}";
    public AttnDreamBoothStage Stage1 { get; init; } = new(60, 1e-3, 8, 0.1, 0);
    public AttnDreamBoothStage Stage2 { get; init; } = new(100, 2e-5, 8, 2, 5);
    public AttnDreamBoothStage Stage3 { get; init; } = new(500, 2e-6, 8, 2, 5);

    /// <summary>Official (per-layer statistics, batch sum) or Paper (pooled over the 16 maps, batch mean) Eq. 2.</summary>
    public Form Form { get; init; } = Form.Official;
}

// AttnDreamBooth (Pang et al., NeurIPS 2024) §4: learn the embedding alignment (stage 1), the attention map (stage 2),
// then the subject identity (stage 3), each with the cross-attention map regularizer of Eq. 2 (§4.3).
/// <summary>Three stages composed in order; each hands its embedding / UNet on through the shared models.</summary>
public static class AttnDreamBooth
{
    public const string Name = "attndreambooth";

    public static JsonObject Run(AttnDreamBoothConfig c, Action<string> log) => TrainingRun.Execute(Name, c, c.Concept, log, run => Train(run, c));

    internal static void Train(TrainingRun run, AttnDreamBoothConfig c)
    {
        string prompt = run.Prompt(c.Prompt);
        // Stage 1 (§4.1): the [V] embedding only, UNet frozen; the regularizer keeps [V]'s attention like the category's.
        run.Train(StageOf("stage1-embedding", TrainableSet.Embedding, c.Stage1, prompt, c.Form));
        // Stage 2 (§4.2): the attn2 layers (to_q, to_k, to_v, to_out) with the learned embedding frozen.
        run.Train(StageOf("stage2-cross-attention", TrainableSet.CrossAttention, c.Stage2, prompt, c.Form));
        // Stage 3 (§4.2): the whole UNet from the stage-2 UNet, small lr.
        run.Train(StageOf("stage3-unet", TrainableSet.UNet, c.Stage3, prompt, c.Form));
    }

    private static Stage StageOf(string name, TrainableSet set, AttnDreamBoothStage s, string prompt, Form form) =>
        new(name, set, s.Steps, s.LearningRate, s.BatchSize, prompt)
        {
            AttentionRegularizer = s.LambdaMean == 0 && s.LambdaVariance == 0 ? null : new AttnDreamBoothEq2(s.LambdaMean, s.LambdaVariance, form),
        };
}
