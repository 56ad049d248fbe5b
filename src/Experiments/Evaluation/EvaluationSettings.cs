namespace Repro.Experiments.Evaluation;

/// <summary>
/// The protocol choices. Defaults = ADB's / Textual Inversion's protocol: CLIP-T strips "[V]" only, no masks, no
/// prompt exclusion, hierarchical means. CoRe's: <c>Masking</c> on (with masks for every image),
/// <c>ExcludeTaggedPrompts</c> on, and usually <see cref="ConceptRemoval.TokenAndCategory"/>.
/// </summary>
public sealed record EvaluationSettings
{
    public ConceptRemoval Removal { get; init; } = ConceptRemoval.TokenOnly;
    /// <summary>Foreground masking for CLIP-I/DINO (both real and generated images); null = off.</summary>
    public ForegroundMask? Masking { get; init; }
    /// <summary>Leave prompts marked #exclude-identity (stylization, outfit) out of CLIP-I and DINO (CoRe).</summary>
    public bool ExcludeTaggedPrompts { get; init; }
    /// <summary>Apply EXIF orientation before scoring. Off by default: the reference processors do not.</summary>
    public bool ApplyExifOrientation { get; init; }
    public Aggregation Aggregation { get; init; } = Aggregation.Hierarchical;
    public int Resamples { get; init; } = 1000;
    public int Seed { get; init; }
    public double Level { get; init; } = 0.95;
    public int BatchSize { get; init; } = 16;
}
