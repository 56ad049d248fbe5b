namespace Repro.Experiments.Evaluation;

/// <summary>The three metrics of both papers.</summary>
public enum Metric { ClipT, ClipI, Dino }

/// <summary>
/// The scores of one generated image: CLIP-T (cosine with the stripped prompt), CLIP-I and DINO (mean cosine over
/// the concept's real images). NaN = not computed (model not given) or left out (an excluded prompt).
/// </summary>
public sealed record ImageScore(string Method, string Concept, int PromptIndex, string Image, double ClipT, double ClipI, double Dino)
{
    public double Get(Metric metric) => metric switch
    {
        Metric.ClipT => ClipT,
        Metric.ClipI => ClipI,
        Metric.Dino => Dino,
        _ => throw new ArgumentException($"unknown metric {metric}"),
    };

    public static string Label(Metric metric) => metric switch
    {
        Metric.ClipT => "CLIP-T",
        Metric.ClipI => "CLIP-I",
        Metric.Dino => "DINO",
        _ => throw new ArgumentException($"unknown metric {metric}"),
    };
}

/// <summary>One reported mean: level "method", "concept" or "prompt"; empty concept/prompt above their level.</summary>
public sealed record SummaryRow(string Level, string Method, string Concept, string Prompt, Metric Metric, Estimate Estimate);
