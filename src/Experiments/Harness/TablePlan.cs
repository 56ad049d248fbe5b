using System.Text.Json;
using System.Text.Json.Nodes;
using Repro.Experiments.Harness.Definitions;
using Repro.Experiments.Methods;
using Repro.Experiments.Training;

namespace Repro.Experiments.Harness;

/// <summary>One planned cell of a table: its row, spec (identity) and the config it trains with.</summary>
public sealed record PlannedCell(RowEntry Row, CellSpec Spec, string PromptPath, Func<string, string?, object> RunConfig);

/// <summary>The cells of a computed table at a scale: rows with a preset × concepts × seeds, in a stable order.</summary>
public static class TablePlan
{
    public static IReadOnlyList<PlannedCell> Cells(PaperDefinition paper, TableEntry table, ScaleEntry scale, HarnessEnvironment env)
    {
        if (!table.Computed) throw new ArgumentException($"{paper.File}: {table.Id} is a {table.Kind} table (reported only)");
        string modelId = FolderIdentity.Of(env.ModelDir);
        string evaluators = $"{FolderIdentity.Of(env.ClipDir)}+{(env.DinoDir is null ? "no-dino" : FolderIdentity.Of(env.DinoDir))}";
        var concepts = env.Options.Concepts is { Count: > 0 } ? env.Concepts : env.Concepts.Take(scale.Concepts).ToList();
        var cells = new List<PlannedCell>();
        foreach (var row in table.Rows)
        {
            var method = paper.Method(row.Method);
            if (method.Preset is not { } preset) continue;
            string family = MethodPresets.MethodOf(preset);
            foreach (var concept in concepts)
            foreach (long seed in scale.Seeds)
            {
                string promptFile = env.PromptFile(paper.Protocol.Prompts, concept);
                string promptPath = Path.Combine(env.PromptsDir, promptFile);
                if (!File.Exists(promptPath)) throw new FileNotFoundException($"{paper.File}: prompt file {promptPath} not found");
                string regFile = (env.MiniWorldData ? "miniworld/" : "") + $"core_reg_{(concept.Animate ? "animate" : "inanimate")}.txt";
                string dataDir = Path.Combine(env.DataDir, concept.Id);
                JsonObject[] Patches(bool forKey, string output, string? device)
                {
                    var conceptPatch = new JsonObject
                    {
                        ["model"] = forKey ? "" : env.ModelDir, ["instanceDir"] = forKey ? "" : dataDir, ["output"] = output,
                        ["category"] = concept.Category, ["seed"] = seed, ["device"] = forKey ? null : device,
                    };
                    var patch = new JsonObject { ["concept"] = conceptPatch };
                    if (family == CoRe.Name) patch["regularizationPrompts"] = forKey ? regFile : Path.Combine(env.PromptsDir, regFile);
                    return [Clone(method.Overrides), .. Schedule(scale, family, preset), Clone(row.Overrides), patch];
                }
                object keyConfig = MethodPresets.Resolve(preset, Patches(true, "", null));
                var keyNode = JsonSerializer.SerializeToNode(keyConfig, keyConfig.GetType(), StageRunner.Json)!.AsObject();
                var protocol = new CellProtocol(promptFile, CellSpec.Hash(File.ReadAllText(promptPath)), scale.Prompts, scale.ImagesPerPrompt,
                                                scale.SamplingSteps, scale.GuidanceScale, paper.Protocol.Mention == "token+category" ? concept.Category : null,
                                                paper.Protocol.ClipTextRemoval, paper.Protocol.ExcludeTaggedPrompts, evaluators);
                var spec = new CellSpec(preset, keyNode, concept.Id, concept.Category, concept.Animate, FolderIdentity.Of(dataDir, f => !f.Contains('/')),
                                        modelId, seed, protocol);
                cells.Add(new PlannedCell(row, spec, promptPath, (output, device) => MethodPresets.Resolve(preset, Patches(false, output, device))));
            }
        }
        return cells;
    }

    private static JsonObject Clone(JsonObject? o) => o is null ? [] : (JsonObject)o.DeepClone();

    /// <summary>
    /// A scale's schedule patches for a preset: the method family's entry, then the preset's own entry (e.g. adb-fast's
    /// shorter stage 3), then the stages the preset switches off (a "steps": 0 in its patch) switched off again, so a
    /// scaled schedule never turns an ablated stage back on.
    /// </summary>
    public static IReadOnlyList<JsonObject> Schedule(ScaleEntry scale, string family, string preset)
    {
        var patches = new List<JsonObject>();
        if (scale.Schedules.TryGetValue(family, out var f)) patches.Add((JsonObject)f.DeepClone());
        if (preset != family && scale.Schedules.TryGetValue(preset, out var p)) patches.Add((JsonObject)p.DeepClone());
        if (patches.Count > 0 && ZeroSteps(JsonNode.Parse(MethodPresets.Presets[preset].Patch)!.AsObject()) is { } off) patches.Add(off);
        return patches;
    }

    private static JsonObject? ZeroSteps(JsonObject patch)
    {
        var kept = new JsonObject();
        foreach (var (key, value) in patch)
        {
            if (value is JsonObject child) { if (ZeroSteps(child) is { } c) kept[key] = c; }
            else if (key.EndsWith("steps", StringComparison.OrdinalIgnoreCase) && value is JsonValue v && v.TryGetValue<int>(out int n) && n == 0) kept[key] = 0;
        }
        return kept.Count > 0 ? kept : null;
    }
}
