using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Clip;

/// <summary>
/// transformers' <c>CLIPVisionEmbeddings</c>: <c>class_embedding</c> [hidden] + a bias-free patch convolution
/// (stride = patch) + learned position embeddings for CLS and every patch.
/// </summary>
public sealed class CLIPVisionEmbeddings : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Parameter class_embedding;
    private readonly Conv2d patch_embedding;
    private readonly Embedding position_embedding;
#pragma warning restore IDE1006

    private readonly int _imageSize;

    public CLIPVisionEmbeddings(CLIPVisionConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPVisionEmbeddings))
    {
        _imageSize = config.ImageSize;
        class_embedding = new Parameter(torch.randn(config.HiddenSize, dtype: dtype, device: device));
        patch_embedding = nn.Conv2d(config.NumChannels, config.HiddenSize, config.PatchSize, stride: config.PatchSize,
                                    bias: false, device: device, dtype: dtype);
        position_embedding = nn.Embedding(config.NumPatches + 1, config.HiddenSize, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <param name="pixelValues">[batch, channels, image_size, image_size], already normalised.</param>
    /// <returns>[batch, 1 + patches, hidden], CLS first.</returns>
    public override Tensor forward(Tensor pixelValues)
    {
        using var _ = NewDisposeScope();
        if (pixelValues.ndim != 4 || pixelValues.shape[2] != _imageSize || pixelValues.shape[3] != _imageSize)
            throw new ArgumentException($"pixel_values must be [batch, channels, {_imageSize}, {_imageSize}], got [{string.Join(", ", pixelValues.shape)}]");
        var weight = patch_embedding.weight!;
        var patches = patch_embedding.forward(pixelValues.to(weight.dtype)).flatten(2).transpose(1, 2);
        long b = patches.shape[0];
        var cls = class_embedding.view(1, 1, -1).expand(b, 1, -1);
        var tokens = torch.cat([cls, patches], dim: 1);
        var positions = torch.arange(tokens.shape[1], dtype: ScalarType.Int64, device: tokens.device).unsqueeze(0);
        return (tokens + position_embedding.forward(positions)).MoveToOuterDisposeScope();
    }
}
