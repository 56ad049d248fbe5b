using static TorchSharp.torch;

namespace Repro.Model.Vit;

/// <summary>
/// Output of <see cref="ViTModel"/>. <paramref name="LastHiddenState"/>: after the final <c>layernorm</c>, CLS first
/// (DINO feature = <see cref="Cls"/>). <paramref name="PooledOutput"/>: null without a pooler.
/// <paramref name="HiddenStates"/>: embeddings then each layer's output (before the final norm), when requested.
/// </summary>
public sealed record ViTModelOutput(Tensor LastHiddenState, Tensor? PooledOutput, IReadOnlyList<Tensor>? HiddenStates) : IDisposable
{
    /// <summary>last_hidden_state[:, 0]: the CLS token (a view).</summary>
    public Tensor Cls => LastHiddenState.select(1, 0);

    public void Dispose()
    {
        LastHiddenState.Dispose();
        PooledOutput?.Dispose();
        if (HiddenStates is not null) foreach (var t in HiddenStates) t.Dispose();
    }
}
