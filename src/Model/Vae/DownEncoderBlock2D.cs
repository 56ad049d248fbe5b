using Repro.Model.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Vae;

/// <summary>diffusers <c>DownEncoderBlock2D</c>: resnets without time embedding, then a padded stride-2 Downsample2D.</summary>
public sealed class DownEncoderBlock2D : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<Downsample2D>? downsamplers;
#pragma warning restore IDE1006

    public DownEncoderBlock2D(long inChannels, long outChannels, int numLayers, bool addDownsample, double eps, long groups, string actFn)
        : base(nameof(DownEncoderBlock2D))
    {
        resnets = new ModuleList<ResnetBlock2D>(Enumerable.Range(0, numLayers)
            .Select(i => new ResnetBlock2D(i == 0 ? inChannels : outChannels, outChannels, null, eps, groups, actFn: actFn)).ToArray());
        if (addDownsample) downsamplers = new ModuleList<Downsample2D>(new Downsample2D(outChannels, outChannels, padding: 0));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var _ = torch.NewDisposeScope();
        var h = input;
        foreach (var r in resnets) h = r.forward(h, null);
        if (downsamplers is not null) foreach (var d in downsamplers) h = d.forward(h);
        return h.MoveToOuterDisposeScope();
    }
}
