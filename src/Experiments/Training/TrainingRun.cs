using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Repro.Experiments.Diagnostics;
using Repro.Model.Pipeline;
using Repro.Model.Runtime;
using TorchSharp;

namespace Repro.Experiments.Training;

/// <summary>Test seams passed to every stage of a run.</summary>
internal sealed record RunHooks(Func<int, string, torch.Tensor, torch.Tensor>? TermHook = null, string? StopInStage = null, int? StopAfterStep = null);

/// <summary>
/// One personalization run: loads the models and the concept images once, trains the stages a method composes (each in
/// its own folder <c>&lt;out&gt;/&lt;stage&gt;/</c>, seeded from the run seed and the stage name, skipped when its step
/// count is 0, reloaded when already complete), and writes the run manifest and the final learned_embeds.safetensors.
/// </summary>
public sealed class TrainingRun : IDisposable
{
    public const string ManifestFile = "run.json";
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly List<StageResult> _results = [];
    private readonly Dictionary<string, ConceptImages> _classImages = [];
    private readonly RunHooks _hooks;
    private readonly Action<string> _log;

    private TrainingRun(string method, JsonNode config, ConceptSettings concept, TrainingModels models, ConceptImages data, Action<string> log, RunHooks hooks)
    {
        (Method, Config, Concept, Models, Data, _log, _hooks) = (method, config, concept, models, data, log, hooks);
    }

    public string Method { get; }
    public JsonNode Config { get; }
    public ConceptSettings Concept { get; }
    public TrainingModels Models { get; }
    public ConceptImages Data { get; }
    public IReadOnlyList<StageResult> Results => _results;

    /// <summary>A fine-tuned unet/ folder the run started from (CoRe TTO); the manifest names it when no stage trains the UNet.</summary>
    public string? StartingUNet { get; set; }

    /// <summary>Starts a run, lets the method train its stages, writes the manifest; returns it.</summary>
    public static JsonObject Execute(string method, object config, ConceptSettings concept, Action<string> log, Action<TrainingRun> train) =>
        Execute(method, config, concept, log, train, new RunHooks());

    internal static JsonObject Execute(string method, object config, ConceptSettings concept, Action<string> log, Action<TrainingRun> train, RunHooks hooks)
    {
        using var run = Start(method, config, concept, log, hooks);
        train(run);
        return run.Finish();
    }

    /// <summary>The prompt of a template for this run's token and category.</summary>
    public string Prompt(string template) => PromptTemplates.Fill(template, Concept.Token, Concept.Category);

    internal static TrainingRun Start(string method, object config, ConceptSettings concept, Action<string> log, RunHooks hooks)
    {
        if (string.IsNullOrWhiteSpace(concept.Model)) throw new ArgumentException("concept.model: a diffusers model folder is required");
        if (string.IsNullOrWhiteSpace(concept.Category)) throw new ArgumentException("concept.category: the super-category word is required");
        if (concept.Threads is { } threads) torch.set_num_threads(threads);
        var node = JsonSerializer.SerializeToNode(config, config.GetType(), StageRunner.Json)!;
        Directory.CreateDirectory(concept.Output);
        var models = TrainingModels.Load(concept.Model, concept.Token, concept.Category, TorchDevice.Resolve(concept.Device), concept.Precision);
        var data = ConceptImages.FromFolder(concept.InstanceDir, models.Resolution, concept.Augmentation);
        log($"{method}: {data.Files.Count} image(s) from {concept.InstanceDir}, token '{concept.Token}' (id {models.PlaceholderId}) initialised from '{concept.Category}', device {models.Device}.");
        return new TrainingRun(method, node, concept, models, data, log, hooks);
    }

    /// <summary>Trains one stage (or loads it if complete; skips it when it has 0 steps).</summary>
    public StageResult? Train(Stage stage)
    {
        if (stage.Steps <= 0)
        {
            _log($"[{stage.Name}] 0 steps: skipped.");
            return null;
        }
        var context = new StageContext(Path.Combine(Concept.Output, stage.Name), Concept.Seed + StableHash(stage.Name), Data,
                                       stage.Prior is { } prior ? ClassImagesFor(prior) : null, _log)
        {
            CheckpointEvery = Concept.CheckpointEvery, CheckpointsTotalLimit = Concept.CheckpointsTotalLimit,
            Validation = Concept.ValidationEvery > 0 ? new Validation(Concept.ValidationEvery, Concept.ValidationPrompt, Seed: Concept.Seed) : null,
            TermHook = _hooks.TermHook, StopAfterStep = _hooks.StopInStage == stage.Name ? _hooks.StopAfterStep : null,
        };
        var result = StageRunner.Run(Models, stage, context);
        _results.Add(result);
        return result;
    }

    private ConceptImages ClassImagesFor(PriorPreservation prior)
    {
        if (_classImages.TryGetValue(prior.ClassImagesDir, out var images)) return images;
        ClassImageGenerator.EnsureGenerated(Models, prior.ClassPrompt, Concept.ClassImages, prior.ClassImagesDir, Concept.Seed, Concept.ClassSamplingSteps, _log);
        return _classImages[prior.ClassImagesDir] = ConceptImages.FromFolder(prior.ClassImagesDir, Models.Resolution, Concept.Augmentation);
    }

    /// <summary>Writes the final embedding and <c>run.json</c> (config, seeds, versions, wall time, peak memory, stages, outputs).</summary>
    public JsonObject Finish()
    {
        string embeds = Path.Combine(Concept.Output, TrainingOutputs.EmbedsFile);
        Models.CommitEmbedding();
        TrainingOutputs.SaveEmbedding(embeds, Models.Token, Models.Embedding);
        var manifest = new JsonObject
        {
            ["method"] = Method,
            ["config"] = Config.DeepClone(),
            ["seed"] = Concept.Seed,
            ["stage_seeds"] = new JsonObject(_results.Select(r => KeyValuePair.Create(r.Name, (JsonNode?)(Concept.Seed + StableHash(r.Name))))),
            ["versions"] = new JsonObject
            {
                ["repro"] = typeof(TrainingRun).Assembly.GetName().Version?.ToString(),
                ["torchsharp"] = typeof(torch).Assembly.GetName().Version?.ToString(),
                ["dotnet"] = RuntimeInformation.FrameworkDescription,
                ["os"] = RuntimeInformation.OSDescription,
            },
            ["device"] = Models.Device.ToString(),
            ["threads"] = torch.get_num_threads(),
            ["wall_seconds"] = _watch.Elapsed.TotalSeconds,
            ["peak_rss_bytes"] = ProcessMemory.PeakRssBytes(),
            ["stages"] = JsonSerializer.SerializeToNode(_results, StageRunner.Json),
            ["outputs"] = new JsonObject
            {
                ["embeds"] = Path.GetFullPath(embeds),
                ["unet"] = (_results.LastOrDefault(r => r.UNet is not null)?.UNet ?? StartingUNet) is { } u ? Path.GetFullPath(u) : null,
                ["token"] = Models.Token,
                ["category"] = Concept.Category,
                ["model"] = Path.GetFullPath(Concept.Model),
            },
        };
        TrainingOutputs.WriteJson(Path.Combine(Concept.Output, ManifestFile), manifest);
        _log($"{Method}: done in {_watch.Elapsed.TotalSeconds:F1} s; outputs in {Path.GetFullPath(Concept.Output)}.");
        return manifest;
    }

    /// <summary>FNV-1a of the stage name: stage seeds that do not depend on which stages ran before.</summary>
    public static long StableHash(string text)
    {
        ulong hash = 14695981039346656037;
        foreach (char ch in text) hash = (hash ^ ch) * 1099511628211;
        return (long)(hash % 1_000_000_007);
    }

    public void Dispose()
    {
        Models.Dispose();
        Data.Dispose();
        foreach (var images in _classImages.Values) images.Dispose();
    }
}
