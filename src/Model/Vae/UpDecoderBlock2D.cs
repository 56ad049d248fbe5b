using Repro.Model.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Vae;

/// <summary>diffusers <c>UpDecoderBlock2D</c>: resnets without time embedding, then nearest-x2 Upsample2D.</summary>
public sealed class UpDecoderBlock2D : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<Upsample2D>? upsamplers;
#pragma warning restore IDE1006

    public UpDecoderBlock2D(long inChannels, long outChannels, int numLayers, bool addUpsample, double eps, long groups, string actFn)
        : base(nameof(UpDecoderBlock2D))
    {
        resnets = new ModuleList<ResnetBlock2D>(Enumerable.Range(0, numLayers)
            .Select(i => new ResnetBlock2D(i == 0 ? inChannels : outChannels, outChannels, null, eps, groups, actFn: actFn)).ToArray());
        if (addUpsample) upsamplers = new ModuleList<Upsample2D>(new Upsample2D(outChannels, outChannels));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var _ = torch.NewDisposeScope();
        var h = input;
        foreach (var r in resnets) h = r.forward(h, null);
        if (upsamplers is not null) foreach (var u in upsamplers) h = u.forward(h);
        return h.MoveToOuterDisposeScope();
    }
}
