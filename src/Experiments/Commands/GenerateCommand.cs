using System.Diagnostics;
using Repro.Model.Pipeline;
using Repro.Model.Runtime;

namespace Repro.Experiments.Commands;

/// <summary><c>repro generate</c>: prompts → PNG files, from a diffusers folder or the tiny random model.</summary>
public static class GenerateCommand
{
    public sealed record Settings(string? ModelDir, IReadOnlyList<string> Prompts, string OutputDir, int Steps, double GuidanceScale,
                                  int ImagesPerPrompt, long Seed, int? Height, int? Width, string Sampler, string? Device, string? Variant);

    public static readonly IReadOnlyDictionary<string, string> Samplers = new Dictionary<string, string>
    {
        ["dpm++"] = "DPMSolverMultistepScheduler",
        ["ddim"] = "DDIMScheduler",
        ["euler"] = "EulerDiscreteScheduler",
        ["ddpm"] = "DDPMScheduler",
    };

    public static IReadOnlyList<string> Run(Settings s, Action<string> log)
    {
        if (!Samplers.TryGetValue(s.Sampler, out string? schedulerClass))
            throw new ArgumentException($"unknown sampler '{s.Sampler}' (choose {string.Join(", ", Samplers.Keys)})");
        string model = s.ModelDir ?? TinyRandomModel.EnsureWritten(Path.Combine(s.OutputDir, ".tiny-random-sd"));
        if (s.ModelDir is null) log($"No --model given: using a tiny randomly initialised Stable Diffusion at {model} (images are noise-like).");
        var device = TorchDevice.Resolve(s.Device);
        using var pipeline = StableDiffusionPipeline.FromPretrained(model, device, schedulerClass, s.Variant);
        var options = new GenerationOptions
        {
            Steps = s.Steps, GuidanceScale = s.GuidanceScale, ImagesPerPrompt = s.ImagesPerPrompt, Seed = s.Seed,
            Height = s.Height, Width = s.Width,
        };
        var watch = Stopwatch.StartNew();
        int total = s.Steps;
        int done = 0;
        using var images = pipeline.Generate(s.Prompts, options, step =>
        {
            done++;
            double rate = done / Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
            log($"step {step.Index + 1}/{s.Steps} t={step.Timestep:0.###}  {rate:F2} steps/s  ETA {TimeSpan.FromSeconds((total - done) / rate):mm\\:ss}");
        });
        var written = new List<string>();
        for (int p = 0; p < s.Prompts.Count; p++)
        for (int k = 0; k < s.ImagesPerPrompt; k++)
        {
            string path = Path.Combine(s.OutputDir, $"{p:D3}_{Slug(s.Prompts[p])}_{k}.png");
            ImageIO.SavePng(images[p * s.ImagesPerPrompt + k], path);
            written.Add(path);
        }
        log($"Wrote {written.Count} image(s) to {Path.GetFullPath(s.OutputDir)} in {watch.Elapsed.TotalSeconds:F1} s.");
        return written;
    }

    private static string Slug(string prompt)
    {
        var chars = prompt.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray();
        string slug = string.Join('-', new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
        return slug.Length > 60 ? slug[..60] : slug;
    }
}
