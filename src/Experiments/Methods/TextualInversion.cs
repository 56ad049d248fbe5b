using System.Text.Json.Nodes;
using Repro.Experiments.Training;

namespace Repro.Experiments.Methods;

/// <summary>Textual Inversion defaults (diffusers examples/textual_inversion README: 3000 steps, batch 1 × accumulation 4, lr 5e-4 × 4 = 2e-3 with scale_lr).</summary>
public sealed record TextualInversionConfig
{
    public ConceptSettings Concept { get; init; } = new();
    public string Prompt { get; init; } = "a photo of a {}";
    public int Steps { get; init; } = 3000;
    public double LearningRate { get; init; } = 2e-3;
    public int BatchSize { get; init; } = 1;
    public int GradientAccumulation { get; init; } = 4;
    public double? MaxGradNorm { get; init; }
}

// Textual Inversion (Gal et al., ICLR 2023), Eq. 2: v* = argmin_v E ||ε − ε_θ(z_t, t, c_θ(y with S* := v))||², all else frozen.
/// <summary>One stage: the placeholder embedding, trained with the diffusion loss on "a photo of a S*".</summary>
public static class TextualInversion
{
    public const string Name = "textual-inversion";

    public static JsonObject Run(TextualInversionConfig c, Action<string> log) => TrainingRun.Execute(Name, c, c.Concept, log, run => Train(run, c));

    internal static void Train(TrainingRun run, TextualInversionConfig c) =>
        run.Train(new Stage("embedding", TrainableSet.Embedding, c.Steps, c.LearningRate, c.BatchSize, run.Prompt(c.Prompt))
        {
            GradientAccumulation = c.GradientAccumulation, MaxGradNorm = c.MaxGradNorm,
        });
}
