using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Losses;

// AttnDreamBooth (Pang et al., NeurIPS 2024), Eq. 2: match mean and variance of the [V] and category cross-attention maps.
/// <summary>
/// Cross-attention map regularizer between the [V] token (position <c>k_b</c> of sample b) and the category token right
/// after it (<c>k_b + 1</c>), over the captured maps (16 for SD2.1), each (batch, 77, heads, pixels). Variances are
/// unbiased (torch.var default, as the code; the paper does not say). Both sides carry gradient, as in the code.
/// <list type="bullet">
/// <item><see cref="Form.Official"/> (train_attndreambooth.py l. 1457-1468): per layer, mean and variance over heads × pixels;
/// λ_μ Δmean² + λ_σ Δvar² averaged over the layers, then SUMMED over the batch.</item>
/// <item><see cref="Form.Paper"/>: mean and variance of all values of the token across the layers pooled together
/// (layers weighted by heads·pixels), then squared; MEAN over the batch.</item>
/// </list>
/// </summary>
public sealed record AttnDreamBoothEq2(double LambdaMean, double LambdaVariance, Form Form = Form.Official)
{
    /// <summary>The scalar loss: batch sum (<see cref="Form.Official"/>) or batch mean (<see cref="Form.Paper"/>) of <see cref="PerSample"/>.</summary>
    public Tensor Loss(IReadOnlyList<Tensor> maps, IReadOnlyList<long> placeholderPositions)
    {
        using var _ = NewDisposeScope();
        var perSample = PerSample(maps, placeholderPositions);
        var loss = Form == Form.Official ? perSample.sum() : perSample.mean();
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>The term of each sample, shape (batch).</summary>
    public Tensor PerSample(IReadOnlyList<Tensor> maps, IReadOnlyList<long> placeholderPositions)
    {
        AttentionMaps.Validate(maps, nameof(maps));
        using var _ = NewDisposeScope();
        var placeholder = maps.Select(m => AttentionMaps.TokenValues(m, placeholderPositions, 0)).ToList();
        var category = maps.Select(m => AttentionMaps.TokenValues(m, placeholderPositions, 1)).ToList();
        var result = Form == Form.Official
            ? stack(placeholder.Zip(category, Term).ToList()).mean([0])
            : Term(cat(placeholder, 1), cat(category, 1));
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Mean and unbiased variance of each row (batch, n) → λ_μ Δμ² + λ_σ Δσ², shape (batch).</summary>
    private Tensor Term(Tensor placeholder, Tensor category)
    {
        var mean = (placeholder.mean([-1]) - category.mean([-1])).square();
        var variance = (placeholder.var(-1, unbiased: true) - category.var(-1, unbiased: true)).square();
        return LambdaMean * mean + LambdaVariance * variance;
    }
}
