using Repro.Model.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Vae;

/// <summary>
/// diffusers <c>UNetMidBlock2D</c> as the VAE uses it: resnet, then (single-head spatial attention with GroupNorm,
/// residual add, rescale 1 → resnet). No time embedding.
/// </summary>
public sealed class UNetMidBlock2D : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly ModuleList<Attention.Attention> attentions;
    private readonly ModuleList<ResnetBlock2D> resnets;
#pragma warning restore IDE1006

    public UNetMidBlock2D(long channels, double eps, long groups, string actFn) : base(nameof(UNetMidBlock2D))
    {
        attentions = new ModuleList<Attention.Attention>(new Attention.Attention(channels, null, heads: 1, dimHead: channels, bias: true,
            upcastSoftmax: true, normNumGroups: groups, eps: eps, residualConnection: true, rescaleOutputFactor: 1.0));
        resnets = new ModuleList<ResnetBlock2D>(
            new ResnetBlock2D(channels, channels, null, eps, groups, actFn: actFn),
            new ResnetBlock2D(channels, channels, null, eps, groups, actFn: actFn));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var _ = torch.NewDisposeScope();
        var h = resnets[0].forward(input, null);
        h = attentions[0].forward(h);
        h = resnets[1].forward(h, null);
        return h.MoveToOuterDisposeScope();
    }
}
