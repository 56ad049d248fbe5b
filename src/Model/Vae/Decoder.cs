using Repro.Model.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Vae;

/// <summary>diffusers VAE <c>Decoder</c>: conv_in, mid block, UpDecoderBlock2Ds (layers_per_block + 1 resnets), GroupNorm → SiLU → conv_out.</summary>
public sealed class Decoder : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Conv2d conv_in;
    private readonly ModuleList<UpDecoderBlock2D> up_blocks;
    private readonly UNetMidBlock2D mid_block;
    private readonly GroupNorm conv_norm_out;
    private readonly Conv2d conv_out;
#pragma warning restore IDE1006
    private readonly string _actFn;

    public Decoder(AutoencoderKLConfig c) : base(nameof(Decoder))
    {
        const double eps = 1e-6;
        var rev = c.BlockOutChannels.Reverse().ToArray();
        conv_in = nn.Conv2d(c.LatentChannels, rev[0], 3, stride: 1, padding: 1);
        up_blocks = new ModuleList<UpDecoderBlock2D>(Enumerable.Range(0, rev.Length).Select(i =>
            new UpDecoderBlock2D(i == 0 ? rev[0] : rev[i - 1], rev[i], c.LayersPerBlock + 1, i != rev.Length - 1, eps, c.NormNumGroups, c.ActFn)).ToArray());
        mid_block = new UNetMidBlock2D(rev[0], eps, c.NormNumGroups, c.ActFn);
        conv_norm_out = Norms.GroupNorm(c.NormNumGroups, c.BlockOutChannels[0], eps);
        conv_out = nn.Conv2d(c.BlockOutChannels[0], c.OutChannels, 3, stride: 1, padding: 1);
        _actFn = c.ActFn;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var _ = torch.NewDisposeScope();
        var h = conv_in.forward(input);
        h = mid_block.forward(h);
        foreach (var block in up_blocks) h = block.forward(h);
        h = conv_out.forward(Norms.Activation(_actFn, conv_norm_out.forward(h)));
        return h.MoveToOuterDisposeScope();
    }
}
