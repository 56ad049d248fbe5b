using Repro.Model.Attention;
using Repro.Model.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.UNet;

/// <summary>diffusers <c>UNetMidBlock2DCrossAttn</c>: resnet, then num_layers × (Transformer2DModel → resnet).</summary>
public sealed class UNetMidBlock2DCrossAttn : nn.Module
{
#pragma warning disable IDE1006
    private readonly ModuleList<Transformer2DModel> attentions;
    private readonly ModuleList<ResnetBlock2D> resnets;
#pragma warning restore IDE1006

    /// <param name="s">NumLayers = number of attention layers (1 in SD); OutChannels = InChannels.</param>
    public UNetMidBlock2DCrossAttn(BlockSettings s) : base(nameof(UNetMidBlock2DCrossAttn))
    {
        long c = s.InChannels;
        attentions = new ModuleList<Transformer2DModel>(Enumerable.Range(0, s.NumLayers).Select(_ =>
            new Transformer2DModel(s.Heads, c / s.Heads, c, s.TransformerLayers, s.CrossAttentionDim, s.Groups,
                                   s.UseLinearProjection, s.UpcastAttention, s.Dropout)).ToArray());
        resnets = new ModuleList<ResnetBlock2D>(Enumerable.Range(0, s.NumLayers + 1).Select(_ =>
            new ResnetBlock2D(c, c, s.TembChannels, s.Eps, s.Groups, s.Dropout, s.ActFn, s.OutputScaleFactor)).ToArray());
        RegisterComponents();
    }

    public Tensor forward(Tensor hidden, Tensor temb, Tensor encoderHiddenStates)
    {
        using var _ = torch.NewDisposeScope();
        var h = resnets[0].forward(hidden, temb);
        for (int i = 0; i < attentions.Count; i++)
            h = resnets[i + 1].forward(attentions[i].forward(h, encoderHiddenStates), temb);
        return h.MoveToOuterDisposeScope();
    }
}
