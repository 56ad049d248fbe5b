using Repro.Model.IO;
using System.Text.Json;
using ScottPlot;

namespace Repro.Experiments.Harness;

/// <summary>A plotted series (kept next to the PNGs in charts.json, so tests and readers check the data behind a chart).</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<string> Labels, IReadOnlyList<double> X, IReadOnlyList<double> Y, IReadOnlyList<double>? Error = null);

public sealed record Chart(string File, string Title, IReadOnlyList<ChartSeries> Series);

/// <summary>
/// ScottPlot charts of a table: grouped bars (reported vs measured, CI whiskers) per metric, the identity-vs-text
/// trade-off scatter (reported and measured points, labelled), and a loss-curve panel per method.
/// </summary>
public static class TableCharts
{
    public const string DataFile = "charts.json";

    public static IReadOnlyList<Chart> Build(Definitions.TableEntry table, IReadOnlyList<ComparisonRow> comparison,
                                             IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyList<(int Step, double Loss)>>> losses)
    {
        var charts = new List<Chart>();
        var methods = table.Rows.Select(r => r.Display).ToList();
        foreach (string metric in table.Metrics)
        {
            var rows = comparison.Where(c => c.Metric == metric).ToList();
            var measured = rows.Where(r => r.Measured is not null).ToList();
            charts.Add(new Chart($"bars_{Slug(metric)}.png", $"{table.Id}: {metric}, reported vs measured (95% CI)",
            [
                new ChartSeries("reported", rows.Select(r => r.Method).ToList(), rows.Select(r => (double)methods.IndexOf(r.Method)).ToList(), rows.Select(r => r.Reported).ToList()),
                new ChartSeries("measured", measured.Select(r => r.Method).ToList(), measured.Select(r => (double)methods.IndexOf(r.Method)).ToList(),
                                measured.Select(r => r.Measured!.Mean).ToList(), measured.Select(r => (r.Measured!.High - r.Measured.Low) / 2).ToList()),
            ]));
        }
        string? identity = table.Metrics.FirstOrDefault(m => TableResults.MetricOf(m) == Evaluation.Metric.ClipI);
        string? text = table.Metrics.FirstOrDefault(m => TableResults.MetricOf(m) == Evaluation.Metric.ClipT);
        if (identity is not null && text is not null)
        {
            ChartSeries Points(string name, Func<ComparisonRow, double?> value)
            {
                var names = methods.Where(m => comparison.Where(c => c.Method == m).All(c => value(c) is not null)).ToList();
                double V(string m, string metric) => value(comparison.First(c => c.Method == m && c.Metric == metric))!.Value;
                return new ChartSeries(name, names, names.Select(m => V(m, identity)).ToList(), names.Select(m => V(m, text)).ToList());
            }
            charts.Add(new Chart("tradeoff.png", $"{table.Id}: identity vs text alignment", [Points("reported", c => c.Reported), Points("measured", c => c.Measured?.Mean)]));
        }
        foreach (var (method, curves) in losses)
            charts.Add(new Chart($"loss_{Slug(method)}.png", $"{method}: training loss (stages concatenated), one line per cell",
                curves.Select((c, i) => new ChartSeries($"cell {i + 1}", [], c.Select((p, k) => (double)k + 1).ToList(), c.Select(p => p.Loss).ToList())).ToList()));
        return charts;
    }

    public static void Save(IReadOnlyList<Chart> charts, string folder, IReadOnlyList<string> categories)
    {
        foreach (var chart in charts) AtomicFile.Write(Path.Combine(folder, chart.File), temp => Render(chart, categories).SavePng(temp, 900, 540));
        AtomicFile.WriteAllText(Path.Combine(folder, DataFile), JsonSerializer.Serialize(charts, new JsonSerializerOptions { WriteIndented = true }));
    }

    private static Plot Render(Chart chart, IReadOnlyList<string> categories)
    {
        var plot = new Plot();
        plot.Title(chart.Title);
        if (chart.File.StartsWith("bars_", StringComparison.Ordinal))
        {
            var colors = new[] { Colors.Gray, Colors.SteelBlue };
            for (int s = 0; s < chart.Series.Count; s++)
            {
                var series = chart.Series[s];
                var bars = series.X.Select((x, i) => new Bar
                {
                    Position = x * 3 + s, Value = series.Y[i], Error = series.Error?[i] ?? 0, FillColor = colors[s % colors.Length],
                }).ToList();
                plot.Add.Bars(bars);
                plot.Legend.ManualItems.Add(new LegendItem { LabelText = series.Name, FillColor = colors[s % colors.Length] });
            }
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                categories.Select((_, i) => i * 3 + 0.5).ToArray(), categories.ToArray());
            plot.Axes.Margins(bottom: 0);
        }
        else if (chart.File == "tradeoff.png")
        {
            foreach (var series in chart.Series)
            {
                var points = plot.Add.ScatterPoints(series.X.ToArray(), series.Y.ToArray());
                points.LegendText = series.Name;
                points.MarkerSize = 9;
                for (int i = 0; i < series.Labels.Count; i++)
                {
                    var label = plot.Add.Text($"{series.Labels[i]} ({series.Name[0]})", series.X[i], series.Y[i]);
                    label.LabelFontSize = 10;
                }
            }
            plot.XLabel("identity (CLIP-I)");
            plot.YLabel("text alignment (CLIP-T)");
        }
        else
        {
            foreach (var series in chart.Series)
                plot.Add.Scatter(series.X.ToArray(), series.Y.ToArray()).LegendText = series.Name;
            plot.XLabel("step");
            plot.YLabel("loss");
        }
        plot.ShowLegend();
        return plot;
    }

    public static string Slug(string text) =>
        string.Join('-', new string(text.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray()).Split('-', StringSplitOptions.RemoveEmptyEntries));
}
