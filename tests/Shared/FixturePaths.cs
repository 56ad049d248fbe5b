namespace Repro.Tests;

/// <summary>
/// Where the golden fixtures are: <c>$REPRO_FIXTURES</c> when set (another fixture set of the same format),
/// else the copy committed under <c>tests/fixtures/</c>.
/// </summary>
public static class FixturePaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Root { get; } =
        Environment.GetEnvironmentVariable("REPRO_FIXTURES") is { Length: > 0 } env ? Path.GetFullPath(env) : Path.Combine(RepoRoot, "tests", "fixtures");

    public static string Get(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Repro.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"Repro.sln not found above {AppContext.BaseDirectory}");
    }
}
