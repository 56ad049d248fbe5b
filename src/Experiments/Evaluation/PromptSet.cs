namespace Repro.Experiments.Evaluation;

/// <summary>
/// One evaluation prompt: a template whose <c>{}</c> stands for the concept mention, its 0-based index in the file
/// (generated images are named <c>NNN_*.png</c> after it), and tags such as <c>stylization</c> or <c>outfit</c>.
/// </summary>
public sealed record EvalPrompt(int Index, string Template, IReadOnlyList<string> Tags)
{
    /// <summary>Tags that, under CoRe's protocol, leave a prompt out of CLIP-I and DINO.</summary>
    public static readonly IReadOnlyList<string> IdentityExclusionTags = ["stylization", "outfit"];

    public bool ExcludedFromIdentity => Tags.Any(t => IdentityExclusionTags.Contains(t, StringComparer.OrdinalIgnoreCase));
}

/// <summary>
/// A prompt file: UTF-8, one template per line with <c>{}</c> for the concept; lines starting with <c>#</c> and blank
/// lines are skipped; an optional TAB followed by comma-separated tags ends a line. Text is kept verbatim otherwise.
/// </summary>
public static class PromptSet
{
    public static IReadOnlyList<EvalPrompt> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: prompt file not found", path);
        var prompts = new List<EvalPrompt>();
        string[] lines = File.ReadAllLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.StartsWith('#') || string.IsNullOrWhiteSpace(line)) continue;
            int tab = line.IndexOf('\t');
            string template = tab < 0 ? line : line[..tab];
            string[] tags = tab < 0 ? [] : line[(tab + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (!template.Contains("{}", StringComparison.Ordinal))
                throw new FormatException($"{path}: line {i + 1} has no '{{}}' placeholder for the concept: '{template}'");
            prompts.Add(new EvalPrompt(prompts.Count, template, tags));
        }
        if (prompts.Count == 0) throw new FormatException($"{path}: no prompts (lines with '{{}}')");
        return prompts;
    }
}
