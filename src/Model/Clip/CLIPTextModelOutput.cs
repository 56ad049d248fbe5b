using static TorchSharp.torch;

namespace Repro.Model.Clip;

/// <summary>transformers' <c>CLIPTextModelOutput</c>: projected pooled EOS state plus the tower's states.</summary>
public sealed record CLIPTextModelOutput(Tensor TextEmbeds, Tensor LastHiddenState, IReadOnlyList<Tensor>? HiddenStates) : IDisposable
{
    public void Dispose()
    {
        TextEmbeds.Dispose();
        LastHiddenState.Dispose();
        if (HiddenStates is not null) foreach (var t in HiddenStates) t.Dispose();
    }
}
