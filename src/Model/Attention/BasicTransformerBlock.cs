using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Attention;

/// <summary>
/// diffusers <c>BasicTransformerBlock</c> with <c>norm_type="layer_norm"</c>: pre-LayerNorm (eps 1e-5) self-attention
/// (attn1), cross-attention (attn2) on the text context, and a GEGLU feed-forward, each with a residual add.
/// </summary>
public sealed class BasicTransformerBlock : nn.Module
{
#pragma warning disable IDE1006
    private readonly LayerNorm norm1;
    private readonly Attention attn1;
    private readonly LayerNorm norm2;
    private readonly Attention attn2;
    private readonly LayerNorm norm3;
    private readonly FeedForward ff;
#pragma warning restore IDE1006

    public BasicTransformerBlock(long dim, int heads, long headDim, long crossAttentionDim, double dropout, bool upcastAttention)
        : base(nameof(BasicTransformerBlock))
    {
        norm1 = Blocks.Norms.LayerNorm(dim);
        attn1 = new Attention(dim, null, heads, headDim, dropout, bias: false, upcastAttention: upcastAttention);
        norm2 = Blocks.Norms.LayerNorm(dim);
        attn2 = new Attention(dim, crossAttentionDim, heads, headDim, dropout, bias: false, upcastAttention: upcastAttention);
        norm3 = Blocks.Norms.LayerNorm(dim);
        ff = new FeedForward(dim, dropout);
        RegisterComponents();
    }

    public Tensor forward(Tensor hidden, Tensor encoderHiddenStates)
    {
        using var _ = torch.NewDisposeScope();
        var h = attn1.forward(norm1.forward(hidden)) + hidden;
        h = attn2.forward(norm2.forward(h), encoderHiddenStates) + h;
        h = ff.forward(norm3.forward(h)) + h;
        return h.MoveToOuterDisposeScope();
    }
}
