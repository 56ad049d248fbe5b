using System.Diagnostics;
using System.Text.Json.Nodes;
using Repro.Experiments.Training;
using Repro.Model.Pipeline;

namespace Repro.Experiments.Sampling;

/// <summary>
/// Evaluation sampling as the official inference.py: DPM-Solver++ 50 steps, CFG 7.5, the generator re-seeded with the
/// same seed before every prompt, N images per prompt in batches. Writes &lt;out&gt;/&lt;NNN&gt;_&lt;slug&gt;/&lt;k&gt;.png
/// and samples.json (prompt → files).
/// </summary>
public static class EvaluationSampler
{
    public sealed record Settings(ConceptWeights Weights, IReadOnlyList<string> Templates, string? Category, string Output)
    {
        public int ImagesPerPrompt { get; init; } = 16;
        public int BatchSize { get; init; } = 8;
        public int Steps { get; init; } = 50;
        public double GuidanceScale { get; init; } = 7.5;
        public long Seed { get; init; }
        public string? Device { get; init; }
    }

    public static JsonObject Run(Settings s, Action<string> log)
    {
        var (pipeline, token) = PersonalizedPipeline.Load(s.Weights, s.Device);
        using var _ = pipeline;
        var index = new JsonObject();
        var watch = Stopwatch.StartNew();
        var progress = new Progress("sample", s.Templates.Count, log);
        for (int p = 0; p < s.Templates.Count; p++)
        {
            string prompt = PersonalizedPipeline.Format(s.Templates[p], token, s.Category);
            // One Generate call per prompt: its generator is seeded with the seed (the official re-seeding per prompt).
            using var images = pipeline.Generate([prompt], new GenerationOptions
            {
                Steps = s.Steps, GuidanceScale = s.GuidanceScale, ImagesPerPrompt = s.ImagesPerPrompt, Seed = s.Seed, BatchSize = s.BatchSize,
            });
            string folder = Path.Combine(s.Output, $"{p:D3}_{Slug(s.Templates[p])}");
            var files = new JsonArray();
            for (int k = 0; k < s.ImagesPerPrompt; k++)
            {
                string file = Path.Combine(folder, $"{k:D3}.png");
                ImageIO.SavePng(images[k], file);
                files.Add(Path.GetRelativePath(s.Output, file));
            }
            index[prompt] = files;
            progress.Report(p + 1, new Dictionary<string, double>(), 0);
        }
        var result = new JsonObject { ["template_count"] = s.Templates.Count, ["images_per_prompt"] = s.ImagesPerPrompt, ["steps"] = s.Steps,
                                      ["guidance_scale"] = s.GuidanceScale, ["seed"] = s.Seed, ["seconds"] = watch.Elapsed.TotalSeconds, ["prompts"] = index };
        TrainingOutputs.WriteJson(Path.Combine(s.Output, "samples.json"), result);
        log($"Wrote {s.Templates.Count * s.ImagesPerPrompt} image(s) to {Path.GetFullPath(s.Output)}.");
        return result;
    }

    /// <summary>The images <see cref="Run"/> wrote to <paramref name="output"/>: (prompt index from the NNN_ folder name, file), in order.</summary>
    public static List<(int Prompt, string Path)> Outputs(string output) =>
        Directory.GetDirectories(output).Order(StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d, "*.png").Order(StringComparer.Ordinal)
                .Select(f => (int.Parse(System.IO.Path.GetFileName(d)[..3], System.Globalization.CultureInfo.InvariantCulture), f)))
            .ToList();

    public static string Slug(string text)
    {
        var chars = text.Replace("{}", "V", StringComparison.Ordinal).ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray();
        string slug = string.Join('-', new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
        return slug.Length > 50 ? slug[..50] : slug;
    }
}
