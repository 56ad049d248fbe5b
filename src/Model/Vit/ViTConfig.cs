using System.Text.Json.Serialization;
using Repro.Model.Clip;
using Repro.Model.IO;

namespace Repro.Model.Vit;

/// <summary>transformers' <c>ViTConfig</c> (4.38), with its defaults (DINO checkpoints use this layout).</summary>
public sealed record ViTConfig : IValidatedConfig
{
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 3072;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "gelu";
    [JsonPropertyName("hidden_dropout_prob")] public double HiddenDropoutProb { get; init; }
    [JsonPropertyName("attention_probs_dropout_prob")] public double AttentionProbsDropoutProb { get; init; }
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;
    /// <summary>1e-12 in transformers and in facebook/dino-vits16's config (the DINO code used 1e-6): always read it.</summary>
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-12;
    [JsonPropertyName("image_size")] public int ImageSize { get; init; } = 224;
    [JsonPropertyName("patch_size")] public int PatchSize { get; init; } = 16;
    [JsonPropertyName("num_channels")] public int NumChannels { get; init; } = 3;
    [JsonPropertyName("qkv_bias")] public bool QkvBias { get; init; } = true;
    /// <summary>Used only by ViTForMaskedImageModeling's decoder.</summary>
    [JsonPropertyName("encoder_stride")] public int EncoderStride { get; init; } = 16;
    [JsonPropertyName("architectures")] public string[]? Architectures { get; init; }
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "vit";
    [JsonPropertyName("torch_dtype")] public string? TorchDtype { get; init; }
    [JsonPropertyName("transformers_version")] public string? TransformersVersion { get; init; }

    [JsonIgnore] public int NumPatches => (ImageSize / PatchSize) * (ImageSize / PatchSize);

    public void Validate(string path)
    {
        if (!HiddenActivation.IsKnown(HiddenAct))
            throw new InvalidDataException($"{path}: hidden_act '{HiddenAct}' is not supported (expected one of {string.Join(", ", HiddenActivation.Names)})");
        if (HiddenSize <= 0 || NumAttentionHeads <= 0 || HiddenSize % NumAttentionHeads != 0)
            throw new InvalidDataException($"{path}: hidden_size {HiddenSize} must be a positive multiple of num_attention_heads {NumAttentionHeads}");
        if (PatchSize <= 0 || ImageSize % PatchSize != 0)
            throw new InvalidDataException($"{path}: image_size {ImageSize} is not a multiple of patch_size {PatchSize}");
        if (IntermediateSize <= 0) throw new InvalidDataException($"{path}: intermediate_size must be positive, got {IntermediateSize}");
        if (!(LayerNormEps > 0)) throw new InvalidDataException($"{path}: layer_norm_eps must be positive, got {LayerNormEps}");
    }

    public static ConfigFile<ViTConfig> Read(string path) => ConfigJson.Read<ViTConfig>(path, TransformersConfigKeys.Ignored);
}
