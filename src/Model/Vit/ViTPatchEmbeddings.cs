using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Vit;

/// <summary>transformers' <c>ViTPatchEmbeddings</c>: a patch convolution with bias (key <c>projection.*</c>).</summary>
public sealed class ViTPatchEmbeddings : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Conv2d projection;
#pragma warning restore IDE1006
    private readonly int _imageSize;
    private readonly int _channels;

    public ViTPatchEmbeddings(ViTConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ViTPatchEmbeddings))
    {
        _imageSize = config.ImageSize;
        _channels = config.NumChannels;
        projection = nn.Conv2d(config.NumChannels, config.HiddenSize, config.PatchSize, stride: config.PatchSize, bias: true,
                               device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <returns>[batch, patches, hidden].</returns>
    public override Tensor forward(Tensor pixelValues)
    {
        using var _ = NewDisposeScope();
        if (pixelValues.ndim != 4 || pixelValues.shape[1] != _channels || pixelValues.shape[2] != _imageSize || pixelValues.shape[3] != _imageSize)
            throw new ArgumentException($"pixel_values must be [batch, {_channels}, {_imageSize}, {_imageSize}] (no position interpolation), " +
                                        $"got [{string.Join(", ", pixelValues.shape)}]");
        return projection.forward(pixelValues.to(projection.weight!.dtype)).flatten(2).transpose(1, 2).MoveToOuterDisposeScope();
    }
}
