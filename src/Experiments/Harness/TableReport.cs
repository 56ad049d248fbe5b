using Repro.Model.IO;
using System.Globalization;
using System.Text;
using Repro.Experiments.Harness.Definitions;

namespace Repro.Experiments.Harness;

/// <summary>report.md of a table: the comparison, Kendall's τ per metric, the charts, the deviations from the paper's protocol, wall time.</summary>
public static class TableReport
{
    public static void Write(string path, PaperDefinition paper, TableEntry table, ScaleEntry scale, HarnessEnvironment env, TableOutcome outcome,
                             IReadOnlyList<Chart> charts, IReadOnlyList<PlannedCell> cells)
    {
        var s = new StringBuilder();
        s.AppendLine($"# {paper.Paper}: {table.Id}").AppendLine().AppendLine($"{table.Title}.").AppendLine();
        s.AppendLine($"Scale **{scale.Name}** ({scale.Note}). Wall time {outcome.Seconds:F1} s; {outcome.Cells} cell(s), {outcome.Hits} from the cache.");
        s.AppendLine($"Reported numbers: {paper.ReportedFrom}.").AppendLine();
        if (env.MiniWorldModel)
            s.AppendLine("> The base model, the concepts and the CLIP evaluator are the miniature world's (64×64 images, models trained from scratch by "
                         + "`repro miniworld pretrain`): the numbers test the papers' method-versus-method claims in that world; they are not comparable "
                         + "in absolute value with the reported ones.").AppendLine();
        if (env.RandomEvaluators || env.TinyModel)
            s.AppendLine("> **Warning: these numbers are meaningless.** " + (env.TinyModel ? "The base model is the tiny random Stable Diffusion (32×32). " : "")
                         + (env.RandomEvaluators ? "CLIP and DINO are tiny random networks. " : "")
                         + "The run only exercises the pipeline (training, sampling, scoring, aggregation); it says nothing about the papers' claims.").AppendLine();
        s.AppendLine("| Method | " + string.Join(" | ", table.Metrics.Select(m => $"{m} reported | {m} measured [95% CI] | Δ | rank paper / ours")) + " |");
        s.AppendLine("|---|" + string.Concat(table.Metrics.Select(_ => "---:|---:|---:|:---:|")));
        foreach (var row in table.Rows)
        {
            s.Append($"| {row.Display} |");
            foreach (string metric in table.Metrics)
            {
                var c = outcome.Comparison.First(x => x.Method == row.Display && x.Metric == metric);
                string measured = c.Measured is { } m ? $"{F(m.Mean)} [{F(m.Low)}, {F(m.High)}] (n={m.N})" : c.Status;
                s.Append($" {F(c.Reported)} | {measured} | {(c.Delta is { } d ? (d >= 0 ? "+" : "") + F(d) : "")} | {c.RankPaper} / {(c.RankMeasured?.ToString(CultureInfo.InvariantCulture) ?? "–")} |");
            }
            s.AppendLine();
        }
        var notRun = table.Rows.Where(r => paper.Method(r.Method).Preset is null).Select(r => $"{r.Display} ({paper.Method(r.Method).Note})").ToList();
        if (notRun.Count > 0) s.AppendLine().AppendLine($"Not run (reported value only, nothing invented): {string.Join("; ", notRun)}.");
        var unavailable = TableResults.Unavailable(table, env);
        foreach (var (metric, why) in unavailable)
            s.AppendLine().AppendLine($"{metric}: {why} (reported values only, nothing invented; measured.csv has no {metric} rows).");
        foreach (var row in table.Rows.Where(r => r.Note is not null)) s.AppendLine().AppendLine($"Note on {row.Display}: {row.Note}.");

        s.AppendLine().AppendLine("## Ranking agreement (Kendall's τ-b, rows we ran)").AppendLine();
        foreach (string metric in table.Metrics)
        {
            if (unavailable.TryGetValue(metric, out var why)) { s.AppendLine($"- {metric}: {why}"); continue; }
            var pairs = outcome.Comparison.Where(c => c.Metric == metric && c.Measured is not null).Select(c => (c.Reported, c.Measured!.Mean)).ToList();
            s.AppendLine($"- {metric}: τ = {(TableResults.KendallTau(pairs) is { } tau ? F(tau) : "n/a")} over {pairs.Count} method(s)");
        }
        s.AppendLine().AppendLine("## Charts").AppendLine();
        foreach (var chart in charts) s.AppendLine($"![{chart.Title}]({chart.File})").AppendLine();
        s.AppendLine($"Data behind the charts: [{TableCharts.DataFile}]({TableCharts.DataFile}); numbers: [measured.csv](measured.csv), [comparison.csv](comparison.csv).").AppendLine();

        s.AppendLine("## Deviations from the paper's protocol").AppendLine();
        foreach (string d in Deviations(paper, scale, env, cells)) s.AppendLine($"- {d}");
        foreach (var study in paper.Tables.Where(t => t.Kind == "user-study"))
        {
            s.AppendLine().AppendLine($"## {study.Id} (user study): as reported, not reproducible by computation").AppendLine().AppendLine($"{study.Title}.").AppendLine();
            s.AppendLine("| Method | " + string.Join(" | ", study.Metrics) + " |").AppendLine("|---|" + string.Concat(study.Metrics.Select(_ => "---:|")));
            foreach (var row in study.Rows) s.AppendLine($"| {row.Display} | " + string.Join(" | ", study.Metrics.Select(m => F(row.Reported[m]))) + " |");
        }
        s.AppendLine().AppendLine("## Cells").AppendLine().AppendLine("| Method | Concept | Seed | Preset | Key |").AppendLine("|---|---|---:|---|---|");
        foreach (var c in cells) s.AppendLine($"| {c.Row.Display} | {c.Spec.Concept} | {c.Spec.Seed} | {c.Spec.Preset} | `{c.Spec.Key[..16]}` |");
        AtomicFile.WriteAllText(path, s.ToString());
    }

    public static IEnumerable<string> Deviations(PaperDefinition paper, ScaleEntry scale, HarnessEnvironment env, IReadOnlyList<PlannedCell> cells)
    {
        var p = paper.Protocol;
        var paperScale = paper.Scale("paper");
        yield return env.TinyModel ? $"Base checkpoint: the tiny random SD2.1-layout model instead of {p.BaseCheckpoint}."
                     : env.MiniWorldModel ? $"Base checkpoint: the miniature world's Stable Diffusion-layout model ({DisplayPath.Of(env.ModelDir)}; 64×64 images, 16×16×4 latents) instead of {p.BaseCheckpoint}."
                     : $"Base checkpoint: {env.ModelDir} (paper: {p.BaseCheckpoint}).";
        if (env.RandomEvaluators) yield return $"Evaluators: tiny random CLIP and DINO (paper: {p.Evaluators}).";
        else if (env.Options.EvalModels is null && env.MiniWorldModel)
            yield return $"Evaluators: the miniature world's CLIP ({DisplayPath.Of(env.ClipDir)}) for CLIP-I/CLIP-T; " +
                         (env.DinoDir is { } dino ? $"its DINO stand-in ({DisplayPath.Of(dino)}: a ViT trained to recognise an object instance across scenes, not DINO's self-distillation)"
                                                  : $"DINO {env.DinoUnavailable}") + $" (paper: {p.Evaluators}).";
        if (env.MiniWorldData) yield return "Concepts and prompts: the miniature world's subjects and its mirrored prompt files (paper: DreamBooth dataset subjects).";
        var concepts = cells.Select(c => c.Spec.Concept).Distinct().ToList();
        yield return $"Concept list: {string.Join(", ", concepts)} ({concepts.Count} vs the paper's {paperScale.Concepts}; the paper's exact subset is not published).";
        if (scale.Prompts != paperScale.Prompts) yield return $"Prompts: the first {scale.Prompts} of each prompt file (paper: {paperScale.Prompts}).";
        if (scale.ImagesPerPrompt != paperScale.ImagesPerPrompt) yield return $"Images per prompt: {scale.ImagesPerPrompt} (paper: {paperScale.ImagesPerPrompt}).";
        if (scale.SamplingSteps != paperScale.SamplingSteps) yield return $"Sampler: DPM-Solver++ with {scale.SamplingSteps} steps (paper: {p.Sampler}).";
        yield return $"Seeds: {string.Join(", ", scale.Seeds)} (the papers do not state evaluation seeds; the official scripts' defaults are used for the paper scale).";
        if (scale.Schedules.Count > 0)
            yield return "Training schedules scaled: " + string.Join("; ", scale.Schedules.Select(kv => $"{kv.Key} {kv.Value.ToJsonString()}")) + ".";
        if (p.Masking) yield return "CLIP-I/DINO are computed on unmasked images: the paper masks the foreground, and Repro has no segmenter for generated images.";
    }

    private static string F(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
}
