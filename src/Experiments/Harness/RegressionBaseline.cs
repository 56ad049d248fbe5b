using System.Globalization;
using System.Text;
using CsvHelper;

namespace Repro.Experiments.Harness;

/// <summary>
/// How far a measured mean may move from its baseline: |measured − baseline| ≤ Absolute + Relative·|baseline|.
/// </summary>
/// <remarks>
/// Default 1e-4 absolute, no relative part. The smoke runs are deterministic on one machine (fixed seeds, CPU), so the
/// baseline is normally reproduced bit for bit; across CPUs or thread counts float sums may be reduced in another order
/// and the scores (cosines in [-1, 1], summarized to 6 decimals in measured.csv) can move in the last digits. 1e-4 is
/// ~100× that noise and ~100× below any change a method edit makes to a cosine score. Metrics on larger scales (e.g.
/// percentages) can add a relative part.
/// </remarks>
public sealed record BaselineTolerance(double Absolute = BaselineTolerance.DefaultAbsolute, double Relative = BaselineTolerance.DefaultRelative)
{
    public const double DefaultAbsolute = 1e-4;
    public const double DefaultRelative = 0;

    public static BaselineTolerance Default { get; } = new();

    /// <summary>The allowed |delta| for a baseline value.</summary>
    public double For(double baseline) => Absolute + Relative * (double.IsNaN(baseline) ? 0 : Math.Abs(baseline));

    public override string ToString() => Relative == 0
        ? $"{Absolute.ToString("G", CultureInfo.InvariantCulture)} absolute"
        : $"{Absolute.ToString("G", CultureInfo.InvariantCulture)} absolute + {Relative.ToString("G", CultureInfo.InvariantCulture)} × |baseline|";
}

/// <summary>What kind of difference a row shows.</summary>
public enum BaselineDifferenceKind
{
    /// <summary>The mean moved beyond the tolerance (or became / stopped being NaN).</summary>
    Moved,
    /// <summary>The n (images) differs.</summary>
    CountChanged,
    /// <summary>A (method, metric) of the baseline is not in the measured file.</summary>
    Missing,
    /// <summary>A (method, metric) of the measured file is not in the baseline.</summary>
    Extra,
    /// <summary>A whole table of the baseline has no measured.csv.</summary>
    TableMissing,
}

/// <summary>One difference: where (table = "paper/table", may be empty), which row, the two values, and the tolerance applied.</summary>
public sealed record BaselineDifference(string Table, string Method, string Metric, BaselineDifferenceKind Kind, MeasuredRow? Baseline, MeasuredRow? Measured, double Tolerance)
{
    public double? Delta => Baseline is null || Measured is null ? null : Measured.Mean - Baseline.Mean;
}

/// <summary>The result of comparing one or more tables: rows compared and the differences found.</summary>
public sealed record BaselineComparison(int RowsCompared, IReadOnlyList<BaselineDifference> Differences, IReadOnlyList<string> Unchecked)
{
    public bool Passed => Differences.Count == 0;
}

/// <summary>
/// Regression check of measured.csv files against a committed baseline (docs/harness.md, "Regression baseline"): rows
/// are matched by (method, metric); a row differs when its mean moved beyond the tolerance, its n changed, or it is
/// missing or extra. Pure: reading and comparing only; <c>repro baseline</c> does the printing and copying.
/// </summary>
public static class RegressionBaseline
{
    public const string MeasuredFile = "measured.csv";

    /// <summary>The command that regenerates the committed smoke baseline (written into its README).</summary>
    public const string UpdateCommand = "dotnet build -t:ReproUpdateBaseline";

    /// <summary>Compares the rows of one table.</summary>
    public static BaselineComparison Compare(IReadOnlyList<MeasuredRow> baseline, IReadOnlyList<MeasuredRow> measured, BaselineTolerance tolerance, string table = "")
    {
        var differences = new List<BaselineDifference>();
        var measuredByKey = Index(measured, table, "measured");
        var baselineByKey = Index(baseline, table, "baseline");
        int compared = 0;
        foreach (var b in baseline)
        {
            double allowed = tolerance.For(b.Mean);
            if (!measuredByKey.TryGetValue((b.Method, b.Metric), out var m))
            {
                differences.Add(new BaselineDifference(table, b.Method, b.Metric, BaselineDifferenceKind.Missing, b, null, allowed));
                continue;
            }
            compared++;
            if (Moved(b.Mean, m.Mean, allowed)) differences.Add(new BaselineDifference(table, b.Method, b.Metric, BaselineDifferenceKind.Moved, b, m, allowed));
            else if (b.N != m.N) differences.Add(new BaselineDifference(table, b.Method, b.Metric, BaselineDifferenceKind.CountChanged, b, m, allowed));
        }
        foreach (var m in measured.Where(m => !baselineByKey.ContainsKey((m.Method, m.Metric))))
            differences.Add(new BaselineDifference(table, m.Method, m.Metric, BaselineDifferenceKind.Extra, null, m, tolerance.For(m.Mean)));
        return new BaselineComparison(compared, differences, []);
    }

    /// <summary>
    /// Compares every &lt;paper&gt;/&lt;table&gt;/measured.csv of the baseline folder with the same file under the measured
    /// folder. A baseline table without a measured file is a difference; measured tables without a baseline are listed
    /// in <see cref="BaselineComparison.Unchecked"/> (they are not part of the baseline: nothing to compare).
    /// </summary>
    public static BaselineComparison CompareFolders(string baselineDir, string measuredDir, BaselineTolerance tolerance)
    {
        if (!Directory.Exists(baselineDir)) throw new DirectoryNotFoundException($"{baselineDir}: baseline folder not found (create it with `{UpdateCommand}`)");
        if (!Directory.Exists(measuredDir)) throw new DirectoryNotFoundException($"{measuredDir}: measured folder not found (run the smoke tables first: dotnet build -t:ReproTable1 -p:Scale=smoke)");
        var baselineTables = Tables(baselineDir);
        if (baselineTables.Count == 0) throw new InvalidDataException($"{baselineDir}: no <paper>/<table>/{MeasuredFile} in the baseline (create it with `{UpdateCommand}`)");
        var measuredTables = Tables(measuredDir);
        int compared = 0;
        var differences = new List<BaselineDifference>();
        foreach (string table in baselineTables)
        {
            var baseline = Read(Path.Combine(baselineDir, table, MeasuredFile));
            string measuredPath = Path.Combine(measuredDir, table, MeasuredFile);
            if (!File.Exists(measuredPath))
            {
                differences.Add(new BaselineDifference(table, "", "", BaselineDifferenceKind.TableMissing, null, null, tolerance.Absolute));
                continue;
            }
            var result = Compare(baseline, Read(measuredPath), tolerance, table);
            compared += result.RowsCompared;
            differences.AddRange(result.Differences);
        }
        return new BaselineComparison(compared, differences, measuredTables.Except(baselineTables, StringComparer.Ordinal).ToList());
    }

    /// <summary>The "paper/table" folders (forward slashes, sorted) under a root that hold a measured.csv.</summary>
    public static IReadOnlyList<string> Tables(string root) =>
        !Directory.Exists(root) ? [] :
        Directory.GetFiles(root, MeasuredFile, SearchOption.AllDirectories)
                 .Select(f => Path.GetRelativePath(root, Path.GetDirectoryName(f)!).Replace('\\', '/'))
                 .Where(t => t.Count(c => c == '/') == 1)
                 .Order(StringComparer.Ordinal).ToList();

    /// <summary>Reads a measured.csv as written by <see cref="TableResults.WriteMeasured"/> (empty mean/CI = NaN).</summary>
    public static IReadOnlyList<MeasuredRow> Read(string path) => Parse(File.ReadAllText(path), path);

    public static IReadOnlyList<MeasuredRow> Parse(string text, string source)
    {
        using var csv = CsvReader.FromText(text);
        var rows = new List<MeasuredRow>();
        int line = 1;
        try
        {
            while (csv.Read())
            {
                line++;
                rows.Add(new MeasuredRow(csv.GetString("method"), csv.GetString("metric"), CsvFiles.Parse(csv.GetString("mean")),
                                         CsvFiles.Parse(csv.GetString("ci95_low")), CsvFiles.Parse(csv.GetString("ci95_high")),
                                         int.Parse(csv.GetString("n"), NumberStyles.Integer, CultureInfo.InvariantCulture)));
            }
        }
        catch (Exception e) when (e is FormatException or ArgumentException or KeyNotFoundException or IndexOutOfRangeException or CsvFormatException)
        {
            throw new InvalidDataException($"{source}: record {line}: {e.Message} (expected the columns method,metric,mean,ci95_low,ci95_high,n)", e);
        }
        return rows;
    }

    /// <summary>A fixed-width text table of the differences (table, method, metric, baseline, measured, delta, tolerance, what).</summary>
    public static string Format(IReadOnlyList<BaselineDifference> differences)
    {
        var header = new[] { "table", "method", "metric", "baseline", "measured", "delta", "tolerance", "difference" };
        var rows = differences.Select(d => new[]
        {
            d.Table, d.Method, d.Metric, Value(d.Baseline), Value(d.Measured), d.Delta is { } delta ? Signed(delta) : "",
            d.Kind is BaselineDifferenceKind.Moved ? d.Tolerance.ToString("G6", CultureInfo.InvariantCulture) : "", Describe(d),
        }).ToList();
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        void Line(string[] cells) => text.AppendLine(string.Join("  ", cells.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        Line(header);
        Line(widths.Select(w => new string('-', w)).ToArray());
        foreach (var row in rows) Line(row);
        return text.ToString();
    }

    private static string Describe(BaselineDifference d) => d.Kind switch
    {
        BaselineDifferenceKind.Moved => "moved beyond tolerance",
        BaselineDifferenceKind.CountChanged => $"n {d.Baseline!.N} -> {d.Measured!.N}",
        BaselineDifferenceKind.Missing => "missing from measured",
        BaselineDifferenceKind.Extra => "not in baseline",
        BaselineDifferenceKind.TableMissing => $"no measured {MeasuredFile} for this table",
        _ => d.Kind.ToString(),
    };

    private static bool Moved(double baseline, double measured, double allowed) =>
        double.IsNaN(baseline) || double.IsNaN(measured) ? double.IsNaN(baseline) != double.IsNaN(measured) : Math.Abs(measured - baseline) > allowed;

    private static Dictionary<(string, string), MeasuredRow> Index(IReadOnlyList<MeasuredRow> rows, string table, string what)
    {
        var index = new Dictionary<(string, string), MeasuredRow>();
        foreach (var r in rows)
            if (!index.TryAdd((r.Method, r.Metric), r))
                throw new InvalidDataException($"{(table.Length > 0 ? table + ": " : "")}{what} has two rows for ({r.Method}, {r.Metric})");
        return index;
    }

    private static string Value(MeasuredRow? r) => r is null ? "" : $"{N(r.Mean)} (n={r.N})";

    private static string N(double v) => double.IsNaN(v) ? "NaN" : v.ToString("0.######", CultureInfo.InvariantCulture);

    private static string Signed(double v) => double.IsNaN(v) ? "NaN" : (v > 0 ? "+" : "") + v.ToString("G6", CultureInfo.InvariantCulture);
}
