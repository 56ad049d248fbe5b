using System.Text.Json;
using System.Text.Json.Nodes;
using Repro.Experiments.Training;

namespace Repro.Experiments.Methods;

/// <summary>
/// Every trainable method and ablation as a named preset: a method, its typed default config, and a JSON patch of
/// values (ablations are configuration, never code). A run's config = defaults ⊕ preset patch ⊕ user overrides
/// (a JSON file, e.g. a paper-configs row with scaled-down schedules) ⊕ command-line concept settings.
/// </summary>
public static class MethodPresets
{
    private sealed record Method(Type ConfigType, Func<object> Defaults, Func<object, Action<string>, RunHooks, JsonObject> Run);

    private static readonly Dictionary<string, Method> Methods = new()
    {
        [TextualInversion.Name] = Of<TextualInversionConfig>(TextualInversion.Name, c => c.Concept, TextualInversion.Train),
        [DreamBooth.Name] = Of<DreamBoothConfig>(DreamBooth.Name, c => c.Concept, DreamBooth.Train),
        [TextualInversionDreamBooth.Name] = Of<TextualInversionDreamBoothConfig>(TextualInversionDreamBooth.Name, c => c.Concept, TextualInversionDreamBooth.Train),
        [CustomDiffusion.Name] = Of<CustomDiffusionConfig>(CustomDiffusion.Name, c => c.Concept, CustomDiffusion.Train),
        [AttnDreamBooth.Name] = Of<AttnDreamBoothConfig>(AttnDreamBooth.Name, c => c.Concept, AttnDreamBooth.Train),
        [CoRe.Name] = Of<CoReConfig>(CoRe.Name, c => c.Concept, CoRe.Train),
        [CoReTestTimeOptimization.Name] = Of<CoReTestTimeConfig>(CoReTestTimeOptimization.Name, c => c.Concept, CoReTestTimeOptimization.Train),
    };

    /// <summary>Preset name → (method, patch).</summary>
    public static readonly IReadOnlyDictionary<string, (string Method, string Patch)> Presets = new Dictionary<string, (string, string)>
    {
        ["ti"] = (TextualInversion.Name, "{}"),
        ["dreambooth"] = (DreamBooth.Name, "{}"),
        ["dreambooth-no-prior"] = (DreamBooth.Name, """{"priorLambda": 0, "steps": 400}"""),
        ["ti-db"] = (TextualInversionDreamBooth.Name, "{}"),
        ["custom-diffusion"] = (CustomDiffusion.Name, "{}"),
        ["adb"] = (AttnDreamBooth.Name, "{}"),
        ["adb-fast"] = (AttnDreamBooth.Name, """{"stage3": {"steps": 200, "learningRate": 1e-5, "batchSize": 4}}"""),
        ["adb-no-stage1"] = (AttnDreamBooth.Name, """{"stage1": {"steps": 0}}"""),
        ["adb-no-stage2"] = (AttnDreamBooth.Name, """{"stage2": {"steps": 0}}"""),
        ["adb-no-stage3"] = (AttnDreamBooth.Name, """{"stage3": {"steps": 0}}"""),
        ["adb-no-reg"] = (AttnDreamBooth.Name,
            """{"stage1": {"lambdaMean": 0, "lambdaVariance": 0}, "stage2": {"lambdaMean": 0, "lambdaVariance": 0}, "stage3": {"lambdaMean": 0, "lambdaVariance": 0}}"""),
        ["core"] = (CoRe.Name, "{}"),
        ["core-no-cer"] = (CoRe.Name, """{"lambdaEmbedding": 0}"""),
        ["core-no-car"] = (CoRe.Name, """{"lambdaAttention": 0}"""),
        ["core-no-rescale"] = (CoRe.Name, """{"rescaleStart": null, "rescaleStop": null}"""),
        ["core-tto"] = (CoReTestTimeOptimization.Name, "{}"),
    };

    private static Method Of<T>(string name, Func<T, ConceptSettings> concept, Action<TrainingRun, T> train) where T : new() =>
        new(typeof(T), () => new T(), (config, log, hooks) => TrainingRun.Execute(name, config, concept((T)config), log, run => train(run, (T)config), hooks));

    /// <summary>The resolved config of a preset with optional overrides (JSON objects merged key by key).</summary>
    public static object Resolve(string preset, params JsonObject?[] overrides)
    {
        if (!Presets.TryGetValue(preset, out var entry))
            throw new ArgumentException($"unknown preset '{preset}' (choose {string.Join(", ", Presets.Keys)})");
        var method = Methods[entry.Method];
        var node = JsonSerializer.SerializeToNode(method.Defaults(), method.ConfigType, StageRunner.Json)!.AsObject();
        Merge(node, JsonNode.Parse(entry.Patch)!.AsObject());
        foreach (var patch in overrides) if (patch is not null) Merge(node, patch, preset);
        return node.Deserialize(method.ConfigType, StageRunner.Json) ?? throw new InvalidDataException($"preset '{preset}': empty config");
    }

    public static string MethodOf(string preset) => Presets.TryGetValue(preset, out var e) ? e.Method : throw new ArgumentException($"unknown preset '{preset}'");

    /// <summary>Runs a resolved config (from <see cref="Resolve"/>) with its method.</summary>
    public static JsonObject Run(string preset, object config, Action<string> log) => Run(preset, config, log, new RunHooks());

    internal static JsonObject Run(string preset, object config, Action<string> log, RunHooks hooks) => Methods[MethodOf(preset)].Run(config, log, hooks);

    /// <summary>Writes <paramref name="patch"/> into <paramref name="target"/>; unknown keys are errors naming them (typos never pass silently).</summary>
    public static void Merge(JsonObject target, JsonObject patch, string? source = null)
    {
        foreach (var (key, value) in patch.ToList())
        {
            string? existing = target.Select(kv => kv.Key).FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
            if (existing is null) throw new ArgumentException($"{source ?? "config"}: unknown key '{key}' (known: {string.Join(", ", target.Select(kv => kv.Key))})");
            if (value is JsonObject child && target[existing] is JsonObject into) Merge(into, child, source);
            else target[existing] = value?.DeepClone();
        }
    }
}
