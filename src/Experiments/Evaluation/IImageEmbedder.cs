using static TorchSharp.torch;

namespace Repro.Experiments.Evaluation;

/// <summary>An evaluation model that maps preprocessed images to L2-normalised embeddings (cosine = dot product).</summary>
public interface IImageEmbedder : IDisposable
{
    /// <summary>Stable id of everything that determines an embedding: model kind, weights hash, preprocessing.</summary>
    string Id { get; }

    /// <summary>Short name used in tables ("CLIP", "DINO").</summary>
    string Name { get; }

    ImagePreprocessor Preprocessor { get; }

    /// <summary>(B, 3, h, w) normalised pixels → (B, D) float32 L2-normalised embeddings on the CPU.</summary>
    Tensor EmbedPixels(Tensor pixels);
}
