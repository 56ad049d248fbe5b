using System.Globalization;
using Repro.Experiments.Prompts;
using static Repro.Experiments.CsvFiles;

namespace Repro.Experiments.Evaluation;

/// <summary>Writes the per-image scores and the summary (every mean with its interval) as CSV, atomically.</summary>
public static class ScoreCsv
{
    public static void WriteImages(string path, IReadOnlyList<ImageScore> scores, IReadOnlyList<PromptTemplate> prompts) =>
        Write(path, new[] { new[] { "method", "concept", "prompt_index", "prompt", "image", "clip_t", "clip_i", "dino" } }
            .Concat(scores.Select(s => new[]
            {
                s.Method, s.Concept, s.PromptIndex.ToString(CultureInfo.InvariantCulture), prompts[s.PromptIndex].Template,
                s.Image, Number(s.ClipT), Number(s.ClipI), Number(s.Dino),
            })));

    public static void WriteSummary(string path, IReadOnlyList<SummaryRow> rows, double level)
    {
        string pct = (level * 100).ToString("0.##", CultureInfo.InvariantCulture);
        Write(path, new[] { new[] { "level", "method", "concept", "prompt", "metric", "mean", $"ci{pct}_low", $"ci{pct}_high", "images" } }
            .Concat(rows.Select(r => new[]
            {
                r.Level, r.Method, r.Concept, r.Prompt, ImageScore.Label(r.Metric), Number(r.Estimate.Mean),
                Number(r.Estimate.Low), Number(r.Estimate.High), r.Estimate.Count.ToString(CultureInfo.InvariantCulture),
            })));
    }
}
