using Repro.Model.Tokenizers;
using Repro.Model.IO;
using System.Text.Json;
using System.Text.Json.Nodes;
using Repro.Experiments.Evaluation;
using Repro.Model.Clip;
using Repro.Model.UNet;
using Repro.Model.Vae;

namespace Repro.Experiments.MiniWorld.Pretraining;

/// <summary>
/// The miniature world's model sizes (named variants, chosen by measurement: docs/miniworld-pretraining.md) and the
/// diffusers/transformers folder layout they are written in: <c>vae/</c>, <c>unet/</c>, <c>text_encoder/</c>
/// (the frozen CLIP text tower the UNet is conditioned on), <c>tokenizer/</c>, <c>scheduler/</c>, <c>model_index.json</c> and
/// <c>clip/</c> (the evaluator CLIPModel with its tokenizer files) and <c>dino/</c> (the DINO stand-in ViTModel).
/// </summary>
public static class MiniWorldModels
{
    public const string DefaultVae = "f4-c16";
    public const string DefaultClip = "vit-p8-d64";
    public const string DefaultUNet = "sd-c32";
    public const string DefaultDino = "vit-p8-d64";
    public const int TextHidden = 32;

    /// <summary>f = 2^(levels-1): three levels give 16×16×4 latents of a 64×64 image, four give 8×8×4.</summary>
    public static AutoencoderKLConfig Vae(string variant) => variant switch
    {
        "f4-c16" => VaeConfig([16, 32, 64], 1, groups: 8),
        "f4-c32" => VaeConfig([32, 64, 64], 1),
        "f4-c48" => VaeConfig([48, 96, 96], 1),
        "f8-c32" => VaeConfig([32, 64, 64, 64], 1),
        "tiny" => VaeConfig([8, 8, 8], 1, groups: 4),
        _ => throw new ArgumentException($"unknown VAE variant '{variant}' (f4-c16, f4-c32, f4-c48, f8-c32, tiny)"),
    };

    private static AutoencoderKLConfig VaeConfig(int[] channels, int layers, int groups = 16) => new()
    {
        BlockOutChannels = channels, LayersPerBlock = layers, LatentChannels = 4, NormNumGroups = groups,
        DownBlockTypes = channels.Select(_ => "DownEncoderBlock2D").ToArray(), UpBlockTypes = channels.Select(_ => "UpDecoderBlock2D").ToArray(),
        SampleSize = JsonSerializer.SerializeToElement(Scene.Size), ScalingFactor = 1.0,
    };

    /// <summary>Text tower (vocabulary of the real CLIP BPE, 77 positions) + a ViT over 8×8-pixel patches of the 64×64 image (vit-p4: 4×4, measured 8× slower).</summary>
    public static CLIPConfig Clip(string variant) => variant switch
    {
        "vit-p8-d64" => ClipConfig(TextHidden, 3, 64, 4, 8, 64),
        "vit-p8-d96" => ClipConfig(TextHidden, 3, 96, 4, 8, 64),
        "vit-p4-d64" => ClipConfig(TextHidden, 3, 64, 4, 4, 64),
        "tiny" => ClipConfig(16, 1, 16, 1, 16, 16),
        _ => throw new ArgumentException($"unknown CLIP variant '{variant}' (vit-p8-d64, vit-p8-d96, vit-p4-d64, tiny)"),
    };

    private static CLIPConfig ClipConfig(int textHidden, int textLayers, int visionHidden, int visionLayers, int patch, int projection) => new()
    {
        ProjectionDim = projection, Architectures = ["CLIPModel"], TorchDtype = "float32", TransformersVersion = "4.38.0",
        TextConfig = new CLIPTextConfig
        {
            HiddenSize = textHidden, IntermediateSize = 4 * textHidden, NumHiddenLayers = textLayers, NumAttentionHeads = Math.Max(1, textHidden / 16),
            ProjectionDim = projection, HiddenAct = "quick_gelu", BosTokenId = 49406, EosTokenId = 49407, PadTokenId = 49407,
        },
        VisionConfig = new CLIPVisionConfig
        {
            HiddenSize = visionHidden, IntermediateSize = 4 * visionHidden, NumHiddenLayers = visionLayers, NumAttentionHeads = Math.Max(1, visionHidden / 16),
            ProjectionDim = projection, ImageSize = Scene.Size, PatchSize = patch, HiddenAct = "quick_gelu",
        },
    };

    /// <summary>The DINO stand-in: a ViT over 8×8-pixel patches of the 64×64 image (transformers' ViTModel, as facebook/dino-vits16).</summary>
    public static Model.Vit.ViTConfig Dino(string variant) => variant switch
    {
        "vit-p8-d64" => DinoConfig(64, 4, 8),
        "tiny" => DinoConfig(16, 1, 16),
        _ => throw new ArgumentException($"unknown DINO variant '{variant}' (vit-p8-d64, tiny)"),
    };

    private static Model.Vit.ViTConfig DinoConfig(int hidden, int layers, int patch) => new()
    {
        HiddenSize = hidden, NumHiddenLayers = layers, NumAttentionHeads = Math.Max(1, hidden / 16), IntermediateSize = 4 * hidden,
        ImageSize = Scene.Size, PatchSize = patch, LayerNormEps = 1e-6, Architectures = ["ViTModel"], TorchDtype = "float32",
        TransformersVersion = "4.38.0",
    };

    /// <summary>SD2.1's block layout (3 cross-attention down levels + plain bottom, mid, plain top + 3 cross-attention up levels: 16 transformer layers), linear projections, per-level heads.</summary>
    public static UNet2DConditionConfig UNet(string variant, int crossAttentionDim, int latentSize) => variant switch
    {
        "sd-c32" => UNetConfig([32, 64, 64, 64], [1, 2, 2, 2], crossAttentionDim, latentSize),
        "sd-c48" => UNetConfig([48, 96, 96, 96], [1, 2, 2, 2], crossAttentionDim, latentSize),
        "tiny" => UNetConfig([8, 16, 16, 16], [1, 2, 2, 2], crossAttentionDim, latentSize, groups: 4),
        _ => throw new ArgumentException($"unknown UNet variant '{variant}' (sd-c32, sd-c48, tiny)"),
    };

    private static UNet2DConditionConfig UNetConfig(int[] channels, int[] heads, int crossDim, int latentSize, int groups = 16) => new()
    {
        BlockOutChannels = channels, AttentionHeadDim = heads, CrossAttentionDim = [crossDim], LayersPerBlock = [2], NormNumGroups = groups,
        UseLinearProjection = true, UpcastAttention = true, SampleSize = JsonSerializer.SerializeToElement(latentSize),
    };

    /// <summary>A config object as a diffusers config.json (keys from the [JsonPropertyName]s, plus <c>_class_name</c>).</summary>
    public static void WriteDiffusersConfig(string path, object config, string className)
    {
        var node = JsonSerializer.SerializeToNode(config, config.GetType(), Model.IO.ConfigJson.Options)!.AsObject();
        var mapped = Model.IO.ConfigJson.MappedKeys(config.GetType());
        foreach (string key in node.Select(p => p.Key).Where(k => !mapped.Contains(k)).ToList()) node.Remove(key);
        var ordered = new JsonObject { ["_class_name"] = className, ["_diffusers_version"] = "0.27.2" };
        foreach (var (k, v) in node.OrderBy(p => p.Key, StringComparer.Ordinal)) ordered[k] = v?.DeepClone();
        AtomicFile.WriteAllText(path, ordered.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>A transformers config.json (model_type and architectures included).</summary>
    public static void WriteTransformersConfig(string path, object config)
    {
        var node = JsonSerializer.SerializeToNode(config, config.GetType(), Model.IO.ConfigJson.Options)!.AsObject();
        AtomicFile.WriteAllText(path, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>A transformers CLIPTextModel folder (config.json + model.safetensors) from a CLIP's text config and the <c>text_model.*</c> tensors of its state.</summary>
    public static void WriteTextEncoder(string folder, CLIPTextConfig config, IEnumerable<KeyValuePair<string, TorchSharp.torch.Tensor>> state)
    {
        Directory.CreateDirectory(folder);
        WriteTransformersConfig(Path.Combine(folder, "config.json"),
            config with { Architectures = ["CLIPTextModel"], TorchDtype = "float32", TransformersVersion = "4.38.0" });
        Safetensors.Save(Path.Combine(folder, "model.safetensors"), state.Where(kv => kv.Key.StartsWith("text_model.", StringComparison.Ordinal)));
    }

    /// <summary>tokenizer/, scheduler/ and model_index.json of the diffusers folder, and the tokenizer files of clip/.</summary>
    public static void WriteFixedFiles(string root)
    {
        foreach (string dir in new[] { Path.Combine(root, "tokenizer"), Path.Combine(root, "clip") })
            ClipTokenizerFolder.Write(dir, padToken: ClipTokenizer.DefaultEosToken);
        WriteJson(Path.Combine(root, "scheduler", "scheduler_config.json"), new Dictionary<string, object?>
        {
            ["_class_name"] = "DDPMScheduler", ["_diffusers_version"] = "0.27.2", ["beta_start"] = 0.00085, ["beta_end"] = 0.012,
            ["beta_schedule"] = "scaled_linear", ["num_train_timesteps"] = 1000, ["prediction_type"] = "epsilon", ["clip_sample"] = false,
            ["set_alpha_to_one"] = false, ["steps_offset"] = 1, ["timestep_spacing"] = "leading", ["trained_betas"] = null,
        });
        WriteJson(Path.Combine(root, "model_index.json"), new Dictionary<string, object>
        {
            ["_class_name"] = "StableDiffusionPipeline", ["_diffusers_version"] = "0.27.2",
            ["scheduler"] = new[] { "diffusers", "DDPMScheduler" }, ["text_encoder"] = new[] { "transformers", "CLIPTextModel" },
            ["tokenizer"] = new[] { "transformers", "CLIPTokenizer" }, ["unet"] = new[] { "diffusers", "UNet2DConditionModel" },
            ["vae"] = new[] { "diffusers", "AutoencoderKL" },
        });
    }

    public static void WriteJson(string path, object value) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = true }) + "\n");

    public static long ParameterCount(TorchSharp.torch.nn.Module module) => module.parameters().Sum(p => p.numel());
}
