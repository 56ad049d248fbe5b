using Repro.Model.Clip;
using Repro.Model.Vit;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.Evaluation;

/// <summary>
/// DINO embedder: transformers' <c>ViTModel</c> without pooler (facebook/dino-vits16 layout) and the L2-normalised
/// CLS token of <c>last_hidden_state</c>; preprocessing = the DINO evaluation transform (Resize 256, crop 224).
/// </summary>
public sealed class DinoScorer : IImageEmbedder
{
    private readonly ViTModel _model;
    private readonly Device _device;

    public string Id { get; }
    public string Name => "DINO";
    public ImagePreprocessor Preprocessor { get; }

    public DinoScorer(ViTModel model, string modelHash, ImagePreprocessor preprocessor, Device device)
    {
        _model = model;
        _device = device;
        Preprocessor = preprocessor;
        Id = $"dino-cls|{modelHash}|{preprocessor.Describe()}";
    }

    /// <summary>
    /// Loads a ViT folder. The preprocessing scales the DINO transform to the config's image_size
    /// (Resize(size·256/224), CenterCrop(size)): 256 / 224 for ViT-S/16.
    /// </summary>
    public static DinoScorer FromPretrained(string folder, Device? device = null)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: DINO model folder not found");
        device ??= torch.CPU;
        var model = ViTModel.FromPretrained(folder, addPoolingLayer: false, device: device);
        int crop = model.Config.ImageSize;
        var preprocessor = ImagePreprocessor.Dino(crop * 256 / 224, crop);
        return new DinoScorer(model, ModelFolderHash.Compute(folder), preprocessor, device);
    }

    public Tensor EmbedPixels(Tensor pixels)
    {
        using var _ = NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var output = _model.forward(pixels.to(_device));
        return CLIPModel.Normalize(output.Cls).to(ScalarType.Float32).cpu().MoveToOuterDisposeScope();
    }

    public void Dispose() => _model.Dispose();
}
