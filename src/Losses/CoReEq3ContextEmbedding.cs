using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Losses;

// CoRe (arXiv 2408.15914), Eq. 3: context embedding regularization, cosine distance between the context-token outputs of y* and y_cat.
/// <summary>
/// Compares the text-encoder outputs (batch, 77, D) of the S* prompt and of the category prompt on the context rows of
/// <see cref="CoReContextIndexSets"/>. The category branch is a constant target: it is detached, no gradient reaches it.
/// <list type="bullet">
/// <item><see cref="Form.Official"/> (utils.get_context_embedding_loss): λ·(1 − mean over the D feature channels of the
/// cosine taken ALONG THE TOKEN AXIS), i.e. F.cosine_similarity on (batch, L, D) with dim = 1.</item>
/// <item><see cref="Form.Paper"/>: λ·mean over the L context tokens of (1 − cosine of the two D-vectors of the token).</item>
/// </list>
/// </summary>
public sealed record CoReEq3ContextEmbedding(double Lambda, Form Form = Form.Official)
{
    /// <summary>The scalar loss λ·mean(1 − cos).</summary>
    public Tensor Loss(Tensor objectOutput, Tensor categoryOutput, CoReContextIndexSets sets)
    {
        using var _ = NewDisposeScope();
        var loss = Lambda * (1 - Cosines(objectOutput, categoryOutput, sets)).mean();
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>The cosines the loss averages: (batch, D) per feature (<see cref="Form.Official"/>) or (batch, L) per token (<see cref="Form.Paper"/>).</summary>
    public Tensor Cosines(Tensor objectOutput, Tensor categoryOutput, CoReContextIndexSets sets)
    {
        if (objectOutput.dim() != 3 || !objectOutput.shape.SequenceEqual(categoryOutput.shape))
            throw new ArgumentException(
                $"Expected two (batch, tokens, D) outputs of one shape; got [{string.Join(", ", objectOutput.shape)}] and [{string.Join(", ", categoryOutput.shape)}].");
        using var _ = NewDisposeScope();
        var context = objectOutput.index_select(1, AttentionMaps.IndexTensor(sets.Object, objectOutput));
        var target = categoryOutput.detach().index_select(1, AttentionMaps.IndexTensor(sets.Category, categoryOutput));
        var cosine = nn.functional.cosine_similarity(context, target, dim: Form == Form.Official ? 1 : 2);
        return cosine.MoveToOuterDisposeScope();
    }
}
