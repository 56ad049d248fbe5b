using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Losses;

// CoRe (arXiv 2408.15914), Eq. 4: context attention regularization, squared difference of the context tokens' attention means.
/// <summary>
/// Compares the cross-attention maps (each (batch, 77, heads, pixels)) of the S* prompt and of the category prompt, run on
/// the same z_t and t, through μ = mean over heads × pixels of each context token. The category maps are a constant
/// target (detached).
/// <list type="bullet">
/// <item><see cref="Form.Official"/> (train.py l. 1557-1568): per layer λ·mean_j (μ_obj − μ_cat)², averaged over the
/// layers, SUMMED over the batch.</item>
/// <item><see cref="Form.Paper"/>: μ averaged over the layers first (equal layer weight), then λ·mean_j (μ̄_obj − μ̄_cat)²;
/// MEAN over the batch.</item>
/// </list>
/// </summary>
public sealed record CoReEq4ContextAttention(double Lambda, Form Form = Form.Official)
{
    /// <summary>The scalar loss: batch sum (<see cref="Form.Official"/>) or batch mean (<see cref="Form.Paper"/>) of <see cref="PerSample"/>.</summary>
    public Tensor Loss(IReadOnlyList<Tensor> objectMaps, IReadOnlyList<Tensor> categoryMaps, CoReContextIndexSets sets)
    {
        using var _ = NewDisposeScope();
        var perSample = PerSample(objectMaps, categoryMaps, sets);
        var loss = Form == Form.Official ? perSample.sum() : perSample.mean();
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>The term of each sample, shape (batch).</summary>
    public Tensor PerSample(IReadOnlyList<Tensor> objectMaps, IReadOnlyList<Tensor> categoryMaps, CoReContextIndexSets sets)
    {
        AttentionMaps.Validate(objectMaps, nameof(objectMaps));
        AttentionMaps.Validate(categoryMaps, nameof(categoryMaps));
        if (objectMaps.Count != categoryMaps.Count) throw new ArgumentException($"Got {objectMaps.Count} object maps and {categoryMaps.Count} category maps.");
        using var _ = NewDisposeScope();
        var objectIndex = AttentionMaps.IndexTensor(sets.Object, objectMaps[0]);
        var categoryIndex = AttentionMaps.IndexTensor(sets.Category, categoryMaps[0]);
        var objectMeans = objectMaps.Select(m => AttentionMaps.TokenMeans(m).index_select(1, objectIndex)).ToList();       // (B, L) per layer
        var categoryMeans = categoryMaps.Select(m => AttentionMaps.TokenMeans(m.detach()).index_select(1, categoryIndex)).ToList();
        var result = Form == Form.Official
            ? stack(objectMeans.Zip(categoryMeans, Term).ToList()).mean([0])
            : Term(stack(objectMeans).mean([0]), stack(categoryMeans).mean([0]));
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>λ·mean over the context tokens of the squared difference, shape (batch).</summary>
    private Tensor Term(Tensor objectMeans, Tensor categoryMeans) => Lambda * (objectMeans - categoryMeans).square().mean([-1]);
}
