using System.CommandLine;
using System.Text;
using Repro.Experiments.Harness;
using Repro.Model.IO;

namespace Repro.Experiments.Commands;

/// <summary>
/// <c>repro baseline check|update</c>: the smoke tables' regression baseline (docs/harness.md, "Regression baseline").
/// check compares measured.csv files with the committed baseline; update copies them over it (atomically) and prints
/// what changed, for review of the diff.
/// </summary>
public static class BaselineCommand
{
    public const string DefaultMeasured = "out/smoke";
    public const string DefaultBaseline = "results/baseline/smoke";

    public static Command Create()
    {
        var measured = new Option<string>("--measured") { Description = "Results root of the run: <paper>/<table>/measured.csv.", DefaultValueFactory = _ => DefaultMeasured };
        var baseline = new Option<string>("--baseline") { Description = "Baseline root: <paper>/<table>/measured.csv.", DefaultValueFactory = _ => DefaultBaseline };
        var tolerance = new Option<double>("--tolerance") { Description = "Absolute tolerance on a mean.", DefaultValueFactory = _ => BaselineTolerance.DefaultAbsolute };
        var relative = new Option<double>("--relative-tolerance") { Description = "Relative tolerance on a mean (times |baseline|), added to the absolute one.", DefaultValueFactory = _ => BaselineTolerance.DefaultRelative };
        var check = new Command("check", "Compares measured.csv files with the baseline: exit 1 and the difference table on stderr when a mean moved beyond the tolerance, n changed, or a row or table is missing or extra.")
            { measured, baseline, tolerance, relative };
        check.SetAction(r =>
        {
            int code = 0;
            int guarded = Cli.Guard(() => code = Check(r.GetValue(measured)!, r.GetValue(baseline)!, Tolerance(r.GetValue(tolerance), r.GetValue(relative)), Console.Out, Console.Error));
            return guarded != 0 ? guarded : code;
        });

        var umeasured = new Option<string>("--measured") { Description = "Results root of the run: <paper>/<table>/measured.csv.", DefaultValueFactory = _ => DefaultMeasured };
        var ubaseline = new Option<string>("--baseline") { Description = "Baseline root to write.", DefaultValueFactory = _ => DefaultBaseline };
        var target = new Option<string?>("--target") { Description = "Only the tables of this target (ReproTable1, ReproAdbTable1, ...; default: every table under --measured)." };
        var configs = new Option<string?>("--configs") { Description = "The paper-configs folder, for --target (default: ./paper-configs)." };
        var update = new Command("update", "Copies the measured.csv files over the baseline (atomically), writes its README, and prints what changed.")
            { umeasured, ubaseline, target, configs };
        update.SetAction(r => Cli.Guard(() =>
        {
            IReadOnlyList<string>? tables = r.GetValue(target) is { } t
                ? TableCommand.Resolve(TableCommand.Load(r.GetValue(configs) ?? "paper-configs"), t).Select(x => $"{x.Paper.Id}/{x.Table.Id}").ToList()
                : null;
            Update(r.GetValue(umeasured)!, r.GetValue(ubaseline)!, tables, Console.Out);
        }));
        return new Command("baseline", "Regression baseline of the smoke tables: check, update.") { check, update };
    }

    private static BaselineTolerance Tolerance(double absolute, double relative) =>
        absolute < 0 || relative < 0 || double.IsNaN(absolute) || double.IsNaN(relative)
            ? throw new ArgumentException($"--tolerance and --relative-tolerance must be ≥ 0 (got {absolute}, {relative})")
            : new BaselineTolerance(absolute, relative);

    /// <summary>Prints "baseline: N rows within tolerance" (0) or the difference table on <paramref name="error"/> (1).</summary>
    public static int Check(string measuredDir, string baselineDir, BaselineTolerance tolerance, TextWriter output, TextWriter error)
    {
        var result = RegressionBaseline.CompareFolders(baselineDir, measuredDir, tolerance);
        foreach (string table in result.Unchecked)
            error.WriteLine($"baseline: {table} has no baseline in {baselineDir} (not checked)");
        if (result.Passed)
        {
            output.WriteLine($"baseline: {result.RowsCompared} rows within tolerance ({tolerance}) of {baselineDir}");
            return 0;
        }
        error.WriteLine($"baseline: {result.Differences.Count} difference(s) from {baselineDir} (tolerance {tolerance}; {result.RowsCompared} rows compared):");
        error.Write(RegressionBaseline.Format(result.Differences));
        error.WriteLine($"baseline: if the change is intended, re-baseline with `{RegressionBaseline.UpdateCommand}` and commit the reviewed diff of {baselineDir}.");
        return 1;
    }

    /// <summary>
    /// Copies &lt;measured&gt;/&lt;paper&gt;/&lt;table&gt;/measured.csv (every table, or <paramref name="tables"/>) to the
    /// baseline, byte for byte and atomically, then rewrites the baseline README. Prints per table whether it is new,
    /// unchanged or changed (with every changed row, at tolerance 0).
    /// </summary>
    public static void Update(string measuredDir, string baselineDir, IReadOnlyList<string>? tables, TextWriter output)
    {
        if (!Directory.Exists(measuredDir)) throw new DirectoryNotFoundException($"{measuredDir}: measured folder not found (run the smoke tables first: dotnet build -t:ReproTable1 -p:Scale=smoke)");
        var available = RegressionBaseline.Tables(measuredDir);
        var chosen = tables ?? available;
        var absent = chosen.Except(available, StringComparer.Ordinal).ToList();
        if (absent.Count > 0) throw new FileNotFoundException($"{measuredDir}: no {RegressionBaseline.MeasuredFile} for {string.Join(", ", absent)} (run the tables first)");
        if (chosen.Count == 0) throw new InvalidDataException($"{measuredDir}: no <paper>/<table>/{RegressionBaseline.MeasuredFile} to copy");
        // Every file is read and parsed before anything is written: a malformed file changes nothing.
        var files = chosen.Select(t => (Table: t, Bytes: File.ReadAllBytes(Path.Combine(measuredDir, t, RegressionBaseline.MeasuredFile)))).ToList();
        var parsed = files.ToDictionary(f => f.Table, f => RegressionBaseline.Parse(Encoding.UTF8.GetString(f.Bytes), Path.Combine(measuredDir, f.Table, RegressionBaseline.MeasuredFile)));
        int changed = 0;
        foreach (var (table, bytes) in files)
        {
            string target = Path.Combine(baselineDir, table, RegressionBaseline.MeasuredFile);
            if (!File.Exists(target))
            {
                output.WriteLine($"baseline: {table}: new ({parsed[table].Count} rows)");
                changed++;
            }
            else if (File.ReadAllBytes(target).AsSpan().SequenceEqual(bytes))
                output.WriteLine($"baseline: {table}: unchanged");
            else
            {
                var diff = RegressionBaseline.Compare(RegressionBaseline.Read(target), parsed[table], new BaselineTolerance(0, 0), table);
                output.WriteLine($"baseline: {table}: changed ({diff.Differences.Count} row(s) differ in mean, n or presence; CI bounds or formatting otherwise)");
                if (diff.Differences.Count > 0) output.Write(RegressionBaseline.Format(diff.Differences));
                changed++;
            }
            AtomicFile.WriteAllBytes(target, bytes);
        }
        foreach (string stale in RegressionBaseline.Tables(baselineDir).Except(chosen, StringComparer.Ordinal))
            output.WriteLine($"baseline: {stale}: kept as it is (not among the tables copied); delete it by hand if it should go");
        AtomicFile.WriteAllText(Path.Combine(baselineDir, "README.md"), Readme(RegressionBaseline.Tables(baselineDir)));
        output.WriteLine(changed == 0
            ? $"baseline: {baselineDir} unchanged"
            : $"baseline: {changed} table(s) written to {baselineDir}; review `git diff -- {baselineDir}` and commit it with the reason for the change");
    }

    /// <summary>The baseline's README: what it is, the tolerance, and the command that regenerates it (no dates: the diff stays clean).</summary>
    public static string Readme(IReadOnlyList<string> tables) => $"""
        # Regression baseline: smoke tables

        Written by `repro baseline update`; regenerate it with `{RegressionBaseline.UpdateCommand}` (runs `ReproTable1` at
        smoke scale with the harness defaults for base model, evaluators and data, then copies
        `out/smoke/<paper>/<table>/measured.csv` here byte for byte). Review `git diff` of this folder and commit it with
        the reason for the change.

        CI (`.ci/run`) reruns the smoke tables and runs `dotnet build -t:ReproCheckBaseline`
        (`repro baseline check --measured out/smoke --baseline results/baseline/smoke`). It fails, printing the
        differences, when a (method, metric) mean moves by more than the tolerance, when its n changes, or when a row or a
        table is missing or extra.

        Tolerance: |measured − baseline| ≤ {BaselineTolerance.Default} (`--tolerance`, `--relative-tolerance`;
        `-p:BaselineTolerance=` for the MSBuild target). The runs are deterministic on one machine (fixed seeds, CPU); the
        tolerance absorbs float summation order on other CPUs or thread counts. See docs/harness.md, "Regression baseline".

        Tables: {string.Join(", ", tables)}.

        """.ReplaceLineEndings("\n");
}
