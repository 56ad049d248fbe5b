namespace Repro.Tests;

/// <summary>Locates the parity fixtures: $REPRO_FIXTURES when set, else the committed tests/fixtures/.</summary>
public static class FixturePaths
{
    private static readonly Lazy<string> RepoRootLazy = new(FindRepoRoot);

    /// <summary>The folder holding Repro.sln (found by walking up from the test binaries).</summary>
    public static string RepoRoot => RepoRootLazy.Value;

    /// <summary>The fixture root folder.</summary>
    public static string Root
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("REPRO_FIXTURES");
            return string.IsNullOrWhiteSpace(env) ? Path.Combine(RepoRoot, "tests", "fixtures") : env;
        }
    }

    /// <summary>A path under the fixture root.</summary>
    public static string Get(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Repro.sln")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"Repro.sln not found above {AppContext.BaseDirectory}.");
    }
}
