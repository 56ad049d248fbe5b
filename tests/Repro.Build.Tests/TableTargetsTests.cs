using Repro.Experiments.Harness.Definitions;
using Xunit;

namespace Repro.Build.Tests;

/// <summary>The generated MSBuild targets stay in sync with paper-configs/tables, and definition errors name file and line.</summary>
public sealed class TableTargetsTests
{
    private static readonly string Root = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Repro.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Repro.sln not found above the test folder");
    }

    [Fact]
    public void Committed_targets_equal_a_regeneration()
    {
        string expected = TargetsGenerator.Generate(DefinitionLoader.LoadAll(Path.Combine(Root, "paper-configs", "tables")));
        string committed = File.ReadAllText(Path.Combine(Root, "build", TargetsGenerator.FileName));
        Assert.Equal(expected, committed);
    }

    [Fact]
    public void Targets_cover_every_required_name()
    {
        string text = TargetsGenerator.Generate(DefinitionLoader.LoadAll(Path.Combine(Root, "paper-configs", "tables")));
        foreach (string name in new[] { "ReproTable1", "ReproAdbTable1", "ReproAdbTable4", "ReproCoreTable1", "ReproCoreTable3", "ReproAll", "ListReproTargets" })
            Assert.Contains($"<Target Name=\"{name}\"", text);
        Assert.Contains("DependsOnTargets=\"ReproAdbTable1;ReproCoreTable1\"", text);
    }

    [Fact]
    public void Task_fails_with_file_and_line_on_a_bad_definition()
    {
        string dir = Directory.CreateTempSubdirectory("repro-defs").FullName;
        string text = File.ReadAllText(Path.Combine(Root, "paper-configs", "tables", "core.json")).Replace("\"metrics\": [\"CLIP-T\", \"CLIP-I\", \"DINO\"]", "\"metrics\": [\"CLIP-T\", \"CLIP-X\", \"DINO\"]");
        File.WriteAllText(Path.Combine(dir, "core.json"), text);
        var e = Assert.Throws<DefinitionException>(() => DefinitionLoader.LoadAll(dir));
        Assert.EndsWith("core.json", e.File);
        int expectedLine = text[..text.IndexOf("CLIP-X", StringComparison.Ordinal)].Count(c => c == '\n') + 1;
        Assert.Equal(expectedLine, e.Line);
        Assert.Contains("unknown metric 'CLIP-X'", e.Message);
    }
}
