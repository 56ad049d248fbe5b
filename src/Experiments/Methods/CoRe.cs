using System.Text.Json.Nodes;
using Repro.Experiments.Training;
using Repro.Losses;

namespace Repro.Experiments.Methods;

/// <summary>
/// CoRe defaults (paper App. G = bash_script/train.sh, papers.md §3.1–3.2). Ablations are values: w/o CER = λ_emb 0,
/// w/o CAR = λ_attn 0, w/o rescale = RescaleStart/RescaleStop null.
/// </summary>
public sealed record CoReConfig
{
    /// <summary>The CoRe scripts pass --seed 2147483647.</summary>
    public ConceptSettings Concept { get; init; } = new() { Seed = 2147483647 };
    public string Prompt { get; init; } = "a photo of a {}";

    /// <summary>core_reg_animate.txt or core_reg_inanimate.txt (by concept type), or any file of "{}" templates.</summary>
    public string RegularizationPrompts { get; init; } = "core_reg_inanimate.txt";

    public int Stage1Steps { get; init; } = 300;
    public double Stage1LearningRate { get; init; } = 5e-3;
    public int Stage1BatchSize { get; init; } = 6;
    public double LambdaEmbedding { get; init; } = 1.5e-4;
    public double LambdaAttention { get; init; } = 0.05;
    public int? RescaleStart { get; init; } = 120;
    public int? RescaleStop { get; init; } = 180;
    public int Stage2Steps { get; init; } = 1000;
    public double Stage2LearningRate { get; init; } = 2e-6;
    public int Stage2BatchSize { get; init; } = 4;

    /// <summary>Official (code) or Paper forms of Eqs. 3–4.</summary>
    public Form Form { get; init; } = Form.Official;
}

// CoRe (Wu et al., arXiv 2408.15914) §3: learn S* with Context Regularization (Eqs. 3, 4) and embedding rescaling (Eq. 6),
// then fine-tune the UNet for identity with the embedding frozen.
/// <summary>Stage 1 (embedding + CER + CAR + rescale), stage 2 (full UNet from the base UNet, diffusion loss only).</summary>
public static class CoRe
{
    public const string Name = "core";

    public static JsonObject Run(CoReConfig c, Action<string> log) => TrainingRun.Execute(Name, c, c.Concept, log, run => Train(run, c));

    internal static void Train(TrainingRun run, CoReConfig c)
    {
        string prompt = run.Prompt(c.Prompt);
        run.Train(new Stage("stage1-embedding", TrainableSet.Embedding, c.Stage1Steps, c.Stage1LearningRate, c.Stage1BatchSize, prompt)
        {
            Context = Regularizers(c.LambdaEmbedding, c.LambdaAttention, PromptTemplates.ReadFile(c.RegularizationPrompts), c.Form),
            Rescale = c.RescaleStart is { } start && c.RescaleStop is { } stop ? new RescaleWindow(start, stop) : null,
        });
        run.Train(new Stage("stage2-unet", TrainableSet.UNet, c.Stage2Steps, c.Stage2LearningRate, c.Stage2BatchSize, prompt));
    }

    /// <summary>CER and CAR with their weights (a term with λ 0 is left out).</summary>
    internal static ContextRegularizers? Regularizers(double lambdaEmbedding, double lambdaAttention, IReadOnlyList<string> templates, Form form) =>
        lambdaEmbedding == 0 && lambdaAttention == 0
            ? null
            : new ContextRegularizers(lambdaEmbedding == 0 ? null : new CoReEq3ContextEmbedding(lambdaEmbedding, form),
                                      lambdaAttention == 0 ? null : new CoReEq4ContextAttention(lambdaAttention, form), templates);
}
