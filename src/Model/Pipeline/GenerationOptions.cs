using static TorchSharp.torch;

namespace Repro.Model.Pipeline;

/// <summary>How to sample: steps, classifier-free guidance, size, seeds, optional explicit initial latents.</summary>
public sealed record GenerationOptions
{
    public int Steps { get; init; } = 50;
    public double GuidanceScale { get; init; } = 7.5;
    /// <summary>Image size in pixels; default: the UNet's sample_size × the VAE's scale factor.</summary>
    public int? Height { get; init; }
    public int? Width { get; init; }
    public string NegativePrompt { get; init; } = "";
    public int ImagesPerPrompt { get; init; } = 1;
    public long Seed { get; init; }
    /// <summary>
    /// True (the official inference): each prompt's latents come from a generator re-seeded with <see cref="Seed"/>.
    /// False (diffusers with one generator): one draw of shape (batch, ...) for the whole batch.
    /// </summary>
    public bool ReseedPerPrompt { get; init; } = true;
    /// <summary>Initial latents (batch, C, h, w); when given, no noise is drawn.</summary>
    public Tensor? Latents { get; init; }
    /// <summary>Prompts per UNet call (CFG doubles it); 0 = all at once.</summary>
    public int BatchSize { get; init; }
}

/// <summary>What one denoising step produced, for callbacks and tests.</summary>
public sealed record DenoisingStep(int Index, double Timestep, Tensor UNetOutput, Tensor Latents);
