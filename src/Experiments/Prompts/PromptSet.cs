namespace Repro.Experiments.Prompts;

/// <summary>
/// One prompt template: <c>{}</c> stands for the concept mention; <see cref="Index"/> is its 0-based position in the
/// file (generated images are named <c>NNN_*.png</c> after it).
/// </summary>
public sealed record PromptTemplate(int Index, string Template, bool ExcludedFromIdentity = false, string? Change = null, string? Mirrors = null)
{
    /// <summary>The prompt for a concept mention, e.g. "&lt;V&gt; dog" (AttnDreamBooth) or "&lt;V&gt;" (CoRe).</summary>
    public string Format(string mention) => Template.Replace("{}", mention);
}

/// <summary>
/// Reads prompt files (paper-configs/prompts/**.txt): UTF-8, one template per line with <c>{}</c> for the concept;
/// lines starting with <c>#</c> and blank lines are skipped. After the template, optional TAB-separated fields:
/// <c>#exclude-identity</c> (left out of CLIP-I/DINO under CoRe's protocol), <c>#change=KIND</c> (none, background,
/// interaction, color, style, outfit) and <c>#mirrors=TEXT</c> (the paper prompt a miniature-world line stands in for).
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
            if (string.IsNullOrWhiteSpace(raw) || raw.StartsWith('#')) continue;
            var fields = raw.Split('\t');
            if (!fields[0].Contains("{}", StringComparison.Ordinal))
                throw new FormatException($"{path}:{lineNumber}: template without a '{{}}' placeholder for the concept: '{fields[0]}'");
            bool exclude = false;
            string? change = null, mirrors = null;
            foreach (string field in fields.Skip(1))
            {
                if (field == "#exclude-identity") exclude = true;
                else if (field.StartsWith("#change=", StringComparison.Ordinal)) change = field["#change=".Length..];
                else if (field.StartsWith("#mirrors=", StringComparison.Ordinal)) mirrors = field["#mirrors=".Length..];
                else throw new FormatException($"{path}:{lineNumber}: unknown field '{field}' (expected #exclude-identity, #change=KIND or #mirrors=TEXT)");
            }
            result.Add(new PromptTemplate(result.Count, fields[0], exclude, change, mirrors));
        }
        if (result.Count == 0) throw new FormatException($"{path}: no prompts (lines with '{{}}')");
        return result;
    }
}
