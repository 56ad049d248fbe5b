using System.Text.Json.Nodes;
using Repro.Experiments.Training;

namespace Repro.Experiments.Methods;

/// <summary>TI+DB baseline of AttnDreamBooth (App. A, §4.1): joint tuning, 660 steps (= 60 + 100 + 500), lr 2e-6, batch 8, no prior loss.</summary>
public sealed record TextualInversionDreamBoothConfig
{
    public ConceptSettings Concept { get; init; } = new();
    public string Prompt { get; init; } = "a photo of a {} {category}";
    public int Steps { get; init; } = 660;
    public double LearningRate { get; init; } = 2e-6;
    public int BatchSize { get; init; } = 8;
}

// AttnDreamBooth (Pang et al., NeurIPS 2024) §4.1 / App. A: "TI+DB" optimizes the text embedding and the UNet together.
/// <summary>One stage: embedding and UNet in one optimizer, plain diffusion loss.</summary>
public static class TextualInversionDreamBooth
{
    public const string Name = "ti-db";

    public static JsonObject Run(TextualInversionDreamBoothConfig c, Action<string> log) => TrainingRun.Execute(Name, c, c.Concept, log, run => Train(run, c));

    internal static void Train(TrainingRun run, TextualInversionDreamBoothConfig c) =>
        run.Train(new Stage("joint", TrainableSet.EmbeddingAndUNet, c.Steps, c.LearningRate, c.BatchSize, run.Prompt(c.Prompt)));
}
