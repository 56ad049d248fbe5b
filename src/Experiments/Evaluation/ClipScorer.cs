using Repro.Model.Clip;
using Repro.Model.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.Evaluation;

/// <summary>
/// CLIP-I / CLIP-T embedder: transformers' <c>CLIPVisionModelWithProjection</c> and
/// <c>CLIPTextModelWithProjection</c> loaded from one CLIP folder (e.g. openai/clip-vit-base-patch32: config.json,
/// model.safetensors, vocab.json, merges.txt), the <c>CLIPImageProcessor</c> preprocessing, and L2-normalised
/// <c>image_embeds</c> / <c>text_embeds</c>.
/// </summary>
public sealed class ClipScorer : IImageEmbedder
{
    private readonly CLIPVisionModelWithProjection _vision;
    private readonly CLIPTextModelWithProjection _text;
    private readonly ClipTokenizer _tokenizer;
    private readonly Device _device;
    private readonly string _folder;

    public string Id { get; }
    public string Name => "CLIP";
    public ImagePreprocessor Preprocessor { get; }

    /// <summary>The id of the text embeddings (model weights + tokenizer), distinct from the image id.</summary>
    public string TextId { get; }

    private ClipScorer(string folder, CLIPVisionModelWithProjection vision, CLIPTextModelWithProjection text,
                       ClipTokenizer tokenizer, string tokenizerDir, ImagePreprocessor preprocessor, Device device)
    {
        _folder = folder;
        _vision = vision;
        _text = text;
        _tokenizer = tokenizer;
        _device = device;
        Preprocessor = preprocessor;
        string modelHash = ModelFolderHash.Compute(folder);
        Id = $"clip-image|{modelHash}|{preprocessor.Describe()}";
        TextId = $"clip-text|{modelHash}|{TokenizerHash(tokenizerDir)}";
    }

    /// <summary>
    /// Loads a CLIP folder. The tokenizer comes from <paramref name="tokenizerDir"/>, else the folder's own
    /// vocab.json + merges.txt, else the OpenAI CLIP BPE files bundled with Repro.Model. The image processor is
    /// transformers' CLIPImageProcessor at the vision config's image_size (224 for ViT-B/32).
    /// </summary>
    public static ClipScorer FromPretrained(string folder, string? tokenizerDir = null, Device? device = null)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: CLIP model folder not found");
        device ??= torch.CPU;
        var vision = CLIPVisionModelWithProjection.FromPretrained(folder, device: device);
        var text = CLIPTextModelWithProjection.FromPretrained(folder, device: device);
        string tokDir = tokenizerDir
                        ?? (File.Exists(Path.Combine(folder, "vocab.json")) && File.Exists(Path.Combine(folder, "merges.txt"))
                            ? folder : BundledClipTokenizer.Folder());
        var tokenizer = ClipTokenizer.FromFolder(tokDir);
        return new ClipScorer(folder, vision, text, tokenizer, tokDir, ImagePreprocessor.Clip(vision.Config.ImageSize), device);
    }

    public Tensor EmbedPixels(Tensor pixels)
    {
        using var _ = NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var output = _vision.forward(pixels.to(_device));
        return CLIPModel.Normalize(output.ImageEmbeds).to(ScalarType.Float32).cpu().MoveToOuterDisposeScope();
    }

    /// <summary>Texts → (N, D) L2-normalised text embeds (padded to max_position_embeddings with an attention mask).</summary>
    public Tensor EmbedTexts(IReadOnlyList<string> texts)
    {
        int length = _text.Config.MaxPositionEmbeddings;
        var ids = new long[texts.Count * length];
        var mask = new long[texts.Count * length];
        for (int i = 0; i < texts.Count; i++)
        {
            int real = Math.Min(_tokenizer.Encode(texts[i]).Length, length);
            int[] padded = _tokenizer.EncodePadded(texts[i], length);
            for (int j = 0; j < length; j++)
            {
                if (padded[j] >= _text.Config.VocabSize)
                    throw new ArgumentException($"{_folder}: token id {padded[j]} of '{texts[i]}' is outside the text model's vocab_size {_text.Config.VocabSize} (config.json); use the model's own tokenizer files");
                ids[i * length + j] = padded[j];
                mask[i * length + j] = j < real ? 1 : 0;
            }
        }
        using var inputIds = torch.tensor(ids, [texts.Count, length]);
        using var attention = torch.tensor(mask, [texts.Count, length]);
        return EmbedIds(inputIds, attention);
    }

    /// <summary>Token ids (N, L) + attention mask → (N, D) L2-normalised <c>text_embeds</c>.</summary>
    public Tensor EmbedIds(Tensor inputIds, Tensor? attentionMask)
    {
        using var _ = NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var output = _text.forward(inputIds.to(_device), attentionMask?.to(_device));
        return CLIPModel.Normalize(output.TextEmbeds).to(ScalarType.Float32).cpu().MoveToOuterDisposeScope();
    }

    private static string TokenizerHash(string dir)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (string name in new[] { "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json" })
        {
            string path = Path.Combine(dir, name);
            if (File.Exists(path)) sha.AppendData(File.ReadAllBytes(path));
        }
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    public void Dispose()
    {
        _vision.Dispose();
        _text.Dispose();
    }
}
