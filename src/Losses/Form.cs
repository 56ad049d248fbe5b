namespace Repro.Losses;

/// <summary>
/// Which definition a loss term follows where the paper and the authors' code differ.
/// <see cref="Official"/> (the default everywhere) is the code that produced the published numbers.
/// </summary>
public enum Form
{
    /// <summary>As the official training scripts compute it (pinned commits in tests/fixtures/losses_official).</summary>
    Official,

    /// <summary>As the paper's equation is written.</summary>
    Paper,
}
