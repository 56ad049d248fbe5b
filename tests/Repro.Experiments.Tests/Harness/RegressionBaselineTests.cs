using System.Text.Json.Nodes;
using Repro.Experiments.Commands;
using Repro.Experiments.Harness;
using Repro.Experiments.Harness.Definitions;
using Repro.Tests;
using Xunit;

namespace Repro.Experiments.Tests.Harness;

/// <summary>
/// The regression check of measured.csv against a committed baseline: the comparison rules (tolerance, missing and
/// extra rows, n), the folder check and update of <c>repro baseline</c>, and the proof that a planted change to one
/// method's training fails the check naming that method while an unchanged rerun passes.
/// </summary>
public sealed class RegressionBaselineTests
{
    private static readonly BaselineTolerance Default = BaselineTolerance.Default;

    private static MeasuredRow Row(string method, string metric, double mean, int n = 2) => new(method, metric, mean, mean - 0.01, mean + 0.01, n);

    private static readonly MeasuredRow[] Baseline =
    [
        Row("TI+DB", "CLIP-I", 0.5), Row("TI+DB", "CLIP-T", 0.25),
        Row("Ours", "CLIP-I", 0.6), Row("Ours", "CLIP-T", 0.3),
    ];

    private static MeasuredRow[] With(int index, MeasuredRow row)
    {
        var rows = Baseline.ToArray();
        rows[index] = row;
        return rows;
    }

    [Fact]
    public void Identical_and_within_tolerance_rows_pass()
    {
        var same = RegressionBaseline.Compare(Baseline, Baseline, Default);
        Assert.True(same.Passed);
        Assert.Equal(4, same.RowsCompared);
        // Order does not matter; a move of 9e-5 is inside the default 1e-4.
        var moved = RegressionBaseline.Compare(Baseline, With(2, Row("Ours", "CLIP-I", 0.6 + 9e-5)).Reverse().ToArray(), Default);
        Assert.True(moved.Passed);
        Assert.Equal(1e-4, Default.Absolute);
        Assert.Equal(0, Default.Relative);
    }

    [Fact]
    public void A_mean_beyond_the_tolerance_is_reported_with_its_values()
    {
        var result = RegressionBaseline.Compare(Baseline, With(2, Row("Ours", "CLIP-I", 0.6 + 2e-4)), Default, "adb/Table1");
        var d = Assert.Single(result.Differences);
        Assert.Equal(("adb/Table1", "Ours", "CLIP-I", BaselineDifferenceKind.Moved), (d.Table, d.Method, d.Metric, d.Kind));
        Assert.Equal(2e-4, d.Delta!.Value, 12);
        Assert.Equal(1e-4, d.Tolerance);
        string table = RegressionBaseline.Format(result.Differences);
        foreach (string column in new[] { "table", "method", "metric", "baseline", "measured", "delta", "tolerance" }) Assert.Contains(column, table);
        Assert.Contains("adb/Table1  Ours    CLIP-I  0.6 (n=2)  0.6002 (n=2)  +0.0002  0.0001     moved beyond tolerance", table);
        // A looser tolerance, absolute or relative, accepts it.
        Assert.True(RegressionBaseline.Compare(Baseline, With(2, Row("Ours", "CLIP-I", 0.6002)), new BaselineTolerance(3e-4)).Passed);
        Assert.True(RegressionBaseline.Compare(Baseline, With(2, Row("Ours", "CLIP-I", 0.6002)), new BaselineTolerance(0, 1e-3)).Passed);
        Assert.False(RegressionBaseline.Compare(Baseline, With(2, Row("Ours", "CLIP-I", 0.6002)), new BaselineTolerance(0, 1e-4)).Passed);
    }

    [Fact]
    public void Missing_extra_rows_and_a_changed_n_are_differences()
    {
        var measured = Baseline.Where(r => !(r.Method == "Ours" && r.Metric == "CLIP-T")).Append(Row("NeTI", "CLIP-I", 0.4)).ToArray();
        measured[0] = measured[0] with { N = 3 };
        var result = RegressionBaseline.Compare(Baseline, measured, Default);
        Assert.Equal(3, result.Differences.Count);
        Assert.Contains(result.Differences, d => d is { Method: "Ours", Metric: "CLIP-T", Kind: BaselineDifferenceKind.Missing, Measured: null });
        Assert.Contains(result.Differences, d => d is { Method: "NeTI", Metric: "CLIP-I", Kind: BaselineDifferenceKind.Extra, Baseline: null });
        Assert.Contains(result.Differences, d => d is { Method: "TI+DB", Metric: "CLIP-I", Kind: BaselineDifferenceKind.CountChanged });
        string table = RegressionBaseline.Format(result.Differences);
        Assert.Contains("missing from measured", table);
        Assert.Contains("not in baseline", table);
        Assert.Contains("n 2 -> 3", table);
    }

    [Fact]
    public void Nan_equals_nan_and_differs_from_a_number()
    {
        var nan = With(1, Row("TI+DB", "CLIP-T", double.NaN));
        Assert.True(RegressionBaseline.Compare(nan, nan, Default).Passed);
        Assert.Equal(BaselineDifferenceKind.Moved, Assert.Single(RegressionBaseline.Compare(Baseline, nan, Default).Differences).Kind);
        Assert.Equal(BaselineDifferenceKind.Moved, Assert.Single(RegressionBaseline.Compare(nan, Baseline, Default).Differences).Kind);
    }

    [Fact]
    public void Measured_csv_round_trips_including_quoted_names_and_empty_numbers()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("repro-baseline-csv").FullName, "measured.csv");
        var rows = new[] { Row("w/o CER, CAR", "Identity(CLIP-I)", 0.123456), new MeasuredRow("Ours", "Text(CLIP-T)", 0.25, double.NaN, double.NaN, 1) };
        TableResults.WriteMeasured(path, rows);
        var read = RegressionBaseline.Read(path);
        Assert.Equal(rows.Select(r => (r.Method, r.Metric, r.Mean, r.N)), read.Select(r => (r.Method, r.Metric, r.Mean, r.N)));
        Assert.True(double.IsNaN(read[1].Low));
        Assert.Throws<InvalidDataException>(() => RegressionBaseline.Parse("method,metric,mean\nA,B,1\n", "bad.csv"));
    }

    [Fact]
    public void Check_and_update_of_folders()
    {
        string root = Directory.CreateTempSubdirectory("repro-baseline-dirs").FullName;
        string measured = Path.Combine(root, "out"), baseline = Path.Combine(root, "baseline");
        TableResults.WriteMeasured(Path.Combine(measured, "adb", "Table1", "measured.csv"), Baseline);
        TableResults.WriteMeasured(Path.Combine(measured, "core", "Table1", "measured.csv"), Baseline);

        var log = new StringWriter();
        BaselineCommand.Update(measured, baseline, null, log);
        Assert.Contains("adb/Table1: new (4 rows)", log.ToString());
        Assert.Equal(File.ReadAllBytes(Path.Combine(measured, "core", "Table1", "measured.csv")), File.ReadAllBytes(Path.Combine(baseline, "core", "Table1", "measured.csv")));
        string readme = File.ReadAllText(Path.Combine(baseline, "README.md"));
        Assert.Contains(RegressionBaseline.UpdateCommand, readme);
        Assert.Contains("0.0001 absolute", readme);
        Assert.Contains("Tables: adb/Table1, core/Table1.", readme);

        var (output, error) = (new StringWriter(), new StringWriter());
        Assert.Equal(0, BaselineCommand.Check(measured, baseline, Default, output, error));
        Assert.Equal($"baseline: 8 rows within tolerance (0.0001 absolute) of {baseline}", output.ToString().Trim());

        // A moved row fails with the table on stderr; update reports that row and makes the check pass again.
        TableResults.WriteMeasured(Path.Combine(measured, "core", "Table1", "measured.csv"), With(3, Row("Ours", "CLIP-T", 0.31)));
        error = new StringWriter();
        Assert.Equal(1, BaselineCommand.Check(measured, baseline, Default, new StringWriter(), error));
        Assert.Contains("core/Table1  Ours    CLIP-T  0.3 (n=2)  0.31 (n=2)  +0.01  0.0001     moved beyond tolerance", error.ToString());
        log = new StringWriter();
        BaselineCommand.Update(measured, baseline, ["core/Table1"], log);
        Assert.Contains("core/Table1: changed (1 row(s)", log.ToString());
        Assert.Contains("adb/Table1: kept as it is", log.ToString());
        Assert.Equal(0, BaselineCommand.Check(measured, baseline, Default, new StringWriter(), new StringWriter()));
        log = new StringWriter();
        BaselineCommand.Update(measured, baseline, null, log);
        Assert.Contains("adb/Table1: unchanged", log.ToString());
        Assert.Contains("unchanged", log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);

        // A baseline table the run did not produce is a difference; a measured table without a baseline is only listed.
        Directory.Move(Path.Combine(measured, "adb"), Path.Combine(measured, "adb-moved"));
        var missing = RegressionBaseline.CompareFolders(baseline, measured, Default);
        Assert.Equal(BaselineDifferenceKind.TableMissing, Assert.Single(missing.Differences).Kind);
        Directory.Move(Path.Combine(measured, "adb-moved"), Path.Combine(measured, "adb"));
        TableResults.WriteMeasured(Path.Combine(measured, "adb", "Table4", "measured.csv"), Baseline);
        var extra = RegressionBaseline.CompareFolders(baseline, measured, Default);
        Assert.True(extra.Passed);
        Assert.Equal(["adb/Table4"], extra.Unchecked);
        Directory.Delete(root, recursive: true);
    }

    /// <summary>
    /// The proof, kept to three cheap cells: a smoke table (one concept, two prompts, one image, two sampling steps) with
    /// two rows, TI+DB and "Control" (the same TI+DB config under another label: one shared cell), run through the
    /// harness. A rerun with the cell cache emptied (the cell trained, sampled and scored again) passes the check; a rerun
    /// where the TI+DB row trains with another learning rate (a row override: the planted change) fails it, naming TI+DB
    /// and not the unchanged Control row.
    /// </summary>
    [Fact]
    public void Check_passes_an_unchanged_rerun_and_fails_a_planted_change_naming_the_method()
    {
        string root = Directory.CreateTempSubdirectory("repro-baseline-planted").FullName;
        string configs = Path.Combine(FixturePaths.RepoRoot, "paper-configs");
        var adb = TableCommand.Load(configs).Single(p => p.Id == "adb");
        var tiDb = adb.Table("Table1").Rows.Single(r => r.Method == "TI+DB");
        var table = adb.Table("Table1") with { Rows = [tiDb, tiDb with { Label = "Control" }] };
        var planted = table with { Rows = [tiDb with { Overrides = new JsonObject { ["learningRate"] = 1e-3 } }, tiDb with { Label = "Control" }] };
        var env = HarnessEnvironment.Resolve(new HarnessOptions(configs, "smoke", CacheDir: Path.Combine(root, "cache")), _ => { });

        TableOutcome Run(TableEntry t, string output) =>
            TableRunner.Run(adb with { Tables = [t] }, t, env with { OutputDir = Path.Combine(root, output) }, _ => { });

        var first = Run(table, "baseline");
        Assert.Equal((2, 1), (first.Cells, first.Hits)); // the Control row reuses the TI+DB cell
        Assert.Equal(4, first.Measured.Count);
        Directory.Delete(Path.Combine(root, "cache", "cells"), recursive: true);
        var rerun = Run(table, "rerun");
        Assert.Equal((2, 1), (rerun.Cells, rerun.Hits));
        var changed = Run(planted, "planted"); // only the planted TI+DB cell is new
        Assert.Equal((2, 1), (changed.Cells, changed.Hits));

        string baseline = Path.Combine(root, "baseline");
        var (output, error) = (new StringWriter(), new StringWriter());
        Assert.Equal(0, BaselineCommand.Check(Path.Combine(root, "rerun"), baseline, Default, output, error));
        Assert.Contains("baseline: 4 rows within tolerance", output.ToString());

        var result = RegressionBaseline.CompareFolders(baseline, Path.Combine(root, "planted"), Default);
        Assert.False(result.Passed);
        Assert.All(result.Differences, d => Assert.Equal(("adb/Table1", "TI+DB", BaselineDifferenceKind.Moved), (d.Table, d.Method, d.Kind)));
        error = new StringWriter();
        Assert.Equal(1, BaselineCommand.Check(Path.Combine(root, "planted"), baseline, Default, new StringWriter(), error));
        Assert.Contains("adb/Table1  TI+DB", error.ToString());
        Assert.DoesNotContain("Control", error.ToString());
        Directory.Delete(root, recursive: true);
    }
}
