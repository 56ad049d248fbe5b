using Repro.Model.IO;
using Repro.Experiments.Prompts;
using System.Globalization;
using CsvHelper;

namespace Repro.Experiments.Evaluation;

/// <summary>Writes the per-image scores and the summary (every mean with its interval) as CSV, atomically.</summary>
public static class ScoreCsv
{
    public static void WriteImages(string path, IReadOnlyList<ImageScore> scores, IReadOnlyList<PromptTemplate> prompts) =>
        WriteAtomic(path, csv =>
        {
            csv.WriteRecord(["method", "concept", "prompt_index", "prompt", "image", "clip_t", "clip_i", "dino"]);
            foreach (var s in scores)
                csv.WriteRecord([s.Method, s.Concept, s.PromptIndex.ToString(CultureInfo.InvariantCulture), prompts[s.PromptIndex].Template,
                                 s.Image, Number(s.ClipT), Number(s.ClipI), Number(s.Dino)]);
        });

    public static void WriteSummary(string path, IReadOnlyList<SummaryRow> rows, double level) =>
        WriteAtomic(path, csv =>
        {
            string pct = (level * 100).ToString("0.##", CultureInfo.InvariantCulture);
            csv.WriteRecord(["level", "method", "concept", "prompt", "metric", "mean", $"ci{pct}_low", $"ci{pct}_high", "images"]);
            foreach (var r in rows)
                csv.WriteRecord([r.Level, r.Method, r.Concept, r.Prompt, ImageScore.Label(r.Metric), Number(r.Estimate.Mean),
                                 Number(r.Estimate.Low), Number(r.Estimate.High), r.Estimate.Count.ToString(CultureInfo.InvariantCulture)]);
        });

    private static string Number(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);

    private static void WriteAtomic(string path, Action<CsvWriter> write) => AtomicFile.Write(path, temp =>
    {
        using var writer = new StreamWriter(temp);
        using var csv = CsvWriter.Create(writer, null, leaveOpen: true);
        write(csv);
    });
}
