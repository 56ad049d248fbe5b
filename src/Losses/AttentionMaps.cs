using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Losses;

/// <summary>
/// Shared reading of captured cross-attention maps: each map is (batch, tokens, heads, pixels), the official hook layout,
/// holding softmax probabilities over the token axis.
/// </summary>
internal static class AttentionMaps
{
    public static void Validate(IReadOnlyList<Tensor> maps, string name)
    {
        if (maps.Count == 0) throw new ArgumentException("At least one attention map is required.", name);
        var (batch, tokens) = (maps[0].shape.Length == 4 ? maps[0].shape[0] : -1, maps[0].shape.Length == 4 ? maps[0].shape[1] : -1);
        foreach (var m in maps)
        {
            if (m.dim() != 4)
                throw new ArgumentException($"Attention maps must be (batch, tokens, heads, pixels); got [{string.Join(", ", m.shape)}].", name);
            if (m.shape[0] != batch || m.shape[1] != tokens)
                throw new ArgumentException($"All maps must share batch and token axes; got [{string.Join(", ", m.shape)}] after [{batch}, {tokens}, ...].", name);
        }
    }

    /// <summary>The values of token <c>rows[b] + offset</c> of sample b, flattened over heads × pixels: (batch, heads·pixels).</summary>
    public static Tensor TokenValues(Tensor map, IReadOnlyList<long> rows, long offset)
    {
        using var _ = NewDisposeScope();
        var (batch, tokens) = (map.shape[0], map.shape[1]);
        if (rows.Count != batch) throw new ArgumentException($"Expected {batch} token positions, got {rows.Count}.", nameof(rows));
        var flat = map.reshape(batch, tokens, -1);
        var positions = rows.Select(r => r + offset).ToArray();
        if (positions.Any(p => p < 0 || p >= tokens)) throw new ArgumentOutOfRangeException(nameof(rows), $"Token positions must lie in [0, {tokens}).");
        var index = tensor(positions, device: map.device).view(batch, 1, 1).expand(batch, 1, flat.shape[2]);
        return flat.gather(1, index).squeeze(1).MoveToOuterDisposeScope();
    }

    /// <summary>Per-token mean over heads and pixels: (batch, tokens).</summary>
    public static Tensor TokenMeans(Tensor map) => map.mean([2, 3]);

    public static Tensor IndexTensor(long[] positions, Tensor like) => tensor(positions, device: like.device);
}
