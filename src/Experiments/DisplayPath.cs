namespace Repro.Experiments;

/// <summary>How reports show a folder: relative to the working directory when inside it, so committed reports stay portable.</summary>
public static class DisplayPath
{
    public static string Of(string path)
    {
        string relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative.Replace('\\', '/');
    }
}
