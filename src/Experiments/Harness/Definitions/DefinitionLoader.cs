using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Repro.Experiments.Harness.Definitions;

/// <summary>
/// Reads and validates paper-configs/tables/*.json. Every error is a <see cref="DefinitionException"/> naming the file and
/// the line (MSBuild's canonical "file(line): error" form, so a build shows it as an error). Shared with the build task.
/// </summary>
public static class DefinitionLoader
{
    /// <summary>Metric name → measured score (clip_i, clip_t, dino) or "" for reported-only metrics (user studies).</summary>
    public static readonly IReadOnlyDictionary<string, string> KnownMetrics = new Dictionary<string, string>
    {
        ["Identity(CLIP-I)"] = "clip_i", ["Text(CLIP-T)"] = "clip_t", ["CLIP-I"] = "clip_i", ["CLIP-T"] = "clip_t", ["DINO"] = "dino",
        ["PreferBaseline(%)"] = "", ["PreferOurs(%)"] = "",
    };

    public static readonly string[] ScaleNames = ["smoke", "mini", "paper"];

    /// <summary>Every *.json under <paramref name="dir"/>, sorted by file name.</summary>
    public static IReadOnlyList<PaperDefinition> LoadAll(string dir, Func<string, string?>? presetFamily = null)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: paper definitions folder not found");
        var papers = Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal).Select(f => Load(f, presetFamily)).ToList();
        var duplicate = papers.GroupBy(p => p.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new DefinitionException(duplicate.Last().File, 1, $"paper id '{duplicate.Key}' is defined twice");
        var targets = papers.SelectMany(p => p.Tables.Where(t => t.Target is not null).Select(t => (p, t))).GroupBy(x => x.t.Target).FirstOrDefault(g => g.Count() > 1);
        if (targets is not null) throw new DefinitionException(targets.Last().p.File, 1, $"target '{targets.Key}' is defined twice");
        return papers;
    }

    /// <summary>
    /// Reads one definition. <paramref name="presetFamily"/> maps a preset name to its method family (null = unknown
    /// preset); when given, presets and schedule keys are checked against it.
    /// </summary>
    public static PaperDefinition Load(string file, Func<string, string?>? presetFamily = null)
    {
        string text = System.IO.File.ReadAllText(file);
        JsonObject root;
        try
        {
            root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                   ?? throw new DefinitionException(file, 1, "the definition must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new DefinitionException(file, (int)(e.LineNumber ?? 0) + 1, $"invalid JSON: {e.Message}");
        }
        var r = new Reader(file, text);
        var methods = r.Array(root, "methods").Select(m => new MethodEntry(r.Str(m, "name"), r.OptStr(m, "preset"), r.OptStr(m, "note"), r.OptObj(m, "overrides"))).ToList();
        foreach (var g in methods.GroupBy(m => m.Name).Where(g => g.Count() > 1)) r.Fail($"\"name\": \"{g.Key}\"", $"method '{g.Key}' is defined twice");
        if (presetFamily is not null)
            foreach (var m in methods.Where(m => m.Preset is not null && presetFamily(m.Preset) is null))
                r.Fail($"\"preset\": \"{m.Preset}\"", $"unknown preset '{m.Preset}' for method '{m.Name}'");
        var p = r.Obj(root, "protocol");
        var prompts = r.Obj(p, "prompts");
        var protocol = new ProtocolEntry(r.OneOf(p, "mention", "token", "token+category"), r.OneOf(p, "clipTextRemoval", "token", "mention"),
                                         r.Bool(p, "masking"), r.Bool(p, "excludeTaggedPrompts"), new PromptFiles(r.Str(prompts, "paper"), r.Str(prompts, "miniworld")),
                                         r.Str(p, "baseCheckpoint"), r.Str(p, "sampler"), r.Str(p, "evaluators"));
        var scales = r.Array(root, "scales").Select(s => ReadScale(r, s, presetFamily, methods)).ToList();
        foreach (string name in ScaleNames.Where(n => scales.All(s => s.Name != n))) r.Fail("\"scales\"", $"scale '{name}' is missing");
        var tables = r.Array(root, "tables").Select(t => ReadTable(r, t, methods)).ToList();
        foreach (var g in tables.GroupBy(t => t.Id).Where(g => g.Count() > 1)) r.Fail($"\"id\": \"{g.Key}\"", $"table '{g.Key}' is defined twice");
        return new PaperDefinition(r.Str(root, "id"), r.Str(root, "paper"), r.Str(root, "reportedFrom"), methods, protocol, scales, tables) { File = file };
    }

    private static ScaleEntry ReadScale(Reader r, JsonObject s, Func<string, string?>? presetFamily, List<MethodEntry> methods)
    {
        string name = r.OneOf(s, "name", ScaleNames);
        var schedules = r.Obj(s, "schedules").ToDictionary(kv => kv.Key, kv => kv.Value as JsonObject ?? r.FailValue<JsonObject>($"\"{kv.Key}\"", $"scale '{name}': schedule '{kv.Key}' must be an object"));
        if (presetFamily is not null)
        {
            // A schedule is keyed by a method family (every preset of it) or by a preset (merged after its family's entry).
            var families = methods.Where(m => m.Preset is not null).SelectMany(m => new[] { presetFamily(m.Preset!), m.Preset }).ToHashSet();
            foreach (string key in schedules.Keys.Where(k => !families.Contains(k)))
                r.Fail($"\"{key}\"", $"scale '{name}': schedule for unknown method family or preset '{key}' (used here: {string.Join(", ", families)})");
        }
        var seeds = r.Array(s, "seeds", values: true).Select(v => v.GetValue<long>()).ToList();
        if (seeds.Count == 0) r.Fail($"\"name\": \"{name}\"", $"scale '{name}': at least one seed");
        return new ScaleEntry(name, r.Positive(s, "concepts"), r.Positive(s, "prompts"), r.Positive(s, "imagesPerPrompt"), seeds,
                              r.Positive(s, "samplingSteps"), r.Num(s, "guidanceScale"), r.Positive(s, "resamples"), r.Str(s, "note"), schedules);
    }

    private static TableEntry ReadTable(Reader r, JsonObject t, List<MethodEntry> methods)
    {
        string id = r.Str(t, "id");
        string kind = r.OneOf(t, "kind", "computed", "user-study");
        string? target = r.OptStr(t, "target");
        if (kind == "computed" && (target is null || !Regex.IsMatch(target, "^Repro[A-Za-z0-9]+$")))
            r.Fail($"\"id\": \"{id}\"", $"table '{id}': a computed table needs a target named Repro<Name>");
        var metrics = r.Array(t, "metrics", values: true).Select(v => v.GetValue<string>()).ToList();
        foreach (string m in metrics)
        {
            if (!KnownMetrics.TryGetValue(m, out var code)) r.Fail($"\"{m}\"", $"table '{id}': unknown metric '{m}' (known: {string.Join(", ", KnownMetrics.Keys)})");
            else if ((code == "") == (kind == "computed")) r.Fail($"\"{m}\"", $"table '{id}': metric '{m}' cannot be used in a {kind} table");
        }
        var rows = new List<RowEntry>();
        foreach (var row in r.Array(t, "rows"))
        {
            string method = r.Str(row, "method");
            if (methods.All(m => m.Name != method)) r.Fail($"\"method\": \"{method}\"", $"table '{id}': unknown method '{method}' (define it under \"methods\")");
            var reported = r.Obj(row, "reported").ToDictionary(kv => kv.Key, kv => kv.Value is JsonValue v && v.TryGetValue(out double d) ? d
                                                                   : r.FailValue<double>($"\"{kv.Key}\"", $"table '{id}', row '{method}': reported '{kv.Key}' must be a number"));
            foreach (string m in metrics.Where(m => !reported.ContainsKey(m)))
                r.Fail($"\"method\": \"{method}\"", $"table '{id}', row '{method}': missing reported value for '{m}'");
            foreach (string m in reported.Keys.Where(m => !metrics.Contains(m)))
                r.Fail($"\"{m}\"", $"table '{id}', row '{method}': reported '{m}' is not one of the table's metrics");
            rows.Add(new RowEntry(method, r.OptStr(row, "label"), r.OptObj(row, "overrides"), reported, r.OptStr(row, "note")));
        }
        foreach (var g in rows.GroupBy(x => x.Display).Where(g => g.Count() > 1)) r.Fail($"\"{g.Key}\"", $"table '{id}': row '{g.Key}' appears twice");
        return new TableEntry(id, target, kind, r.Str(t, "title"), metrics, rows);
    }
}
