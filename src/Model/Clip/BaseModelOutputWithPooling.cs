using static TorchSharp.torch;

namespace Repro.Model.Clip;

/// <summary>
/// transformers' <c>BaseModelOutputWithPooling</c> for the CLIP towers.
/// <paramref name="HiddenStates"/>: the embeddings (vision: after <c>pre_layrnorm</c>) followed by each encoder
/// layer's output, before the final norm; null unless requested.
/// </summary>
public sealed record BaseModelOutputWithPooling(Tensor LastHiddenState, Tensor PooledOutput, IReadOnlyList<Tensor>? HiddenStates) : IDisposable
{
    public void Dispose()
    {
        LastHiddenState.Dispose();
        PooledOutput.Dispose();
        if (HiddenStates is not null) foreach (var t in HiddenStates) t.Dispose();
    }

    internal BaseModelOutputWithPooling MoveToOuterDisposeScope()
    {
        LastHiddenState.MoveToOuterDisposeScope();
        PooledOutput.MoveToOuterDisposeScope();
        if (HiddenStates is not null) foreach (var t in HiddenStates) t.MoveToOuterDisposeScope();
        return this;
    }
}
