using Repro.Experiments.Commands;
using Repro.Experiments.Harness.Definitions;
using Repro.Tests;
using Xunit;

namespace Repro.Experiments.Tests.Harness;

/// <summary>paper-configs/tables parse, validate against the presets, match the reported CSVs, and bad ones fail with file and line.</summary>
public sealed class DefinitionTests
{
    private static string Configs => Path.Combine(FixturePaths.RepoRoot, "paper-configs");

    [Fact]
    public void Both_papers_parse_with_every_table()
    {
        var papers = TableCommand.Load(Configs);
        Assert.Equal(["adb", "core"], papers.Select(p => p.Id).Order().ToArray());
        var adb = papers.Single(p => p.Id == "adb");
        Assert.Equal(["Table1", "Table2", "Table4"], adb.Tables.Select(t => t.Id).ToArray());
        Assert.Equal(["TI+DB", "NeTI", "ViCo", "OFT", "Ours-fast", "Ours"], adb.Table("Table1").Rows.Select(r => r.Display).ToArray());
        Assert.Null(adb.Method("NeTI").Preset);
        var core = papers.Single(p => p.Id == "core");
        Assert.Equal(["Table1", "Table2", "Table3"], core.Tables.Select(t => t.Id).ToArray());
        Assert.Equal("user-study", core.Table("Table2").Kind);
    }

    [Fact]
    public void Reported_values_equal_the_spec_csv_when_present()
    {
        string spec = Path.Combine(FixturePaths.RepoRoot, "..", "shared", "spec", "reported");
        if (!Directory.Exists(spec)) spec = "/work/shared/spec/reported";
        if (!Directory.Exists(spec)) return;
        var papers = TableCommand.Load(Configs);
        var files = new Dictionary<string, string> { ["adb"] = "attndreambooth.csv", ["core"] = "core.csv" };
        int compared = 0;
        foreach (var p in papers)
        foreach (string line in File.ReadAllLines(Path.Combine(spec, files[p.Id])).Skip(1).Where(l => l.Length > 0))
        {
            var f = line.Split(',');
            var row = p.Table(f[1]).Rows.Single(r => r.Display == f[2]);
            Assert.Equal(double.Parse(f[4], System.Globalization.CultureInfo.InvariantCulture), row.Reported[f[3]]);
            compared++;
        }
        Assert.True(compared >= 60, $"compared {compared}");
    }

    [Theory]
    [InlineData("\"preset\": \"adb-fast\"", "\"preset\": \"adb-fastest\"", "unknown preset 'adb-fastest'")]
    [InlineData("{ \"method\": \"W/o Reg\",", "{ \"method\": \"W/o Regs\",", "unknown method 'W/o Regs'")]
    [InlineData("\"Identity(CLIP-I)\": 0.7269, ", "", "missing reported value for 'Identity(CLIP-I)'")]
    [InlineData("\"kind\": \"user-study\"", "\"kind\": \"survey\"", "'kind' is 'survey'")]
    [InlineData("\"ti-db\": { \"steps\": 2, \"batchSize\": 1 }", "\"dreambooth\": { \"steps\": 2 }", "unknown method family or preset 'dreambooth'")]
    public void Bad_definition_fails_with_file_and_line(string from, string to, string message)
    {
        string original = File.ReadAllText(Path.Combine(Configs, "tables", "attndreambooth.json"));
        Assert.Contains(from, original);
        string text = original.Replace(from, to, StringComparison.Ordinal);
        string dir = Directory.CreateTempSubdirectory("repro-defs").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "tables"));
        string file = Path.Combine(dir, "tables", "attndreambooth.json");
        File.WriteAllText(file, text);
        var e = Assert.Throws<DefinitionException>(() => TableCommand.Load(dir));
        Assert.Equal(file, e.File);
        Assert.Contains(message, e.Message);
        int line = original[..original.IndexOf(from, StringComparison.Ordinal)].Count(c => c == '\n') + 1;
        Assert.Equal(line, e.Line);
        Assert.StartsWith($"{file}({line}): error", e.Message);
    }

    [Fact]
    public void Invalid_json_names_the_line()
    {
        string dir = Directory.CreateTempSubdirectory("repro-defs").FullName;
        string file = Path.Combine(dir, "x.json");
        File.WriteAllText(file, "{\n  \"id\": \"x\",\n  \"paper\": oops\n}");
        var e = Assert.Throws<DefinitionException>(() => DefinitionLoader.Load(file));
        Assert.Equal(3, e.Line);
    }
}
