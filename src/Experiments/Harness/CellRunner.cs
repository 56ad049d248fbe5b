using Repro.Model.IO;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Repro.Experiments.Evaluation;
using Repro.Experiments.Methods;
using Repro.Experiments.Prompts;
using Repro.Experiments.Sampling;

namespace Repro.Experiments.Harness;

/// <summary>One scored image of a cell.</summary>
public sealed record CellScore(int Prompt, string Image, double ClipT, double ClipI, double Dino);

/// <summary>A finished cell: its folder, per-image scores, loss curves (stage → (step, loss)), and whether it came from the cache.</summary>
public sealed record CellResult(string Key, string Folder, IReadOnlyList<CellScore> Scores, IReadOnlyDictionary<string, IReadOnlyList<(int Step, double Loss)>> Losses,
                                bool Hit, double Seconds);

/// <summary>
/// Runs a cell in its content-addressed folder (&lt;cache&gt;/cells/&lt;key&gt;): train (resumable) → sample → score →
/// manifest.json. The manifest is written last and atomically: it marks the cell finished. A per-cell lock keeps two
/// runs (or two array tasks) from working on one cell; the second one waits, then finds it finished.
/// </summary>
public static class CellRunner
{
    public const string ManifestFile = "manifest.json";

    public static string FolderOf(string cacheDir, string key) => Path.Combine(cacheDir, "cells", key);

    public static CellResult? TryLoad(string cacheDir, string key)
    {
        string manifest = Path.Combine(FolderOf(cacheDir, key), ManifestFile);
        return File.Exists(manifest) ? Load(manifest, hit: true) : null;
    }

    public static CellResult Run(PlannedCell cell, HarnessEnvironment env, Evaluator evaluator, Action<string> log)
    {
        string key = cell.Spec.Key, dir = FolderOf(env.CacheDir, key);
        using var held = FileLock.Acquire(dir + ".lock", log);
        if (TryLoad(env.CacheDir, key) is { } done) return done;
        var watch = Stopwatch.StartNew();
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(Path.Combine(dir, "spec.json"), JsonNode.Parse(cell.Spec.Canonical())!.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        string train = Path.Combine(dir, "train");
        MethodPresets.Run(cell.Spec.Preset, cell.RunConfig(train, env.Options.Device), log);

        var prompts = PromptSet.Load(cell.PromptPath).Take(cell.Spec.Protocol.Prompts).ToList();
        string samples = Path.Combine(dir, "samples");
        if (!File.Exists(Path.Combine(samples, "samples.json")))
        {
            string temp = samples + $".{Environment.ProcessId}.tmp";
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            var p = cell.Spec.Protocol;
            EvaluationSampler.Run(new EvaluationSampler.Settings(ConceptWeights.FromRun(train, null, null, null), prompts.Select(t => t.Template).ToList(), p.Mention, temp)
            {
                ImagesPerPrompt = p.ImagesPerPrompt, BatchSize = Math.Min(8, p.ImagesPerPrompt), Steps = p.SamplingSteps, GuidanceScale = p.GuidanceScale,
                Seed = cell.Spec.Seed, Device = env.Options.Device,
            }, log);
            if (Directory.Exists(samples)) Directory.Delete(samples, recursive: true);
            Directory.Move(temp, samples);
        }

        var generated = EvaluationSampler.Outputs(samples).Select(o => new GeneratedImage("cell", cell.Spec.Concept, o.Prompt, o.Path, null)).ToList();
        var real = EvaluationLayout.ImagesIn(Path.Combine(env.DataDir, cell.Spec.Concept)).Select(f => new EvalImage(f, null)).ToList();
        if (real.Count == 0) throw new FileNotFoundException($"{Path.Combine(env.DataDir, cell.Spec.Concept)}: no real images");
        var layout = new EvaluationLayout(generated, new Dictionary<string, IReadOnlyList<EvalImage>> { [cell.Spec.Concept] = real });
        var categories = new ConceptCategories(new Dictionary<string, string> { [cell.Spec.Concept] = cell.Spec.Category });
        var scores = evaluator.Score(layout, prompts, categories)
            .Select(s => new CellScore(s.PromptIndex, Path.GetRelativePath(dir, s.Image), s.ClipT, s.ClipI, s.Dino)).ToList();

        CsvFiles.Write(Path.Combine(dir, "scores.csv"), new[] { new[] { "prompt_index", "image", "clip_t", "clip_i", "dino" } }
            .Concat(scores.Select(s => new[] { s.Prompt.ToString(System.Globalization.CultureInfo.InvariantCulture), s.Image, CsvFiles.Number(s.ClipT), CsvFiles.Number(s.ClipI), CsvFiles.Number(s.Dino) })));
        var manifest = new JsonObject
        {
            ["key"] = key, ["preset"] = cell.Spec.Preset, ["concept"] = cell.Spec.Concept, ["seed"] = cell.Spec.Seed, ["seconds"] = watch.Elapsed.TotalSeconds,
            ["finished_utc"] = DateTime.UtcNow.ToString("O"), ["host"] = Environment.MachineName, ["slurm_job"] = SlurmJob(),
            ["losses"] = new JsonArray(Directory.GetFiles(train, "loss.csv", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                                              .Select(f => (JsonNode)Path.GetRelativePath(dir, f)).ToArray()),
            ["scores"] = JsonSerializer.SerializeToNode(scores.Select(s => new JsonObject
            {
                ["prompt"] = s.Prompt, ["image"] = s.Image, ["clip_t"] = Num(s.ClipT), ["clip_i"] = Num(s.ClipI), ["dino"] = Num(s.Dino),
            }).ToList()),
        };
        AtomicFile.WriteAllText(Path.Combine(dir, ManifestFile), manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return Load(Path.Combine(dir, ManifestFile), hit: false);
    }

    /// <summary>The Slurm job (array job_task, or job id) this process runs in, for provenance; null outside Slurm.</summary>
    private static string? SlurmJob() =>
        Environment.GetEnvironmentVariable("SLURM_ARRAY_JOB_ID") is { Length: > 0 } array
            ? $"{array}_{Environment.GetEnvironmentVariable("SLURM_ARRAY_TASK_ID")}"
            : Environment.GetEnvironmentVariable("SLURM_JOB_ID") is { Length: > 0 } job ? job : null;

    private static JsonNode? Num(double v) => double.IsNaN(v) ? null : JsonValue.Create(v);

    private static CellResult Load(string manifestPath, bool hit)
    {
        string dir = Path.GetDirectoryName(manifestPath)!;
        var m = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        double Get(JsonNode s, string k) => s[k] is { } v ? v.GetValue<double>() : double.NaN;
        var scores = m["scores"]!.AsArray().Select(s => new CellScore(s!["prompt"]!.GetValue<int>(), s["image"]!.GetValue<string>(),
                                                                        Get(s, "clip_t"), Get(s, "clip_i"), Get(s, "dino"))).ToList();
        var losses = new Dictionary<string, IReadOnlyList<(int, double)>>();
        foreach (var rel in m["losses"]!.AsArray().Select(n => n!.GetValue<string>()))
            losses[Path.GetFileName(Path.GetDirectoryName(rel)!)] = LossCurve.Read(Path.Combine(dir, rel));
        return new CellResult(m["key"]!.GetValue<string>(), dir, scores, losses, hit, m["seconds"]!.GetValue<double>());
    }
}

/// <summary>Reads a stage's loss.csv (step, lr, terms..., total, diagnostics) into (step, total loss).</summary>
public static class LossCurve
{
    public static IReadOnlyList<(int Step, double Loss)> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) return [];
        var header = lines[0].Split(',');
        int column = Array.IndexOf(header, "total") is var t and >= 0 ? t : Array.IndexOf(header, "loss") is var l and >= 0 ? l : 2;
        return lines.Skip(1).Select(line => line.Split(',')).Where(f => f.Length > column)
                    .Select(f => (int.Parse(f[0], System.Globalization.CultureInfo.InvariantCulture), CsvFiles.Parse(f[column]))).ToList();
    }
}
