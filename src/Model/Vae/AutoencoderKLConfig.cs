using System.Text.Json;
using System.Text.Json.Serialization;
using Repro.Model.IO;

namespace Repro.Model.Vae;

/// <summary>
/// diffusers <c>AutoencoderKL</c> config (0.27 keys and defaults). <c>sample_size</c>, <c>force_upcast</c> (a pipeline
/// hint for fp16) and null <c>latents_mean</c>/<c>latents_std</c> do not change the model's math.
/// </summary>
public sealed class AutoencoderKLConfig : IValidatedConfig
{
    [JsonPropertyName("in_channels")] public int InChannels { get; init; } = 3;
    [JsonPropertyName("out_channels")] public int OutChannels { get; init; } = 3;
    [JsonPropertyName("down_block_types")] public string[] DownBlockTypes { get; init; } = ["DownEncoderBlock2D"];
    [JsonPropertyName("up_block_types")] public string[] UpBlockTypes { get; init; } = ["UpDecoderBlock2D"];
    [JsonPropertyName("block_out_channels")] public int[] BlockOutChannels { get; init; } = [64];
    [JsonPropertyName("layers_per_block")] public int LayersPerBlock { get; init; } = 1;
    [JsonPropertyName("act_fn")] public string ActFn { get; init; } = "silu";
    [JsonPropertyName("latent_channels")] public int LatentChannels { get; init; } = 4;
    [JsonPropertyName("norm_num_groups")] public int NormNumGroups { get; init; } = 32;
    [JsonPropertyName("sample_size")] public JsonElement? SampleSize { get; init; }
    [JsonPropertyName("scaling_factor")] public double ScalingFactor { get; init; } = 0.18215;
    [JsonPropertyName("force_upcast")] public bool ForceUpcast { get; init; } = true;
    [JsonPropertyName("latents_mean")] public JsonElement? LatentsMean { get; init; }
    [JsonPropertyName("latents_std")] public JsonElement? LatentsStd { get; init; }
    [JsonPropertyName("mid_block_add_attention")] public bool MidBlockAddAttention { get; init; } = true;

    public void Validate(string path)
    {
        foreach (string t in DownBlockTypes)
            if (t != "DownEncoderBlock2D") throw new NotSupportedException($"{path}: down_block_types value '{t}' is not supported (only DownEncoderBlock2D)");
        foreach (string t in UpBlockTypes)
            if (t != "UpDecoderBlock2D") throw new NotSupportedException($"{path}: up_block_types value '{t}' is not supported (only UpDecoderBlock2D)");
        if (DownBlockTypes.Length != BlockOutChannels.Length || UpBlockTypes.Length != BlockOutChannels.Length)
            throw new NotSupportedException($"{path}: down_block_types, up_block_types and block_out_channels must have the same length");
        if (!MidBlockAddAttention) throw new NotSupportedException($"{path}: mid_block_add_attention = false is not supported");
        Blocks.Norms.CheckActivation(ActFn, path, "act_fn");
    }
}
