using System.Text.Json.Serialization;
using Repro.Model.IO;

namespace Repro.Model.Clip;

/// <summary>transformers' <c>CLIPVisionConfig</c> (4.38), with its defaults.</summary>
public sealed record CLIPVisionConfig : IValidatedConfig
{
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 3072;
    [JsonPropertyName("projection_dim")] public int ProjectionDim { get; init; } = 512;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;
    [JsonPropertyName("num_channels")] public int NumChannels { get; init; } = 3;
    [JsonPropertyName("image_size")] public int ImageSize { get; init; } = 224;
    [JsonPropertyName("patch_size")] public int PatchSize { get; init; } = 32;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "quick_gelu";
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-5;
    [JsonPropertyName("attention_dropout")] public double AttentionDropout { get; init; }
    [JsonPropertyName("dropout")] public double Dropout { get; init; }
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;
    [JsonPropertyName("initializer_factor")] public double InitializerFactor { get; init; } = 1.0;
    [JsonPropertyName("architectures")] public string[]? Architectures { get; init; }
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "clip_vision_model";
    [JsonPropertyName("torch_dtype")] public string? TorchDtype { get; init; }
    [JsonPropertyName("transformers_version")] public string? TransformersVersion { get; init; }

    [JsonIgnore] public int NumPatches => (ImageSize / PatchSize) * (ImageSize / PatchSize);

    public void Validate(string path)
    {
        ClipConfigChecks.Common(path, HiddenSize, NumAttentionHeads, IntermediateSize, NumHiddenLayers, HiddenAct, LayerNormEps);
        ClipConfigChecks.Positive(path, "patch_size", PatchSize);
        ClipConfigChecks.Positive(path, "num_channels", NumChannels);
        if (ImageSize % PatchSize != 0)
            throw new InvalidDataException($"{path}: image_size {ImageSize} is not a multiple of patch_size {PatchSize}");
    }

    /// <summary>Reads a vision config, or the <c>vision_config</c> of a full <c>CLIPConfig</c>.</summary>
    public static ConfigFile<CLIPVisionConfig> Read(string path)
    {
        var node = ConfigJson.ReadObject(path);
        if (CLIPTextConfig.IsFullClip(node))
        {
            var full = CLIPConfig.Read(path);
            return new ConfigFile<CLIPVisionConfig>(path, full.Config.VisionConfig, full.UnknownKeys);
        }
        return ConfigJson.Read<CLIPVisionConfig>(path, TransformersConfigKeys.Ignored);
    }
}
