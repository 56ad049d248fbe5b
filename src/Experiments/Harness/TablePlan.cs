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
        string evaluators = $"{FolderIdentity.Of(env.ClipDir)}+{FolderIdentity.Of(env.DinoDir)}";
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
                    var schedule = scale.Schedules.TryGetValue(family, out var s) ? (JsonObject)s.DeepClone() : null;
                    return [Clone(method.Overrides), schedule ?? [], Clone(row.Overrides), patch];
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
}
