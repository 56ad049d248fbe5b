using System.Text.Json.Nodes;
using Repro.Experiments.Training;
using Repro.Losses;

namespace Repro.Experiments.Methods;

/// <summary>
/// CoRe test-time optimization defaults (bash_script/test_time_optimization.sh, papers.md §3.3): 10 steps, lr 5e-4,
/// batch 6, the regularizers on the single target prompt, no diffusion term, no rescaling.
/// </summary>
public sealed record CoReTestTimeConfig
{
    /// <summary>The CoRe scripts pass --seed 2147483647.</summary>
    public ConceptSettings Concept { get; init; } = new() { Seed = 2147483647 };

    /// <summary>The target prompt with "{}" for the concept, e.g. "a {} playing the guitar".</summary>
    public string Prompt { get; init; } = "";

    /// <summary>learned_embeds.safetensors of CoRe stage 1.</summary>
    public string Embeds { get; init; } = "";

    /// <summary>The stage-2 unet/ folder ("" = the base UNet).</summary>
    public string UNet { get; init; } = "";

    public int Steps { get; init; } = 10;
    public double LearningRate { get; init; } = 5e-4;
    public int BatchSize { get; init; } = 6;
    public double LambdaEmbedding { get; init; } = 1.5e-4;
    public double LambdaAttention { get; init; } = 0.05;
    public Form Form { get; init; } = Form.Official;
}

// CoRe (arXiv 2408.15914) "Test-Time Optimization": a few steps of Eqs. 3–4 on the prompt to be generated, embedding only.
/// <summary>Loads the trained embedding and UNet, then one embedding stage whose only loss is the context regularization.</summary>
public static class CoReTestTimeOptimization
{
    public const string Name = "core-tto";

    public static JsonObject Run(CoReTestTimeConfig c, Action<string> log) => TrainingRun.Execute(Name, c, c.Concept, log, run => Train(run, c));

    internal static void Train(TrainingRun run, CoReTestTimeConfig c)
    {
        if (!c.Prompt.Contains("{}", StringComparison.Ordinal)) throw new ArgumentException($"tto prompt '{c.Prompt}' needs a '{{}}' for the concept");
        var (token, vector) = TrainingOutputs.LoadEmbedding(c.Embeds);
        if (token != run.Models.Token) throw new ArgumentException($"{c.Embeds}: holds token '{token}', the run uses '{run.Models.Token}'");
        using (vector) run.Models.SetEmbedding(vector);
        if (c.UNet.Length > 0)
        {
            Model.IO.StateDictLoader.Load(run.Models.UNet, Path.Combine(c.UNet, TrainingOutputs.UNetWeightsFile));
            run.StartingUNet = c.UNet;
        }
        run.Train(new Stage("tto", TrainableSet.Embedding, c.Steps, c.LearningRate, c.BatchSize, run.Prompt(c.Prompt))
        {
            DiffusionWeight = 0,
            Context = CoRe.Regularizers(c.LambdaEmbedding, c.LambdaAttention, [c.Prompt], c.Form),
        });
    }
}
