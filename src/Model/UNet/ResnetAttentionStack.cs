using Repro.Model.Attention;
using Repro.Model.Blocks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.UNet;

/// <summary>
/// The one resnet → (attention) loop shared by every UNet block (diffusers repeats it per block class):
/// for each layer i, optionally transform the input (the up blocks concatenate a skip connection), run resnet i,
/// then attention i when the block has attentions, and hand the result to <paramref name="afterLayer"/>.
/// </summary>
internal static class ResnetAttentionStack
{
    public static Tensor Run(Tensor hidden, Tensor temb, ModuleList<ResnetBlock2D> resnets, ModuleList<Transformer2DModel>? attentions,
                             Tensor? encoderHiddenStates, Func<int, Tensor, Tensor>? beforeLayer = null, Action<Tensor>? afterLayer = null)
    {
        if (attentions is not null && encoderHiddenStates is null)
            throw new ArgumentException("a cross-attention block needs encoder_hidden_states");
        var h = hidden;
        for (int i = 0; i < resnets.Count; i++)
        {
            if (beforeLayer is not null) h = beforeLayer(i, h);
            h = resnets[i].forward(h, temb);
            if (attentions is not null) h = attentions[i].forward(h, encoderHiddenStates!);
            afterLayer?.Invoke(h);
        }
        return h;
    }
}
