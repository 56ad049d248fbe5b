using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Attention;

/// <summary>
/// The explicit attention math (diffusers <c>Attention.get_attention_scores</c> + bmm) for processors that need the
/// probabilities. Softmax runs in fp32 when the layer upcasts (upcast_attention / upcast_softmax) or the input is
/// half precision.
/// </summary>
public static class ExplicitAttention
{
    /// <summary>Attends with explicit probabilities.</summary>
    /// <returns>(attended (B, heads, N, head_dim) in the value dtype, probabilities (B*heads, N, M), fp32 when upcast).</returns>
    public static (Tensor Attended, Tensor Probabilities) Run(Attention attn, AttentionProjection p, Tensor? mask)
    {
        long b = p.Query.shape[0], heads = p.Query.shape[1], n = p.Query.shape[2], d = p.Query.shape[3], m = p.Key.shape[2];
        var q = p.Query.reshape(b * heads, n, d);
        var k = p.Key.reshape(b * heads, m, d);
        var v = p.Value.reshape(b * heads, m, d);
        bool half = q.dtype is ScalarType.Float16 or ScalarType.BFloat16;
        bool upcast = attn.UpcastAttention || attn.UpcastSoftmax || half;
        if (attn.UpcastAttention || half)
        {
            q = q.to(ScalarType.Float32);
            k = k.to(ScalarType.Float32);
        }
        // diffusers uses baddbmm(empty, q, k^T, beta=0, alpha=scale); TorchSharp 0.107's baddbmm passes its
        // operands to libtorch in the wrong order (shape error), so: bmm, then scale.
        var scores = torch.bmm(q, k.transpose(-1, -2)) * attn.Scale;
        if (mask is not null)
        {
            var m4 = scores.view(b, heads, n, m);
            m4 = mask.dtype == ScalarType.Bool ? m4.masked_fill(mask.logical_not(), double.NegativeInfinity) : m4 + mask;
            scores = m4.view(b * heads, n, m);
        }
        if (upcast) scores = scores.to(ScalarType.Float32);
        var probs = scores.softmax(-1);
        var attended = torch.bmm(probs.to(v.dtype), v).view(b, heads, n, d);
        return (attended, probs);
    }
}
