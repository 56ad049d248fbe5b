using System.Text.Json.Nodes;
using Repro.Experiments.Training;

namespace Repro.Experiments.Methods;

/// <summary>
/// Custom Diffusion defaults (Kumari et al., CVPR 2023, §4 "Training details": 250 steps, batch 8, lr 8e-5
/// (= 1e-5 × batch), prior preservation with 200 regularization images at λ = 1; we generate them as DreamBooth does).
/// </summary>
public sealed record CustomDiffusionConfig
{
    public ConceptSettings Concept { get; init; } = new();
    public string Prompt { get; init; } = "a photo of a {} {category}";
    public string ClassPrompt { get; init; } = "a photo of a {category}";
    public string ClassImagesDir { get; init; } = "";
    public int Steps { get; init; } = 250;
    public double LearningRate { get; init; } = 8e-5;
    public int BatchSize { get; init; } = 8;
    public double PriorLambda { get; init; } = 1.0;
}

// Custom Diffusion (Kumari et al., CVPR 2023) §3.2: only the cross-attention key/value projections W_k, W_v and the modifier token V*.
/// <summary>One stage: the placeholder row + to_k/to_v of the 16 attn2 layers, with prior preservation.</summary>
public static class CustomDiffusion
{
    public const string Name = "custom-diffusion";

    public static JsonObject Run(CustomDiffusionConfig c, Action<string> log) => TrainingRun.Execute(Name, c, c.Concept, log, run => Train(run, c));

    internal static void Train(TrainingRun run, CustomDiffusionConfig c) =>
        run.Train(new Stage("kv-embedding", TrainableSet.EmbeddingAndCrossAttentionKeyValue, c.Steps, c.LearningRate, c.BatchSize, run.Prompt(c.Prompt))
        {
            Prior = DreamBooth.Prior(run, c.PriorLambda, c.ClassImagesDir, c.ClassPrompt),
        });
}
