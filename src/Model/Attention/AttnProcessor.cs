using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Attention;

/// <summary>
/// The default processor (diffusers <c>AttnProcessor2_0</c>): fused <c>scaled_dot_product_attention</c>, which never
/// materialises the attention matrix. Stateless; one shared instance.
/// </summary>
public sealed class AttnProcessor : IAttentionProcessor
{
    public static AttnProcessor Instance { get; } = new();

    public Tensor Process(Attention attn, Tensor hidden, Tensor? context, Tensor? mask, string layerPath)
    {
        using var _ = torch.NewDisposeScope();
        var p = attn.Project(hidden, context);
        // SDPA's default scale is head_dim^-0.5, equal to attn.Scale.
        var attended = nn.functional.scaled_dot_product_attention(p.Query, p.Key, p.Value, attn_mask: mask, p: 0.0, is_casual: false);
        return attn.Output(attended.to(p.Query.dtype), p).MoveToOuterDisposeScope();
    }
}
