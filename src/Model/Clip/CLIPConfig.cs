using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Repro.Model.IO;

namespace Repro.Model.Clip;

/// <summary>transformers' <c>CLIPConfig</c> (4.38): a text and a vision config plus the shared projection.</summary>
public sealed record CLIPConfig : IValidatedConfig
{
    [JsonPropertyName("text_config")] public CLIPTextConfig TextConfig { get; init; } = new();
    [JsonPropertyName("vision_config")] public CLIPVisionConfig VisionConfig { get; init; } = new();
    /// <summary>Legacy keys of old checkpoints (openai/clip-*): when present they override the nested configs.</summary>
    [JsonPropertyName("text_config_dict")] public JsonObject? TextConfigDict { get; init; }
    [JsonPropertyName("vision_config_dict")] public JsonObject? VisionConfigDict { get; init; }
    [JsonPropertyName("projection_dim")] public int ProjectionDim { get; init; } = 512;
    [JsonPropertyName("logit_scale_init_value")] public double LogitScaleInitValue { get; init; } = 2.6592;
    [JsonPropertyName("initializer_factor")] public double InitializerFactor { get; init; } = 1.0;
    [JsonPropertyName("architectures")] public string[]? Architectures { get; init; }
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "clip";
    [JsonPropertyName("torch_dtype")] public string? TorchDtype { get; init; }
    [JsonPropertyName("transformers_version")] public string? TransformersVersion { get; init; }

    public void Validate(string path)
    {
        TextConfig.Validate(path + " (text_config)");
        VisionConfig.Validate(path + " (vision_config)");
        ClipConfigChecks.Positive(path, "projection_dim", ProjectionDim);
    }

    /// <summary>Reads a full CLIP config; unknown keys of the nested configs are reported as <c>text_config.x</c>.</summary>
    public static ConfigFile<CLIPConfig> Read(string path)
    {
        var node = ConfigJson.ReadObject(path);
        var file = ConfigJson.Read<CLIPConfig>(path, TransformersConfigKeys.Ignored);
        var config = file.Config;
        var unknown = file.UnknownKeys.ToList();
        foreach (var (key, type) in new[] { ("text_config", typeof(CLIPTextConfig)), ("vision_config", typeof(CLIPVisionConfig)),
                                            ("text_config_dict", typeof(CLIPTextConfig)), ("vision_config_dict", typeof(CLIPVisionConfig)) })
            if (node[key] is JsonObject nested) unknown.AddRange(TransformersConfigKeys.Unknown(nested, type, key + "."));
        if (config.TextConfigDict is not null)
            config = config with { TextConfig = Merge<CLIPTextConfig>(path, node["text_config"] as JsonObject, config.TextConfigDict) };
        if (config.VisionConfigDict is not null)
            config = config with { VisionConfig = Merge<CLIPVisionConfig>(path, node["vision_config"] as JsonObject, config.VisionConfigDict) };
        if (config.TextConfigDict is not null || config.VisionConfigDict is not null) config.Validate(path);
        return new ConfigFile<CLIPConfig>(path, config, unknown);
    }

    private static T Merge<T>(string path, JsonObject? baseConfig, JsonObject overrides)
    {
        var merged = baseConfig?.DeepClone().AsObject() ?? new JsonObject();
        foreach (var (k, v) in overrides) merged[k] = v?.DeepClone();
        return merged.Deserialize<T>(ConfigJson.Options) ?? throw new InvalidDataException($"{path}: nested config is null");
    }
}
