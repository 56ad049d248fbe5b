using System.Globalization;
using Repro.Experiments.Evaluation;
using Repro.Experiments.Harness.Definitions;

namespace Repro.Experiments.Harness;

/// <summary>A measured mean with its bootstrap interval; n = images.</summary>
public sealed record MeasuredRow(string Method, string Metric, double Mean, double Low, double High, int N);

/// <summary>
/// Paper vs measured for one row and metric. Measured null = "not run" (the method is not implemented), or, when
/// <see cref="Unavailable"/> is set, the metric cannot be measured in this environment (e.g. DINO in the miniature world).
/// </summary>
public sealed record ComparisonRow(string Method, string Metric, double Reported, MeasuredRow? Measured, int RankPaper, int? RankMeasured, string? Unavailable = null)
{
    /// <summary>The status column: measured, not run, or why the metric is unavailable.</summary>
    public string Status => Measured is not null ? "measured" : Unavailable ?? "not run";

    public double? Delta => Measured is null ? null : Measured.Mean - Reported;
    public double? RelativeDelta => Delta / Reported;
}

/// <summary>Aggregates a table's cells into measured rows, comparisons with the paper, and Kendall's τ per metric.</summary>
public static class TableResults
{
    public static Metric MetricOf(string name) => DefinitionLoader.KnownMetrics[name] switch
    {
        "clip_i" => Metric.ClipI, "clip_t" => Metric.ClipT, "dino" => Metric.Dino,
        _ => throw new ArgumentException($"metric '{name}' is reported only"),
    };

    public static IReadOnlyList<MeasuredRow> Measure(TableEntry table, IReadOnlyList<(RowEntry Row, string Concept, CellResult Cell)> cells, int resamples, int seed = 0)
    {
        var scores = cells.SelectMany(c => c.Cell.Scores.Select(s => new ImageScore(c.Row.Display, c.Concept, s.Prompt, s.Image, s.ClipT, s.ClipI, s.Dino))).ToList();
        var summary = ScoreAggregator.Summarize(scores, [], new HierarchicalBootstrap(Aggregation.Hierarchical, resamples, seed), perPrompt: false);
        var rows = new List<MeasuredRow>();
        foreach (var row in table.Rows)
        foreach (string metric in table.Metrics)
        {
            var e = summary.FirstOrDefault(s => s.Level == "method" && s.Method == row.Display && s.Metric == MetricOf(metric))?.Estimate;
            if (e is not null) rows.Add(new MeasuredRow(row.Display, metric, e.Mean, e.Low, e.High, e.Count));
        }
        return rows;
    }

    /// <summary>The table's metrics that cannot be measured in <paramref name="env"/> → why (DINO without a DINO model).</summary>
    public static IReadOnlyDictionary<string, string> Unavailable(TableEntry table, HarnessEnvironment env) =>
        table.Metrics.Where(m => MetricOf(m) == Metric.Dino && env.DinoDir is null)
             .ToDictionary(m => m, _ => env.DinoUnavailable ?? "no DINO model");

    /// <summary>Reported vs measured per row and metric; a metric in <paramref name="unavailable"/> is never measured (its rows carry the reason).</summary>
    public static IReadOnlyList<ComparisonRow> Compare(TableEntry table, IReadOnlyList<MeasuredRow> measured, IReadOnlyDictionary<string, string>? unavailable = null)
    {
        var result = new List<ComparisonRow>();
        foreach (string metric in table.Metrics)
        {
            var paperRank = Ranks(table.Rows.Select(r => (r.Display, r.Reported[metric])));
            string? why = unavailable is not null && unavailable.TryGetValue(metric, out var reason) ? reason : null;
            var ours = why is null ? measured.Where(m => m.Metric == metric).ToList() : [];
            var ourRank = Ranks(ours.Select(m => (m.Method, m.Mean)));
            foreach (var row in table.Rows)
            {
                var m = ours.FirstOrDefault(x => x.Method == row.Display);
                result.Add(new ComparisonRow(row.Display, metric, row.Reported[metric], m, paperRank[row.Display], m is null ? null : ourRank[row.Display], why));
            }
        }
        return result;
    }

    /// <summary>Rank 1 = highest value (every metric here is higher-is-better); ties share the lower rank.</summary>
    public static Dictionary<string, int> Ranks(IEnumerable<(string Name, double Value)> values)
    {
        var list = values.ToList();
        return list.ToDictionary(v => v.Name, v => 1 + list.Count(o => o.Value > v.Value));
    }

    /// <summary>Kendall's τ-b between the paper's and our values over the rows we ran (null when fewer than 2).</summary>
    public static double? KendallTau(IReadOnlyList<(double Paper, double Ours)> pairs)
    {
        if (pairs.Count < 2) return null;
        long concordant = 0, discordant = 0, tiesPaper = 0, tiesOurs = 0;
        for (int i = 0; i < pairs.Count; i++)
        for (int j = i + 1; j < pairs.Count; j++)
        {
            int a = Math.Sign(pairs[i].Paper - pairs[j].Paper), b = Math.Sign(pairs[i].Ours - pairs[j].Ours);
            if (a == 0 && b == 0) continue;
            if (a == 0) tiesPaper++;
            else if (b == 0) tiesOurs++;
            else if (a == b) concordant++;
            else discordant++;
        }
        double denominator = Math.Sqrt((double)(concordant + discordant + tiesPaper) * (concordant + discordant + tiesOurs));
        return denominator == 0 ? null : (concordant - discordant) / denominator;
    }

    public static void WriteMeasured(string path, IReadOnlyList<MeasuredRow> rows) =>
        CsvFiles.Write(path, new[] { new[] { "method", "metric", "mean", "ci95_low", "ci95_high", "n" } }
            .Concat(rows.Select(r => new[] { r.Method, r.Metric, F(r.Mean), F(r.Low), F(r.High), r.N.ToString(CultureInfo.InvariantCulture) })));

    public static void WriteComparison(string path, IReadOnlyList<ComparisonRow> rows) =>
        CsvFiles.Write(path, new[] { new[] { "method", "metric", "reported", "measured", "delta", "relative_delta", "rank_paper", "rank_measured", "status" } }
            .Concat(rows.Select(r => new[]
            {
                r.Method, r.Metric, F(r.Reported), r.Measured is null ? "" : F(r.Measured.Mean), r.Delta is { } d ? F(d) : "",
                r.RelativeDelta is { } rd ? F(rd) : "", r.RankPaper.ToString(CultureInfo.InvariantCulture),
                r.RankMeasured?.ToString(CultureInfo.InvariantCulture) ?? "", r.Status,
            })));

    public static string F(double v) => double.IsNaN(v) ? "" : v.ToString("0.######", CultureInfo.InvariantCulture);
}
