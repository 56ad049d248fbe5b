using System.Text.Json;
using System.Text.Json.Serialization;
using Repro.Model.IO;

namespace Repro.Model.UNet;

/// <summary>
/// diffusers <c>UNet2DConditionModel</c> config (0.27 keys, diffusers' defaults). Every key is mapped; options that
/// would change the math and that SD 1.x/2.x do not use are rejected by <see cref="Validate"/>, naming the file
/// and the key. <c>sample_size</c> is informational; <c>resnet_out_scale_factor</c>, <c>resnet_skip_time_act</c>
/// and <c>addition_embed_type_num_heads</c> do not affect the supported block types (diffusers ignores them there).
/// </summary>
public sealed class UNet2DConditionConfig : IValidatedConfig
{
    [JsonPropertyName("sample_size")] public JsonElement? SampleSize { get; init; }
    [JsonPropertyName("in_channels")] public int InChannels { get; init; } = 4;
    [JsonPropertyName("out_channels")] public int OutChannels { get; init; } = 4;
    [JsonPropertyName("center_input_sample")] public bool CenterInputSample { get; init; }
    [JsonPropertyName("flip_sin_to_cos")] public bool FlipSinToCos { get; init; } = true;
    [JsonPropertyName("freq_shift")] public double FreqShift { get; init; }
    [JsonPropertyName("down_block_types")] public string[] DownBlockTypes { get; init; } = ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"];
    [JsonPropertyName("mid_block_type")] public string? MidBlockType { get; init; } = "UNetMidBlock2DCrossAttn";
    [JsonPropertyName("up_block_types")] public string[] UpBlockTypes { get; init; } = ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"];
    [JsonPropertyName("only_cross_attention")] public JsonElement? OnlyCrossAttention { get; init; }
    [JsonPropertyName("block_out_channels")] public int[] BlockOutChannels { get; init; } = [320, 640, 1280, 1280];
    [JsonPropertyName("layers_per_block"), JsonConverter(typeof(IntOrListConverter))] public int[] LayersPerBlock { get; init; } = [2];
    [JsonPropertyName("downsample_padding")] public int DownsamplePadding { get; init; } = 1;
    [JsonPropertyName("mid_block_scale_factor")] public double MidBlockScaleFactor { get; init; } = 1.0;
    [JsonPropertyName("dropout")] public double Dropout { get; init; }
    [JsonPropertyName("act_fn")] public string ActFn { get; init; } = "silu";
    [JsonPropertyName("norm_num_groups")] public int? NormNumGroups { get; init; } = 32;
    [JsonPropertyName("norm_eps")] public double NormEps { get; init; } = 1e-5;
    [JsonPropertyName("cross_attention_dim"), JsonConverter(typeof(IntOrListConverter))] public int[] CrossAttentionDim { get; init; } = [1280];
    [JsonPropertyName("transformer_layers_per_block"), JsonConverter(typeof(IntOrListConverter))] public int[] TransformerLayersPerBlock { get; init; } = [1];
    [JsonPropertyName("reverse_transformer_layers_per_block")] public JsonElement? ReverseTransformerLayersPerBlock { get; init; }
    [JsonPropertyName("encoder_hid_dim")] public int? EncoderHidDim { get; init; }
    [JsonPropertyName("encoder_hid_dim_type")] public string? EncoderHidDimType { get; init; }
    /// <summary>For SD's blocks this is the NUMBER OF HEADS per level (diffusers quirk); int or per-level list.</summary>
    [JsonPropertyName("attention_head_dim"), JsonConverter(typeof(IntOrListConverter))] public int[] AttentionHeadDim { get; init; } = [8];
    [JsonPropertyName("num_attention_heads")] public JsonElement? NumAttentionHeads { get; init; }
    [JsonPropertyName("dual_cross_attention")] public bool DualCrossAttention { get; init; }
    [JsonPropertyName("use_linear_projection")] public bool UseLinearProjection { get; init; }
    [JsonPropertyName("class_embed_type")] public string? ClassEmbedType { get; init; }
    [JsonPropertyName("addition_embed_type")] public string? AdditionEmbedType { get; init; }
    [JsonPropertyName("addition_time_embed_dim")] public int? AdditionTimeEmbedDim { get; init; }
    [JsonPropertyName("num_class_embeds")] public int? NumClassEmbeds { get; init; }
    [JsonPropertyName("upcast_attention")] public bool UpcastAttention { get; init; }
    [JsonPropertyName("resnet_time_scale_shift")] public string ResnetTimeScaleShift { get; init; } = "default";
    [JsonPropertyName("resnet_skip_time_act")] public bool ResnetSkipTimeAct { get; init; }
    [JsonPropertyName("resnet_out_scale_factor")] public double ResnetOutScaleFactor { get; init; } = 1.0;
    [JsonPropertyName("time_embedding_type")] public string TimeEmbeddingType { get; init; } = "positional";
    [JsonPropertyName("time_embedding_dim")] public int? TimeEmbeddingDim { get; init; }
    [JsonPropertyName("time_embedding_act_fn")] public string? TimeEmbeddingActFn { get; init; }
    [JsonPropertyName("timestep_post_act")] public string? TimestepPostAct { get; init; }
    [JsonPropertyName("time_cond_proj_dim")] public int? TimeCondProjDim { get; init; }
    [JsonPropertyName("conv_in_kernel")] public int ConvInKernel { get; init; } = 3;
    [JsonPropertyName("conv_out_kernel")] public int ConvOutKernel { get; init; } = 3;
    [JsonPropertyName("projection_class_embeddings_input_dim")] public int? ProjectionClassEmbeddingsInputDim { get; init; }
    [JsonPropertyName("attention_type")] public string AttentionType { get; init; } = "default";
    [JsonPropertyName("class_embeddings_concat")] public bool ClassEmbeddingsConcat { get; init; }
    [JsonPropertyName("mid_block_only_cross_attention")] public bool? MidBlockOnlyCrossAttention { get; init; }
    [JsonPropertyName("cross_attention_norm")] public string? CrossAttentionNorm { get; init; }
    [JsonPropertyName("addition_embed_type_num_heads")] public int AdditionEmbedTypeNumHeads { get; init; } = 64;

    public static readonly string[] SupportedDownBlocks = ["CrossAttnDownBlock2D", "DownBlock2D"];
    public static readonly string[] SupportedUpBlocks = ["CrossAttnUpBlock2D", "UpBlock2D"];
    public const string SupportedMidBlock = "UNetMidBlock2DCrossAttn";

    private int Levels => BlockOutChannels.Length;

    /// <summary>A per-level value from an int-or-list key (an int applies to every level).</summary>
    public int PerLevel(int[] values, int level) => values.Length == 1 ? values[0] : values[level];

    public void Validate(string path)
    {
        void Fail(string key, object? value, string why) =>
            throw new NotSupportedException($"{path}: {key} = {Show(value)} is not supported ({why})");
        static string Show(object? v) => v switch { null => "null", JsonElement e => e.GetRawText(), string[] a => "[" + string.Join(", ", a) + "]", _ => v.ToString() ?? "" };
        static bool IsNullOrFalse(JsonElement? e) => e is null || e.Value.ValueKind is JsonValueKind.Null or JsonValueKind.False
            || (e.Value.ValueKind == JsonValueKind.Array && e.Value.EnumerateArray().All(x => x.ValueKind == JsonValueKind.False));

        foreach (string t in DownBlockTypes)
            if (!SupportedDownBlocks.Contains(t)) Fail("down_block_types", t, $"only {string.Join(", ", SupportedDownBlocks)}");
        foreach (string t in UpBlockTypes)
            if (!SupportedUpBlocks.Contains(t)) Fail("up_block_types", t, $"only {string.Join(", ", SupportedUpBlocks)}");
        if (MidBlockType != SupportedMidBlock) Fail("mid_block_type", MidBlockType, $"only {SupportedMidBlock}");
        if (DownBlockTypes.Length != Levels || UpBlockTypes.Length != Levels)
            Fail("block_out_channels", string.Join(", ", BlockOutChannels), "down_block_types, up_block_types and block_out_channels must have the same length");
        foreach (var (key, values) in new[] { ("layers_per_block", LayersPerBlock), ("cross_attention_dim", CrossAttentionDim),
                                              ("transformer_layers_per_block", TransformerLayersPerBlock), ("attention_head_dim", AttentionHeadDim) })
            if (values.Length != 1 && values.Length != Levels) Fail(key, "[" + string.Join(", ", values) + "]", "a list must have one entry per level");
        if (NormNumGroups is null) Fail("norm_num_groups", null, "the output GroupNorm is required");
        if (!IsNullOrFalse(OnlyCrossAttention)) Fail("only_cross_attention", OnlyCrossAttention, "SD uses self-attention");
        if (MidBlockOnlyCrossAttention == true) Fail("mid_block_only_cross_attention", true, "SD uses self-attention");
        if (ReverseTransformerLayersPerBlock is { ValueKind: not JsonValueKind.Null }) Fail("reverse_transformer_layers_per_block", ReverseTransformerLayersPerBlock, "only null");
        if (EncoderHidDim is not null) Fail("encoder_hid_dim", EncoderHidDim, "only null");
        if (EncoderHidDimType is not null) Fail("encoder_hid_dim_type", EncoderHidDimType, "only null");
        if (NumAttentionHeads is { ValueKind: not JsonValueKind.Null }) Fail("num_attention_heads", NumAttentionHeads, "diffusers itself rejects it for this model; use attention_head_dim");
        if (DualCrossAttention) Fail("dual_cross_attention", true, "only false");
        if (ClassEmbedType is not null) Fail("class_embed_type", ClassEmbedType, "only null");
        if (AdditionEmbedType is not null) Fail("addition_embed_type", AdditionEmbedType, "only null");
        if (AdditionTimeEmbedDim is not null) Fail("addition_time_embed_dim", AdditionTimeEmbedDim, "only null");
        if (NumClassEmbeds is not null) Fail("num_class_embeds", NumClassEmbeds, "only null");
        if (ResnetTimeScaleShift != "default") Fail("resnet_time_scale_shift", ResnetTimeScaleShift, "only \"default\"");
        if (TimeEmbeddingType != "positional") Fail("time_embedding_type", TimeEmbeddingType, "only \"positional\"");
        if (TimeEmbeddingActFn is not null) Fail("time_embedding_act_fn", TimeEmbeddingActFn, "only null");
        if (TimestepPostAct is not null) Fail("timestep_post_act", TimestepPostAct, "only null");
        if (TimeCondProjDim is not null) Fail("time_cond_proj_dim", TimeCondProjDim, "only null");
        if (ProjectionClassEmbeddingsInputDim is not null) Fail("projection_class_embeddings_input_dim", ProjectionClassEmbeddingsInputDim, "only null");
        if (AttentionType != "default") Fail("attention_type", AttentionType, "only \"default\"");
        if (ClassEmbeddingsConcat) Fail("class_embeddings_concat", true, "only false");
        if (CrossAttentionNorm is not null) Fail("cross_attention_norm", CrossAttentionNorm, "only null");
        if (ConvInKernel % 2 == 0) Fail("conv_in_kernel", ConvInKernel, "must be odd");
        if (ConvOutKernel % 2 == 0) Fail("conv_out_kernel", ConvOutKernel, "must be odd");
        Blocks.Norms.CheckActivation(ActFn, path, "act_fn");
        for (int i = 0; i < Levels; i++)
            if (BlockOutChannels[i] % PerLevel(AttentionHeadDim, i) != 0)
                Fail("attention_head_dim", PerLevel(AttentionHeadDim, i), $"block_out_channels[{i}] = {BlockOutChannels[i]} is not divisible by the head count");
    }

    /// <summary>The latent side length that <c>sample_size</c> gives (an integer or the first of a pair); null when absent.</summary>
    public int? LatentSize => SampleSize switch
    {
        { ValueKind: JsonValueKind.Number } n => n.GetInt32(),
        { ValueKind: JsonValueKind.Array } a when a.GetArrayLength() > 0 => a[0].GetInt32(),
        _ => null,
    };
}
