using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Repro.Experiments.Harness.Definitions;

/// <summary>Typed field access on a parsed definition; a missing or mistyped field fails with the file and its line.</summary>
internal sealed class Reader(string file, string text)
{
    /// <summary>The 1-based line of the first match of <paramref name="needle"/> (a JSON fragment; whitespace after ':' is free), else 1.</summary>
    public int LineOf(string needle)
    {
        string pattern = Regex.Escape(needle).Replace("\":\\ ", "\"\\s*:\\s*", StringComparison.Ordinal);
        var match = Regex.Match(text, pattern);
        return match.Success ? text.AsSpan(0, match.Index).Count('\n') + 1 : 1;
    }

    public void Fail(string needle, string message) => throw new DefinitionException(file, LineOf(needle), message);

    public T FailValue<T>(string needle, string message) => throw new DefinitionException(file, LineOf(needle), message);

    private JsonNode Required(JsonObject o, string key) =>
        o[key] ?? FailValue<JsonNode>(Context(o), $"missing field '{key}'");

    private static string Context(JsonObject o)
    {
        foreach (string key in new[] { "id", "name", "method" })
            if (o[key] is JsonValue v && v.TryGetValue(out string? s)) return $"\"{key}\": \"{s}\"";
        return "{";
    }

    public string Str(JsonObject o, string key) =>
        Required(o, key) is JsonValue v && v.TryGetValue(out string? s) && s.Length > 0 ? s : FailValue<string>($"\"{key}\"", $"'{key}' must be a non-empty string");

    public string? OptStr(JsonObject o, string key) => o[key] is null ? null : Str(o, key);

    public JsonObject? OptObj(JsonObject o, string key) => o[key] is null ? null : Obj(o, key);

    public JsonObject Obj(JsonObject o, string key) =>
        Required(o, key) as JsonObject ?? FailValue<JsonObject>($"\"{key}\"", $"'{key}' must be an object");

    public bool Bool(JsonObject o, string key) =>
        Required(o, key) is JsonValue v && v.TryGetValue(out bool b) ? b : FailValue<bool>($"\"{key}\"", $"'{key}' must be true or false");

    public double Num(JsonObject o, string key) =>
        Required(o, key) is JsonValue v && v.TryGetValue(out double d) ? d : FailValue<double>($"\"{key}\"", $"'{key}' must be a number");

    public int Positive(JsonObject o, string key) =>
        Required(o, key) is JsonValue v && v.TryGetValue(out int i) && i > 0 ? i : FailValue<int>($"\"{key}\"", $"'{key}' must be a positive integer");

    public string OneOf(JsonObject o, string key, params string[] allowed)
    {
        string s = Str(o, key);
        return allowed.Contains(s) ? s : FailValue<string>($"\"{key}\": \"{s}\"", $"'{key}' is '{s}'; expected one of {string.Join(", ", allowed)}");
    }

    public IReadOnlyList<JsonObject> Array(JsonObject o, string key) =>
        Array(o, key, values: false).Select(n => n as JsonObject ?? FailValue<JsonObject>($"\"{key}\"", $"'{key}' must hold objects")).ToList();

    public IReadOnlyList<JsonNode> Array(JsonObject o, string key, bool values) =>
        Required(o, key) is JsonArray a && a.All(n => n is not null) ? a.Select(n => n!).ToList() : FailValue<IReadOnlyList<JsonNode>>($"\"{key}\"", $"'{key}' must be an array");
}
