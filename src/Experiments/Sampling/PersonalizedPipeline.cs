using System.Text.Json.Nodes;
using Repro.Experiments.Training;
using Repro.Model.IO;
using Repro.Model.Pipeline;
using Repro.Model.Runtime;

namespace Repro.Experiments.Sampling;

/// <summary>Where a personalized model comes from: the base folder plus a learned embedding and optionally a fine-tuned unet/.</summary>
public sealed record ConceptWeights(string Model, string? Embeds, string? UNet)
{
    /// <summary>Reads the outputs of a training run's <c>run.json</c>; explicit values win over the manifest's.</summary>
    public static ConceptWeights FromRun(string? runDir, string? model, string? embeds, string? unet)
    {
        if (runDir is null)
            return new ConceptWeights(model ?? throw new ArgumentException("--model (or --run) is required"), embeds, unet);
        string path = Path.Combine(runDir, TrainingRun.ManifestFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: run manifest not found", path);
        var outputs = JsonNode.Parse(File.ReadAllText(path))?["outputs"] ?? throw new InvalidDataException($"{path}: no 'outputs'");
        return new ConceptWeights(model ?? outputs["model"]!.GetValue<string>(), embeds ?? outputs["embeds"]?.GetValue<string>(),
                                  unet ?? outputs["unet"]?.GetValue<string>());
    }
}

/// <summary>
/// The official inference.py setup: the pipeline with DPM-Solver++ (diffusers defaults), the learned token added to the
/// tokenizer and its row set in the token table, the UNet weights of the stage checkpoint.
/// </summary>
public static class PersonalizedPipeline
{
    /// <summary>Loads the pipeline; returns it with the learned token (null without an embedding).</summary>
    public static (StableDiffusionPipeline Pipeline, string? Token) Load(ConceptWeights weights, string? device, string sampler = "DPMSolverMultistepScheduler")
    {
        var pipeline = StableDiffusionPipeline.FromPretrained(weights.Model, TorchDevice.Resolve(device), sampler);
        try
        {
            string? token = null;
            if (weights.Embeds is { } embeds)
            {
                var (name, vector) = TrainingOutputs.LoadEmbedding(embeds);
                using (vector)
                {
                    int id = pipeline.Tokenizer.AddTokens(name)[0];
                    if (id >= pipeline.TextEncoder.Config.VocabSize) pipeline.TextEncoder.ResizeTokenEmbeddings(pipeline.Tokenizer.VocabSize);
                    pipeline.TextEncoder.SetTokenEmbedding(id, vector);
                }
                token = name;
            }
            if (weights.UNet is { } unet) StateDictLoader.Load(pipeline.UNet, Path.Combine(unet, TrainingOutputs.UNetWeightsFile));
            return (pipeline, token);
        }
        catch
        {
            pipeline.Dispose();
            throw;
        }
    }

    /// <summary>inference.py's formatting: "{}" → "&lt;token&gt; &lt;category&gt;" when a category is given, else "&lt;token&gt;".</summary>
    public static string Format(string template, string? token, string? category)
    {
        string concept = token is null ? category ?? "" : category is { Length: > 0 } c ? $"{token} {c}" : token;
        return template.Replace("{}", concept, StringComparison.Ordinal);
    }
}
