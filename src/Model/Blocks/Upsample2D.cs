using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Blocks;

/// <summary>
/// diffusers <c>Upsample2D(use_conv=True)</c>: nearest-neighbour x2 (or to an explicit size, which the UNet passes
/// when the latent size is not a multiple of the total down-sampling factor), then a 3x3 conv.
/// </summary>
public sealed class Upsample2D : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Conv2d conv;
#pragma warning restore IDE1006

    public Upsample2D(long channels, long outChannels) : base(nameof(Upsample2D))
    {
        conv = nn.Conv2d(channels, outChannels, 3, stride: 1, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => forward(input, null);

    public Tensor forward(Tensor input, long[]? outputSize)
    {
        using var _ = torch.NewDisposeScope();
        var up = outputSize is null
            ? nn.functional.interpolate(input, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest)
            : nn.functional.interpolate(input, size: outputSize, mode: InterpolationMode.Nearest);
        return conv.forward(up).MoveToOuterDisposeScope();
    }
}
