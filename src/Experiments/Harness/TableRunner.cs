using System.Diagnostics;
using Repro.Experiments.Evaluation;
using Repro.Experiments.Harness.Definitions;
using Repro.Model.Runtime;

namespace Repro.Experiments.Harness;

/// <summary>What a table run produced.</summary>
public sealed record TableOutcome(string Folder, int Cells, int Hits, double Seconds, IReadOnlyList<MeasuredRow> Measured, IReadOnlyList<ComparisonRow> Comparison);

/// <summary>
/// Runs one table: plans its cells, runs the unfinished ones (finished cells come from the cache), and writes
/// measured.csv, comparison.csv, the charts and report.md under &lt;output&gt;/&lt;paper&gt;/&lt;table&gt;/ (locked while written).
/// </summary>
public static class TableRunner
{
    public static TableOutcome Run(PaperDefinition paper, TableEntry table, HarnessEnvironment env, Action<string> log, int? onlyCell = null)
    {
        var watch = Stopwatch.StartNew();
        var scale = paper.Scale(env.Options.Scale);
        var cells = TablePlan.Cells(paper, table, scale, env);
        if (onlyCell is { } index && (index < 0 || index >= cells.Count))
            throw new ArgumentException($"cell index {index} is out of range: {paper.Id} {table.Id} has {cells.Count} cell(s) at scale {scale.Name}");
        string folder = Path.Combine(env.OutputDir, paper.Id, table.Id);
        using var outputLock = onlyCell is null ? FileLock.Acquire(Path.Combine(folder, ".lock"), log) : null;
        var evaluator = new Lazy<Evaluator>(() => LoadEvaluator(paper, env, scale));
        var results = new List<(RowEntry Row, string Concept, CellResult Cell)>();
        int done = 0, computed = 0;
        double computeSeconds = 0;
        for (int i = 0; i < cells.Count; i++)
        {
            if (onlyCell is { } only && only != i) continue;
            var cell = cells[i];
            string what = $"{cell.Row.Display} / {cell.Spec.Concept} / seed {cell.Spec.Seed} [{cell.Spec.Key[..12]}]";
            int remaining = cells.Count - done;
            string eta = computed == 0 ? "?" : TimeSpan.FromSeconds(computeSeconds / computed * remaining).ToString(@"h\:mm\:ss");
            string prefix = $"[{paper.Id} {table.Id} | cells {done}/{cells.Count} | ETA {eta}] {what}";
            var result = CellRunner.TryLoad(env.CacheDir, cell.Spec.Key);
            if (result is null)
            {
                log($"{prefix}: running");
                var started = Stopwatch.StartNew();
                result = CellRunner.Run(cell, env, evaluator.Value, line => log($"{prefix}: {line}"));
                if (!result.Hit) { computed++; computeSeconds += started.Elapsed.TotalSeconds; }
            }
            log($"{prefix}: {(result.Hit ? "cached" : $"done in {result.Seconds:F1} s")}");
            results.Add((cell.Row, cell.Spec.Concept, result));
            done++;
        }
        if (onlyCell is not null)
            return new TableOutcome(folder, 1, results.Count(r => r.Cell.Hit), watch.Elapsed.TotalSeconds, [], []);

        var measured = TableResults.Measure(table, results, scale.Resamples);
        var comparison = TableResults.Compare(table, measured, TableResults.Unavailable(table, env));
        TableResults.WriteMeasured(Path.Combine(folder, "measured.csv"), measured);
        TableResults.WriteComparison(Path.Combine(folder, "comparison.csv"), comparison);
        var losses = results.GroupBy(r => r.Row.Display).ToDictionary(g => g.Key,
            g => (IReadOnlyList<IReadOnlyList<(int, double)>>)g.Select(r => (IReadOnlyList<(int, double)>)r.Cell.Losses.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                                                                                   .SelectMany(kv => kv.Value).ToList()).ToList());
        var charts = TableCharts.Build(table, comparison, losses);
        TableCharts.Save(charts, folder, table.Rows.Select(r => r.Display).ToList());
        var outcome = new TableOutcome(folder, cells.Count, results.Count(r => r.Cell.Hit), watch.Elapsed.TotalSeconds, measured, comparison);
        TableReport.Write(Path.Combine(folder, "report.md"), paper, table, scale, env, outcome, charts, cells);
        log($"[{paper.Id} {table.Id}] {cells.Count} cell(s), {outcome.Hits} from the cache; wrote {folder}/report.md in {outcome.Seconds:F1} s");
        return outcome;
    }

    private static Evaluator LoadEvaluator(PaperDefinition paper, HarnessEnvironment env, ScaleEntry scale)
    {
        var device = TorchDevice.Resolve(env.Options.Device);
        var clip = ClipScorer.FromPretrained(env.ClipDir, null, device);
        var dino = env.DinoDir is not null && paper.Tables.Any(t => t.Metrics.Any(m => DefinitionLoader.KnownMetrics[m] == "dino")) ? DinoScorer.FromPretrained(env.DinoDir, device) : null;
        return new Evaluator(clip, dino, new EmbeddingCache(Path.Combine(env.CacheDir, "embeddings")), EvaluationSettingsOf(paper.Protocol, scale.Resamples));
    }

    /// <summary>The evaluator settings a paper's protocol implies: what CLIP-T removes from the prompt, which prompts identity leaves out.</summary>
    public static EvaluationSettings EvaluationSettingsOf(ProtocolEntry protocol, int resamples) => new()
    {
        Removal = protocol.ClipTextRemoval == "mention" ? ConceptRemoval.TokenAndCategory : ConceptRemoval.TokenOnly,
        ExcludeTaggedPrompts = protocol.ExcludeTaggedPrompts, Resamples = resamples,
    };
}
