namespace Repro.Experiments.Diagnostics;

/// <summary>Summary of repeated timings in milliseconds.</summary>
public sealed record TimingStats(int Count, double MedianMs, double MinMs, double MeanMs, double MaxMs)
{
    public static TimingStats Of(IReadOnlyCollection<double> samplesMs)
    {
        if (samplesMs.Count == 0) throw new ArgumentException("no timings to summarise");
        var sorted = samplesMs.Order().ToArray();
        int n = sorted.Length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return new TimingStats(n, median, sorted[0], sorted.Average(), sorted[^1]);
    }
}
