namespace Repro.Experiments.Evaluation;

/// <summary>How per-image scores become one number.</summary>
public enum Aggregation
{
    /// <summary>Mean over images per prompt, then over prompts per concept, then over concepts (each level weighs its members equally). Default.</summary>
    Hierarchical,
    /// <summary>One mean over all images (prompts and concepts weighted by their image counts).</summary>
    Pooled,
}

/// <summary>A mean and its percentile bootstrap confidence interval.</summary>
public sealed record Estimate(double Mean, double Low, double High, int Count);

/// <summary>
/// Nested data (groups of groups … of values) aggregated by <see cref="Aggregation"/>, with a seeded percentile
/// bootstrap that resamples the top <c>levels</c> with replacement, each inside the previous (e.g. concepts, then
/// prompts within each drawn concept), keeping the lower levels fixed.
/// </summary>
public sealed class HierarchicalBootstrap(Aggregation aggregation, int resamples = 1000, int seed = 0, double level = 0.95)
{
    /// <summary>A node: either leaf values or child nodes.</summary>
    public sealed record Node(IReadOnlyList<double>? Values, IReadOnlyList<Node>? Children)
    {
        public static Node Leaf(IEnumerable<double> values) => new(values.ToArray(), null);
        public static Node Of(IEnumerable<Node> children) => new(null, children.ToArray());

        public int LeafCount => Values?.Count ?? Children!.Sum(c => c.LeafCount);
    }

    public Estimate Estimate(Node root, int resampledLevels)
    {
        if (resamples < 1) throw new ArgumentException($"bootstrap resamples must be at least 1, got {resamples}");
        if (level is <= 0 or >= 1) throw new ArgumentException($"confidence level must be in (0, 1), got {level}");
        var (sum, weight) = Statistic(root, null, resampledLevels);
        if (weight == 0) return new Estimate(double.NaN, double.NaN, double.NaN, 0);
        double mean = sum / weight;
        var rng = new Random(seed);
        var draws = new double[resamples];
        for (int b = 0; b < resamples; b++)
        {
            var (s, w) = Statistic(root, rng, resampledLevels);
            draws[b] = s / w;
        }
        Array.Sort(draws);
        double alpha = (1 - level) / 2;
        return new Estimate(mean, Quantile(draws, alpha), Quantile(draws, 1 - alpha), root.LeafCount);
    }

    /// <summary>(sum, weight) whose ratio is the statistic: hierarchical = mean of member means; pooled = Σ/n.</summary>
    private (double Sum, double Weight) Statistic(Node node, Random? rng, int levelsLeft)
    {
        bool resample = rng is not null && levelsLeft > 0;
        if (node.Values is { } values)
        {
            if (values.Count == 0) return (0, 0);
            double s = 0;
            for (int i = 0; i < values.Count; i++) s += values[resample ? rng!.Next(values.Count) : i];
            return aggregation == Aggregation.Pooled ? (s, values.Count) : (s / values.Count, 1);
        }
        var children = node.Children!.Where(c => c.LeafCount > 0).ToArray();
        if (children.Length == 0) return (0, 0);
        double sum = 0, weight = 0;
        for (int i = 0; i < children.Length; i++)
        {
            var (s, w) = Statistic(children[resample ? rng!.Next(children.Length) : i], rng, levelsLeft - 1);
            if (aggregation == Aggregation.Pooled) { sum += s; weight += w; }
            else if (w > 0) { sum += s / w; weight += 1; }
        }
        return aggregation == Aggregation.Pooled ? (sum, weight) : (weight == 0 ? (0, 0) : (sum / weight, 1));
    }

    /// <summary>Linear-interpolated quantile of sorted values (numpy's default).</summary>
    public static double Quantile(double[] sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
