using static TorchSharp.torch;

namespace Repro.Model.Clip;

/// <summary>transformers' <c>CLIPVisionModelOutput</c>: projected post-normed CLS plus the tower's states.</summary>
public sealed record CLIPVisionModelOutput(Tensor ImageEmbeds, Tensor LastHiddenState, IReadOnlyList<Tensor>? HiddenStates) : IDisposable
{
    public void Dispose()
    {
        ImageEmbeds.Dispose();
        LastHiddenState.Dispose();
        if (HiddenStates is not null) foreach (var t in HiddenStates) t.Dispose();
    }
}
