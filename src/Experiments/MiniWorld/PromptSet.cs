namespace Repro.Experiments.MiniWorld;

/// <summary>One prompt template of a paper-configs/prompts/miniworld/*.txt file.</summary>
public sealed record PromptTemplate(string Template, bool ExcludeIdentity, string? Change, string? Mirrors)
{
    /// <summary>The prompt for a concept mention, e.g. "&lt;V&gt; cat".</summary>
    public string Format(string mention) => Template.Replace("{}", mention);
}

/// <summary>
/// Reads the MiniWorld prompt files: one template per line with "{}" for the concept mention; '#' lines are
/// comments; optional TAB-separated fields after the template: <c>#exclude-identity</c>, <c>#change=KIND</c>,
/// <c>#mirrors=TEXT</c> (the paper prompt the line stands in for).
/// </summary>
public static class PromptSet
{
    public static IReadOnlyList<PromptTemplate> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: prompt file not found", path);
        var result = new List<PromptTemplate>();
        int lineNumber = 0;
        foreach (string raw in File.ReadLines(path))
        {
            lineNumber++;
            if (raw.Length == 0 || raw.StartsWith('#')) continue;
            var fields = raw.Split('\t');
            if (!fields[0].Contains("{}")) throw new FormatException($"{path}:{lineNumber}: template without '{{}}': {fields[0]}");
            bool exclude = false;
            string? change = null, mirrors = null;
            foreach (string field in fields.Skip(1))
            {
                if (field == "#exclude-identity") exclude = true;
                else if (field.StartsWith("#change=", StringComparison.Ordinal)) change = field["#change=".Length..];
                else if (field.StartsWith("#mirrors=", StringComparison.Ordinal)) mirrors = field["#mirrors=".Length..];
                else throw new FormatException($"{path}:{lineNumber}: unknown field '{field}'");
            }
            result.Add(new PromptTemplate(fields[0], exclude, change, mirrors));
        }
        return result;
    }
}
