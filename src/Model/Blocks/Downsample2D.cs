using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Blocks;

/// <summary>
/// diffusers <c>Downsample2D(use_conv=True)</c>: a stride-2 3x3 conv. With <c>padding=0</c> (the VAE encoder) the input
/// is first padded (left 0, right 1, top 0, bottom 1) with zeros, as diffusers does.
/// </summary>
public sealed class Downsample2D : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Conv2d conv;
#pragma warning restore IDE1006
    private readonly long _padding;

    public Downsample2D(long channels, long outChannels, long padding) : base(nameof(Downsample2D))
    {
        conv = nn.Conv2d(channels, outChannels, 3, stride: 2, padding: padding);
        _padding = padding;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        if (_padding != 0) return conv.forward(input);
        using var padded = nn.functional.pad(input, [0, 1, 0, 1], PaddingModes.Constant, 0.0);
        return conv.forward(padded);
    }
}
