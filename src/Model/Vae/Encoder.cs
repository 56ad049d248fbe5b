using Repro.Model.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Vae;

/// <summary>diffusers VAE <c>Encoder</c>: conv_in, DownEncoderBlock2Ds, mid block, GroupNorm → SiLU → conv_out (2*latent channels).</summary>
public sealed class Encoder : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Conv2d conv_in;
    private readonly ModuleList<DownEncoderBlock2D> down_blocks;
    private readonly UNetMidBlock2D mid_block;
    private readonly GroupNorm conv_norm_out;
    private readonly Conv2d conv_out;
#pragma warning restore IDE1006
    private readonly string _actFn;

    public Encoder(AutoencoderKLConfig c) : base(nameof(Encoder))
    {
        const double eps = 1e-6;
        var ch = c.BlockOutChannels;
        conv_in = nn.Conv2d(c.InChannels, ch[0], 3, stride: 1, padding: 1);
        down_blocks = new ModuleList<DownEncoderBlock2D>(Enumerable.Range(0, ch.Length).Select(i =>
            new DownEncoderBlock2D(i == 0 ? ch[0] : ch[i - 1], ch[i], c.LayersPerBlock, i != ch.Length - 1, eps, c.NormNumGroups, c.ActFn)).ToArray());
        mid_block = new UNetMidBlock2D(ch[^1], eps, c.NormNumGroups, c.ActFn);
        conv_norm_out = Norms.GroupNorm(c.NormNumGroups, ch[^1], eps);
        conv_out = nn.Conv2d(ch[^1], 2 * c.LatentChannels, 3, stride: 1, padding: 1);
        _actFn = c.ActFn;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var _ = torch.NewDisposeScope();
        var h = conv_in.forward(input);
        foreach (var block in down_blocks) h = block.forward(h);
        h = mid_block.forward(h);
        h = conv_out.forward(Norms.Activation(_actFn, conv_norm_out.forward(h)));
        return h.MoveToOuterDisposeScope();
    }
}
