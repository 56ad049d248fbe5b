using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Losses;

/// <summary>What the UNet predicts (diffusers' <c>prediction_type</c>).</summary>
public enum PredictionType
{
    /// <summary>The added noise ε.</summary>
    Epsilon,

    /// <summary>v = √ᾱ_t·ε − √(1−ᾱ_t)·x₀ (Salimans &amp; Ho 2022).</summary>
    VPrediction,

    /// <summary>The clean sample x₀.</summary>
    Sample,
}

// DDPM (Ho et al. 2020), Eq. 14 (L_simple), with optional min-SNR-γ weighting (Hang et al. 2023, Eq. 9): MSE against the scheduler's target.
/// <summary>
/// Mean of the squared error over all elements (the official scripts: <c>F.mse_loss(pred.float(), target.float())</c>, "mean"). With
/// <see cref="MinSnrGamma"/> set, each sample's mean error is weighted as in diffusers' training scripts:
/// min(SNR, γ)/SNR for ε, min(SNR, γ)/(SNR + 1) for v and min(SNR, γ) for x₀, with SNR = ᾱ_t / (1 − ᾱ_t).
/// </summary>
public sealed record DiffusionLoss(PredictionType Prediction = PredictionType.Epsilon, double? MinSnrGamma = null)
{
    /// <summary>The regression target for (x₀, ε) at the samples' ᾱ_t (shape (batch)).</summary>
    public Tensor Target(Tensor sample, Tensor noise, Tensor alphasCumprodAtT)
    {
        using var _ = NewDisposeScope();
        var target = Prediction switch
        {
            PredictionType.Epsilon => noise.alias(),
            PredictionType.Sample => sample.alias(),
            _ => PerSample(alphasCumprodAtT.sqrt(), noise) * noise - PerSample((1 - alphasCumprodAtT).sqrt(), noise) * sample,
        };
        return target.MoveToOuterDisposeScope();
    }

    /// <summary>The scalar loss; <paramref name="alphasCumprodAtT"/> (ᾱ_t per sample) is needed only with min-SNR weighting.</summary>
    public Tensor Loss(Tensor prediction, Tensor target, Tensor? alphasCumprodAtT = null)
    {
        if (!prediction.shape.SequenceEqual(target.shape))
            throw new ArgumentException($"Prediction [{string.Join(", ", prediction.shape)}] and target [{string.Join(", ", target.shape)}] differ in shape.");
        using var _ = NewDisposeScope();
        var squared = (AtLeastFloat32(prediction) - AtLeastFloat32(target)).square();
        if (MinSnrGamma is not { } gamma) return squared.mean().MoveToOuterDisposeScope();
        if (alphasCumprodAtT is null) throw new ArgumentNullException(nameof(alphasCumprodAtT), "Min-SNR weighting needs ᾱ_t per sample.");
        var perSample = squared.reshape(squared.shape[0], -1).mean([1]);
        return (perSample * MinSnrWeights(alphasCumprodAtT.to_type(perSample.dtype), gamma)).mean().MoveToOuterDisposeScope();
    }

    /// <summary>Per-sample weights of min-SNR-γ for this prediction type, shape (batch).</summary>
    public Tensor MinSnrWeights(Tensor alphasCumprodAtT, double gamma)
    {
        using var _ = NewDisposeScope();
        var snr = alphasCumprodAtT / (1 - alphasCumprodAtT);
        var clipped = snr.clamp(max: gamma);
        var weights = Prediction switch
        {
            PredictionType.Epsilon => clipped / snr,
            PredictionType.VPrediction => clipped / (snr + 1),
            _ => clipped,
        };
        return weights.MoveToOuterDisposeScope();
    }

    /// <summary>Half-precision predictions are compared in fp32 (the scripts' <c>.float()</c>); fp32/fp64 stay as they are.</summary>
    private static Tensor AtLeastFloat32(Tensor t) => t.dtype is ScalarType.Float16 or ScalarType.BFloat16 ? t.to_type(ScalarType.Float32) : t;

    private static Tensor PerSample(Tensor perSample, Tensor like) =>
        perSample.to_type(like.dtype).reshape([perSample.shape[0], .. Enumerable.Repeat(1L, (int)like.dim() - 1)]);
}
