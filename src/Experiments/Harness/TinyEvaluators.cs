using Repro.Model.Clip;
using Repro.Model.IO;
using Repro.Model.Vit;
using TorchSharp;

namespace Repro.Experiments.Harness;

/// <summary>
/// Randomly initialised (seeded) tiny CLIP and DINO-ViT folders in the transformers layout, for runs without real
/// evaluation weights. Their scores are meaningless: they only exercise the pipeline (report.md says so).
/// </summary>
public static class TinyEvaluators
{
    private const string ClipConfig = """
        {"architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 16, "logit_scale_init_value": 2.6592, "initializer_factor": 1.0,
         "text_config": {"hidden_size": 32, "intermediate_size": 37, "num_attention_heads": 4, "num_hidden_layers": 2, "projection_dim": 16,
                         "vocab_size": 49408, "max_position_embeddings": 77, "model_type": "clip_text_model"},
         "vision_config": {"hidden_size": 40, "image_size": 32, "intermediate_size": 45, "num_attention_heads": 4, "num_hidden_layers": 2,
                           "patch_size": 8, "projection_dim": 16, "model_type": "clip_vision_model"}}
        """;

    private const string DinoConfig = """
        {"architectures": ["ViTModel"], "model_type": "vit", "attention_probs_dropout_prob": 0.0, "hidden_act": "gelu", "hidden_dropout_prob": 0.0,
         "hidden_size": 32, "image_size": 32, "initializer_range": 0.02, "intermediate_size": 37, "layer_norm_eps": 1e-12,
         "num_attention_heads": 4, "num_channels": 3, "num_hidden_layers": 2, "patch_size": 8, "qkv_bias": true, "encoder_stride": 16}
        """;

    /// <summary>Writes (unless present) &lt;root&gt;/clip and &lt;root&gt;/dino; returns their paths.</summary>
    public static (string Clip, string Dino) EnsureWritten(string root, long seed = 0)
    {
        string clip = Path.Combine(root, "clip"), dino = Path.Combine(root, "dino");
        WriteOnce(clip, ClipConfig, folder =>
        {
            torch.manual_seed(seed);
            using var model = new CLIPModel(CLIPConfig.Read(Path.Combine(folder, "config.json")).Config);
            Safetensors.Save(Path.Combine(folder, "model.safetensors"), model.state_dict());
        });
        WriteOnce(dino, DinoConfig, folder =>
        {
            torch.manual_seed(seed + 1);
            using var model = new ViTModel(ViTConfig.Read(Path.Combine(folder, "config.json")).Config, addPoolingLayer: false);
            Safetensors.Save(Path.Combine(folder, "model.safetensors"), model.state_dict());
        });
        return (clip, dino);
    }

    private static void WriteOnce(string folder, string config, Action<string> weights)
    {
        if (File.Exists(Path.Combine(folder, "model.safetensors"))) return;
        string temp = $"{folder}.{Environment.ProcessId}.tmp";
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);
        File.WriteAllText(Path.Combine(temp, "config.json"), config);
        weights(temp);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.Move(temp, folder);
    }
}
