using Repro.Experiments.Commands;
using Repro.Experiments.Harness;
using Repro.Tests;
using Xunit;

namespace Repro.Experiments.Tests.Harness;

/// <summary>Cell keys (shared across tables), the output lock, Kendall's τ, and the charts' data and PNGs.</summary>
public sealed class HarnessTests
{
    private static readonly Lazy<HarnessEnvironment> Env = new(() => HarnessEnvironment.Resolve(
        new HarnessOptions(Path.Combine(FixturePaths.RepoRoot, "paper-configs"), "smoke", ModelDir: HarnessOptions.TinyModel, CacheDir: Directory.CreateTempSubdirectory("repro-harness").FullName), _ => { }));

    [Fact]
    public void Ours_and_full_model_share_one_cell_and_other_rows_do_not()
    {
        var adb = TableCommand.Load(Path.Combine(FixturePaths.RepoRoot, "paper-configs")).Single(p => p.Id == "adb");
        var t1 = TablePlan.Cells(adb, adb.Table("Table1"), adb.Scale("smoke"), Env.Value);
        var t4 = TablePlan.Cells(adb, adb.Table("Table4"), adb.Scale("smoke"), Env.Value);
        Assert.Equal(3, t1.Count);
        Assert.Equal(5, t4.Count);
        string ours = t1.Single(c => c.Row.Display == "Ours").Spec.Key;
        Assert.Equal(ours, t4.Single(c => c.Row.Display == "Full Model").Spec.Key);
        Assert.Equal(8, t1.Concat(t4).Select(c => c.Spec.Key).Count());
        Assert.Equal(7, t1.Concat(t4).Select(c => c.Spec.Key).Distinct().Count());
        Assert.Equal(64, ours.Length);
        // The key depends on the seed and on the schedule: a different scale gives other cells.
        var mini = TablePlan.Cells(adb, adb.Table("Table1"), adb.Scale("mini"), Env.Value);
        Assert.DoesNotContain(ours, mini.Select(c => c.Spec.Key));
    }

    [Fact]
    public void Lock_is_exclusive_until_released()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("repro-lock").FullName, ".lock");
        using (var first = FileLock.TryAcquire(path))
        {
            Assert.NotNull(first);
            Assert.Null(FileLock.TryAcquire(path));
        }
        using var again = FileLock.TryAcquire(path);
        Assert.NotNull(again);
    }

    [Fact]
    public void Kendall_tau_b()
    {
        Assert.Equal(1.0, TableResults.KendallTau([(1, 10), (2, 20), (3, 30)]));
        Assert.Equal(-1.0, TableResults.KendallTau([(1, 30), (2, 20), (3, 10)]));
        Assert.Equal(1.0 / 3, TableResults.KendallTau([(1, 1), (2, 3), (3, 2)])!.Value, 12);
        Assert.Null(TableResults.KendallTau([(1, 1)]));
    }

    [Fact]
    public void Charts_are_pngs_with_the_expected_series()
    {
        var core = TableCommand.Load(Path.Combine(FixturePaths.RepoRoot, "paper-configs")).Single(p => p.Id == "core");
        var table = core.Table("Table1");
        var measured = new List<MeasuredRow>
        {
            new("Ours", "CLIP-T", 0.25, 0.24, 0.26, 40), new("Ours", "CLIP-I", 0.70, 0.69, 0.71, 40), new("Ours", "DINO", 0.55, 0.5, 0.6, 40),
            new("AttnDreamBooth", "CLIP-T", 0.26, 0.25, 0.27, 40), new("AttnDreamBooth", "CLIP-I", 0.68, 0.66, 0.7, 40), new("AttnDreamBooth", "DINO", 0.5, 0.45, 0.55, 40),
        };
        var comparison = TableResults.Compare(table, measured);
        Assert.Equal(15, comparison.Count);
        Assert.Null(comparison.Single(c => c.Method == "NeTI" && c.Metric == "DINO").Measured);
        Assert.Equal(1, comparison.Single(c => c.Method == "Ours" && c.Metric == "CLIP-I").RankMeasured);
        var losses = new Dictionary<string, IReadOnlyList<IReadOnlyList<(int, double)>>> { ["Ours"] = [[(1, 1.0), (2, 0.5)]] };
        var charts = TableCharts.Build(table, comparison, losses);
        string dir = Directory.CreateTempSubdirectory("repro-charts").FullName;
        TableCharts.Save(charts, dir, table.Rows.Select(r => r.Display).ToList());
        Assert.Equal(["bars_clip-t.png", "bars_clip-i.png", "bars_dino.png", "tradeoff.png", "loss_ours.png"], charts.Select(c => c.File).ToArray());
        foreach (var chart in charts)
        {
            var bytes = File.ReadAllBytes(Path.Combine(dir, chart.File));
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
            Assert.True(bytes.Length > 2000, chart.File);
        }
        var bars = charts.Single(c => c.File == "bars_clip-i.png");
        Assert.Equal([0.6706, 0.7104, 0.7018, 0.6918, 0.7054], bars.Series.Single(s => s.Name == "reported").Y);
        Assert.Equal(["AttnDreamBooth", "Ours"], bars.Series.Single(s => s.Name == "measured").Labels);
        Assert.Equal([0.68, 0.70], bars.Series.Single(s => s.Name == "measured").Y);
        var tradeoff = charts.Single(c => c.File == "tradeoff.png");
        Assert.Equal(5, tradeoff.Series.Single(s => s.Name == "reported").X.Count);
        Assert.Equal([0.68, 0.70], tradeoff.Series.Single(s => s.Name == "measured").X);
        Assert.Equal([0.26, 0.25], tradeoff.Series.Single(s => s.Name == "measured").Y);
        Assert.True(File.Exists(Path.Combine(dir, TableCharts.DataFile)));
    }
}
