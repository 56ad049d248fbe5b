using Repro.Losses;

namespace Repro.Experiments.Training;

/// <summary>Which parameters a stage optimizes.</summary>
public enum TrainableSet
{
    /// <summary>The placeholder embedding only (Textual Inversion, ADB stage 1, CoRe stage 1, CoRe TTO).</summary>
    Embedding,

    /// <summary>Every parameter of the 16 attn2 layers (ADB stage 2).</summary>
    CrossAttention,

    /// <summary>The whole UNet (DreamBooth, ADB stage 3, CoRe stage 2).</summary>
    UNet,

    /// <summary>Embedding and UNet together (TI+DB).</summary>
    EmbeddingAndUNet,

    /// <summary>Embedding and the attn2 to_k/to_v weights (Custom Diffusion).</summary>
    EmbeddingAndCrossAttentionKeyValue,
}

/// <summary>CoRe's context regularizers (Eqs. 3 and 4) on a template drawn per step from <see cref="Templates"/> ("{}" = the token / the category).</summary>
public sealed record ContextRegularizers(CoReEq3ContextEmbedding? Embedding, CoReEq4ContextAttention? Attention, IReadOnlyList<string> Templates);

/// <summary>DreamBooth prior preservation: class images from <see cref="ClassImagesDir"/> with <see cref="ClassPrompt"/>, weight λ.</summary>
public sealed record PriorPreservation(string ClassImagesDir, string ClassPrompt, double Lambda);

/// <summary>CoRe's Eq. 6 window over the stage's global steps.</summary>
public sealed record RescaleWindow(int Start, int Stop);

/// <summary>
/// One optimization stage: what it trains, for how long, at which lr and batch, on which prompt, with which regularizers.
/// Stages hand their results on through the shared <see cref="TrainingModels"/> (the embedding and the UNet) and
/// through their output folder (learned_embeds.safetensors when the embedding is trained, unet/ when the UNet is).
/// </summary>
public sealed record Stage(string Name, TrainableSet Trainable, int Steps, double LearningRate, int BatchSize, string Prompt)
{
    /// <summary>Weight of the diffusion MSE (0 = not computed, as CoRe's TTO).</summary>
    public double DiffusionWeight { get; init; } = 1;

    /// <summary>AttnDreamBooth Eq. 2 on the maps of the diffusion forward.</summary>
    public AttnDreamBoothEq2? AttentionRegularizer { get; init; }

    public ContextRegularizers? Context { get; init; }

    public PriorPreservation? Prior { get; init; }

    public RescaleWindow? Rescale { get; init; }

    public int GradientAccumulation { get; init; } = 1;

    /// <summary>Global gradient-norm clip (null = none, as the official scripts effectively do).</summary>
    public double? MaxGradNorm { get; init; }

    /// <summary>Constant learning rate (the official scheduler "constant", no warm-up): a pure function of the step.</summary>
    public double LearningRateAt(int step) => LearningRate;

    public bool TrainsEmbedding => Trainable is TrainableSet.Embedding or TrainableSet.EmbeddingAndUNet or TrainableSet.EmbeddingAndCrossAttentionKeyValue;

    public bool TrainsUNet => Trainable != TrainableSet.Embedding;
}
