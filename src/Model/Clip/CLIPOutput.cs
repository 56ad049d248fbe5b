using static TorchSharp.torch;

namespace Repro.Model.Clip;

/// <summary>
/// transformers' <c>CLIPOutput</c>. <paramref name="TextEmbeds"/> and <paramref name="ImageEmbeds"/> are the
/// L2-normalised projections; logits = exp(logit_scale) · cosine.
/// </summary>
public sealed record CLIPOutput(Tensor LogitsPerImage, Tensor LogitsPerText, Tensor TextEmbeds, Tensor ImageEmbeds,
                                BaseModelOutputWithPooling TextModelOutput, BaseModelOutputWithPooling VisionModelOutput) : IDisposable
{
    public void Dispose()
    {
        LogitsPerImage.Dispose();
        LogitsPerText.Dispose();
        TextEmbeds.Dispose();
        ImageEmbeds.Dispose();
        TextModelOutput.Dispose();
        VisionModelOutput.Dispose();
    }
}
