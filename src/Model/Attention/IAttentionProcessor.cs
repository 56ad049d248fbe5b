using static TorchSharp.torch;

namespace Repro.Model.Attention;

/// <summary>
/// The attention seam, as in diffusers: every <see cref="Attention"/> module delegates its forward to a processor.
/// A processor may be shared by many layers; it is told which layer calls it (<paramref name="layerPath"/> in
/// <c>Process</c>, e.g. <c>down_blocks.0.attentions.0.transformer_blocks.0.attn2</c>).
/// </summary>
public interface IAttentionProcessor
{
    /// <param name="attn">The calling module: its projections, head count, scale and flags.</param>
    /// <param name="hidden">(B, N, C) tokens, or (B, C, H, W) for the VAE's spatial attention.</param>
    /// <param name="context">Keys/values source (B, M, C_ctx) for cross-attention; null for self-attention.</param>
    /// <param name="mask">Optional additive or boolean mask broadcastable to (B, heads, N, M).</param>
    /// <param name="layerPath">The module path of <paramref name="attn"/> in its model.</param>
    Tensor Process(Attention attn, Tensor hidden, Tensor? context, Tensor? mask, string layerPath);
}
