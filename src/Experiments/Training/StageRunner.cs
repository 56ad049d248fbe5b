using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Repro.Experiments.Diagnostics;
using Repro.Losses;
using Repro.Model.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Experiments.Training;

/// <summary>A NaN or Inf loss term: the message names the stage, the step and the term.</summary>
public sealed class TrainingDivergedException(string message) : InvalidOperationException(message);

/// <summary>Where and how a stage runs: its folder, seed, data and checkpoint cadence.</summary>
public sealed record StageContext(string Folder, long Seed, ConceptImages Data, ConceptImages? ClassData, Action<string> Log)
{
    public int CheckpointEvery { get; init; } = 50;
    public int CheckpointsTotalLimit { get; init; } = 1;
    public Validation? Validation { get; init; }

    /// <summary>Test seam: rewrites a term (step, name, value) before the finiteness check, e.g. to inject a NaN.</summary>
    internal Func<int, string, Tensor, Tensor>? TermHook { get; init; }

    /// <summary>Test seam: stops the run after this step as a kill would (checkpoints already written survive).</summary>
    internal int? StopAfterStep { get; init; }
}

/// <summary>What a finished stage produced.</summary>
public sealed record StageResult(string Name, int Steps, double Seconds, double StepsPerSecond, IReadOnlyDictionary<string, double> FinalTerms,
                                 string Folder, string? Embeds, string? UNet);

/// <summary>
/// The training loop, written once: per step one dispose scope; loss terms → finiteness check → backward (with gradient
/// accumulation) → optional clipping → AdamW at lr(step) → CoRe rescale; CSV row and progress line; checkpoint every N
/// steps (weights, optimizer, RNG, resolved stage); resume from the latest checkpoint; outputs and stage.json at the end.
/// </summary>
public static class StageRunner
{
    public const string StageFile = "stage.json";
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    public static StageResult Run(TrainingModels m, Stage s, StageContext c)
    {
        Directory.CreateDirectory(c.Folder);
        if (File.Exists(Path.Combine(c.Folder, StageFile))) return LoadCompleted(m, s, c);
        var watch = Stopwatch.StartNew();
        var parameters = m.Trainable(s.Trainable);
        if (s.TrainsUNet) m.UNet.train(); else m.UNet.eval();
        using var adam = new AdamW(parameters);
        using var generator = new Generator((ulong)c.Seed);
        using var rescale = s.Rescale is { } w ? new CoReEq6EmbeddingRescale(w.Start, w.Stop) : null;
        var checkpoints = new Checkpointer(Path.Combine(c.Folder, "checkpoints"), c.CheckpointsTotalLimit);
        var lossLog = new LossLog(Path.Combine(c.Folder, "loss.csv"));
        string config = JsonSerializer.Serialize(s, Json);
        int start = checkpoints.Latest() is int latest ? Restore(checkpoints, latest, config, parameters, adam, generator, rescale, c.Log) : 0;
        lossLog.TruncateAfter(start);
        var progress = new Progress(s.Name, s.Steps, c.Log);
        var last = new Dictionary<string, double>();
        for (int step = start + 1; step <= s.Steps; step++)
        {
            double lr = s.LearningRateAt(step);
            long started = Stopwatch.GetTimestamp();
            last = TrainStep(m, s, c, adam, generator, step, lr);
            rescale?.AfterOptimizerStep(m.Embedding, step);
            var diagnostics = Diagnostics(m, s);
            diagnostics["step_seconds"] = Stopwatch.GetElapsedTime(started).TotalSeconds;
            lossLog.Append(step, lr, last, last.Values.Sum(), diagnostics);
            progress.Report(step, last, lr);
            if (c.Validation?.Due(step, s.Steps) == true) c.Validation.Run(m, s, step, c.Folder);
            if (c.CheckpointEvery > 0 && step % c.CheckpointEvery == 0 && step < s.Steps)
                checkpoints.Save(step, State(parameters, adam, generator, rescale), Meta(s, config, adam));
            if (c.StopAfterStep == step) throw new OperationCanceledException($"{s.Name}: stopped after step {step}");
        }
        var result = Finish(m, s, c, watch.Elapsed.TotalSeconds, progress.StepsPerSecond, last);
        checkpoints.DeleteAll();
        return result;
    }

    private static Dictionary<string, double> Diagnostics(TrainingModels m, Stage s)
    {
        var values = new Dictionary<string, double>();
        if (s.TrainsEmbedding)
            using (no_grad())
            using (var norm = m.Embedding.norm())
                values["embedding_norm"] = norm.item<float>();
        values["rss_mb"] = ProcessMemory.RssBytes() / 1048576.0;
        return values;
    }

    private static Dictionary<string, double> TrainStep(TrainingModels m, Stage s, StageContext c, AdamW adam, Generator generator, int step, double lr)
    {
        var values = new Dictionary<string, double>();
        using (NewDisposeScope())
        {
            adam.ZeroGrad();
            for (int micro = 0; micro < s.GradientAccumulation; micro++)
            {
                var terms = StepLosses.Compute(m, s, c.Data, c.ClassData, generator);
                Tensor? total = null;
                foreach (var (name, raw) in terms)
                {
                    var term = c.TermHook?.Invoke(step, name, raw) ?? raw;
                    float v = term.item<float>();
                    if (!float.IsFinite(v))
                        throw new TrainingDivergedException($"{s.Name}: step {step}: loss term '{name}' is {v} (run folder {c.Folder})");
                    values[name] = values.GetValueOrDefault(name) + v / s.GradientAccumulation;
                    total = total is null ? term : total + term;
                }
                if (total is null) throw new InvalidOperationException($"{s.Name}: the stage has no loss term");
                (total / s.GradientAccumulation).backward();
            }
            if (s.MaxGradNorm is { } maxNorm) adam.ClipGradNorm(maxNorm);
            adam.Step(lr);
        }
        return values;
    }

    private static IEnumerable<KeyValuePair<string, Tensor>> State(IReadOnlyList<(string Name, Parameter Parameter)> parameters, AdamW adam, Generator generator,
                                                                   CoReEq6EmbeddingRescale? rescale)
    {
        foreach (var (name, p) in parameters) yield return KeyValuePair.Create(name, (Tensor)p);
        foreach (var kv in adam.State()) yield return kv;
        yield return KeyValuePair.Create("rng", generator.get_state());
        if (rescale?.RecordedNorm is { } norm) yield return KeyValuePair.Create("rescale_norm", norm.reshape(1));
    }

    private static JsonObject Meta(Stage s, string config, AdamW adam) => new()
    {
        ["stage"] = s.Name, ["optimizer_steps"] = adam.Steps, ["config"] = JsonNode.Parse(config),
    };

    private static int Restore(Checkpointer checkpoints, int step, string config, IReadOnlyList<(string Name, Parameter Parameter)> parameters, AdamW adam,
                               Generator generator, CoReEq6EmbeddingRescale? rescale, Action<string> log)
    {
        string source = checkpoints.PathOf(step);
        var (tensors, meta) = checkpoints.Load(step);
        try
        {
            if (meta["config"]?.ToJsonString(Json) is { } saved && !JsonNode.DeepEquals(JsonNode.Parse(saved), JsonNode.Parse(config)))
                throw new InvalidOperationException($"{source}: the checkpoint was written with another stage configuration; delete the folder or restore the config");
            using (no_grad())
                foreach (var (name, p) in parameters)
                    p.copy_(tensors.TryGetValue(name, out var t) ? t : throw new InvalidDataException($"{source}: parameter '{name}' is missing"));
            adam.Restore(tensors, meta["optimizer_steps"]!.GetValue<int>(), source);
            generator.set_state(tensors["rng"]);
            rescale?.RestoreNorm(tensors.TryGetValue("rescale_norm", out var norm) ? norm.reshape([]) : null);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
        log($"Resuming from {source} (step {step}).");
        return step;
    }

    private static StageResult Finish(TrainingModels m, Stage s, StageContext c, double seconds, double stepsPerSecond, Dictionary<string, double> last)
    {
        string? embeds = null, unet = null;
        if (s.TrainsEmbedding)
        {
            m.CommitEmbedding();
            embeds = Path.Combine(c.Folder, TrainingOutputs.EmbedsFile);
            TrainingOutputs.SaveEmbedding(embeds, m.Token, m.Embedding);
        }
        if (s.TrainsUNet)
        {
            unet = Path.Combine(c.Folder, "unet");
            TrainingOutputs.SaveUNet(unet, m.UNet, Path.Combine(m.ModelDir, "unet", "config.json"));
        }
        var result = new StageResult(s.Name, s.Steps, seconds, stepsPerSecond, last, c.Folder, embeds, unet);
        var node = JsonSerializer.SerializeToNode(result, Json)!.AsObject();
        node["config"] = JsonSerializer.SerializeToNode(s, Json);
        TrainingOutputs.WriteJson(Path.Combine(c.Folder, StageFile), node);
        return result;
    }

    /// <summary>A stage finished earlier (resume): its outputs are loaded into the models instead of training again.</summary>
    private static StageResult LoadCompleted(TrainingModels m, Stage s, StageContext c)
    {
        var result = JsonSerializer.Deserialize<StageResult>(File.ReadAllText(Path.Combine(c.Folder, StageFile)), Json)
                     ?? throw new InvalidDataException($"{Path.Combine(c.Folder, StageFile)}: empty");
        if (result.Embeds is { } embeds)
        {
            var (_, vector) = TrainingOutputs.LoadEmbedding(embeds);
            using (vector) m.SetEmbedding(vector);
        }
        if (result.UNet is { } unet) StateDictLoader.Load(m.UNet, Path.Combine(unet, TrainingOutputs.UNetWeightsFile));
        c.Log($"[{s.Name}] already complete in {c.Folder}: outputs loaded.");
        return result;
    }
}
