namespace Repro.Experiments.Training;

/// <summary>
/// Prompt templates and prompt files. In a template "{}" is the placeholder token and "{category}" the super-category
/// word. Prompt files hold one prompt per line; lines starting with '#' (source notes) and blank lines are skipped.
/// A bare file name is looked up in the prompts/ folder shipped next to the binary (copied from paper-configs/prompts).
/// </summary>
public static class PromptTemplates
{
    public static string Fill(string template, string token, string category) =>
        template.Replace("{category}", category, StringComparison.Ordinal).Replace("{}", token, StringComparison.Ordinal);

    /// <summary>The templates of a prompt file (path, or a name under the bundled prompts/ folder), in the one prompt format.</summary>
    public static IReadOnlyList<string> ReadFile(string pathOrName) =>
        Prompts.PromptSet.Load(Resolve(pathOrName)).Select(p => p.Template).ToList();

    public static string Resolve(string pathOrName)
    {
        if (File.Exists(pathOrName)) return Path.GetFullPath(pathOrName);
        string bundled = Path.Combine(AppContext.BaseDirectory, "prompts", pathOrName);
        if (File.Exists(bundled)) return bundled;
        throw new FileNotFoundException($"{pathOrName}: prompt file not found (nor in {Path.Combine(AppContext.BaseDirectory, "prompts")})", pathOrName);
    }
}
