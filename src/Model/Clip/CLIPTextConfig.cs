using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Repro.Model.IO;

namespace Repro.Model.Clip;

/// <summary>transformers' <c>CLIPTextConfig</c> (4.38), with its defaults.</summary>
public sealed record CLIPTextConfig : IValidatedConfig
{
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 49408;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 512;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 2048;
    [JsonPropertyName("projection_dim")] public int ProjectionDim { get; init; } = 512;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 8;
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 77;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "quick_gelu";
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-5;
    [JsonPropertyName("attention_dropout")] public double AttentionDropout { get; init; }
    /// <summary>Written by old transformers versions (SD2.1's config); CLIP never used it.</summary>
    [JsonPropertyName("dropout")] public double Dropout { get; init; }
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;
    [JsonPropertyName("initializer_factor")] public double InitializerFactor { get; init; } = 1.0;
    [JsonPropertyName("pad_token_id")] public int? PadTokenId { get; init; } = 1;
    [JsonPropertyName("bos_token_id")] public int? BosTokenId { get; init; } = 49406;
    /// <summary>2 selects the legacy pooling (argmax of the ids); any other value pools at its first occurrence.</summary>
    [JsonPropertyName("eos_token_id")] public int? EosTokenId { get; init; } = 49407;
    [JsonPropertyName("architectures")] public string[]? Architectures { get; init; }
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "clip_text_model";
    [JsonPropertyName("torch_dtype")] public string? TorchDtype { get; init; }
    [JsonPropertyName("transformers_version")] public string? TransformersVersion { get; init; }

    [JsonIgnore] public int HeadDim => HiddenSize / NumAttentionHeads;

    public void Validate(string path)
    {
        ClipConfigChecks.Positive(path, "vocab_size", VocabSize);
        ClipConfigChecks.Positive(path, "max_position_embeddings", MaxPositionEmbeddings);
        ClipConfigChecks.Common(path, HiddenSize, NumAttentionHeads, IntermediateSize, NumHiddenLayers, HiddenAct, LayerNormEps);
    }

    /// <summary>
    /// Reads a <c>config.json</c> that is either a text config or a full <c>CLIPConfig</c> (then its
    /// <c>text_config</c> is used, as transformers' <c>CLIPTextConfig.from_pretrained</c> does).
    /// </summary>
    public static ConfigFile<CLIPTextConfig> Read(string path)
    {
        var node = ConfigJson.ReadObject(path);
        if ((string?)node["model_type"] == "clip")
        {
            var full = CLIPConfig.Read(path);
            return new ConfigFile<CLIPTextConfig>(path, full.Config.TextConfig, full.UnknownKeys);
        }
        var file = ConfigJson.Read<CLIPTextConfig>(path, TransformersConfigKeys.Ignored);
        return file;
    }

    internal static bool IsFullClip(JsonObject node) => (string?)node["model_type"] == "clip";
}
