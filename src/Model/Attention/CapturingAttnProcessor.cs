using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Attention;

/// <summary>
/// Explicit-softmax processor that hands the attention probabilities of each call to its
/// <see cref="CrossAttentionCapture"/>, permuted from diffusers' (B*heads, N, M) to (B, M tokens, heads, N), with
/// their autograd history (they feed losses).
/// </summary>
internal sealed class CapturingAttnProcessor : IAttentionProcessor
{
    private readonly CrossAttentionCapture _capture;

    public CapturingAttnProcessor(CrossAttentionCapture capture) => _capture = capture;

    public Tensor Process(Attention attn, Tensor hidden, Tensor? context, Tensor? mask, string layerPath)
    {
        using var _ = torch.NewDisposeScope();
        var p = attn.Project(hidden, context);
        var (attended, probs) = ExplicitAttention.Run(attn, p, mask);
        long b = p.Query.shape[0], heads = p.Query.shape[1], n = p.Query.shape[2], m = p.Key.shape[2];
        var map = probs.view(b, heads, n, m).permute(0, 3, 1, 2);
        _capture.Record(layerPath, map);
        return attn.Output(attended, p).MoveToOuterDisposeScope();
    }
}
