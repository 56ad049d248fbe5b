namespace Repro.Experiments.Training;

/// <summary>
/// What every method needs besides its schedule: the base model, the concept images and its super-category, the
/// placeholder token, where to write, the seed, the augmentation, the device and precision, the checkpoint cadence.
/// </summary>
public sealed record ConceptSettings
{
    /// <summary>A diffusers Stable Diffusion folder (the official runs use stable-diffusion-2-1-base).</summary>
    public string Model { get; init; } = "";

    /// <summary>The folder of concept images (JPEG/PNG).</summary>
    public string InstanceDir { get; init; } = "";

    /// <summary>Super-category word, e.g. "doll"; its first token initialises the placeholder.</summary>
    public string Category { get; init; } = "";

    /// <summary>The placeholder token string (ADB: "new_concept_v0"; CoRe: "&lt;concept&gt;_v0").</summary>
    public string Token { get; init; } = "new_concept_v0";

    public string Output { get; init; } = "out/train";
    public long Seed { get; init; }
    public Augmentation Augmentation { get; init; } = Augmentation.Official;

    /// <summary>cpu, cuda, cuda:N or null (cuda when available).</summary>
    public string? Device { get; init; }

    /// <summary>Precision of the frozen modules (text encoder, VAE) on GPU: fp32, fp16 or bf16. CPU always runs fp32.</summary>
    public string Precision { get; init; } = "fp32";

    public int CheckpointEvery { get; init; } = 50;
    public int CheckpointsTotalLimit { get; init; } = 1;

    /// <summary>Torch intra-op threads (null = torch's default).</summary>
    public int? Threads { get; init; }

    /// <summary>Validation image every N steps of every stage (0 = none) with <see cref="ValidationPrompt"/> (null = the stage's prompt).</summary>
    public int ValidationEvery { get; init; }

    public string? ValidationPrompt { get; init; }

    /// <summary>Images per class prompt generated for prior preservation (DreamBooth default 200, as its script).</summary>
    public int ClassImages { get; init; } = 200;

    /// <summary>Denoising steps used to generate class images.</summary>
    public int ClassSamplingSteps { get; init; } = 50;
}
