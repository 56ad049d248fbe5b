using System.Reflection;
using System.Text.Json;
using Repro.Model.Clip;
using Repro.Model.IO;
using Repro.Model.Tokenizers;
using Repro.Model.UNet;
using Repro.Model.Vae;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Pipeline;

/// <summary>
/// Writes a tiny, randomly initialised Stable Diffusion in the diffusers folder layout (SD2.1 block layout with
/// 16 cross-attention layers, the real CLIP vocabulary), so that every command runs without downloaded weights and
/// reads it through exactly the loaders a real checkpoint uses.
/// </summary>
public static class TinyRandomModel
{
    private static readonly string[] ConfigResources =
        ["unet/config.json", "vae/config.json", "text_encoder/config.json", "scheduler/scheduler_config.json"];

    /// <summary>Writes the folder unless a complete one is already there; returns its path.</summary>
    public static string EnsureWritten(string folder, long seed = 0)
    {
        folder = Path.GetFullPath(folder);
        if (File.Exists(Path.Combine(folder, "model_index.json"))) return folder;
        string temp = folder + $".{Environment.ProcessId}.tmp";
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Write(temp, seed);
        Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.Move(temp, folder);
        return folder;
    }

    private static void Write(string folder, long seed)
    {
        foreach (string name in ConfigResources) EmbeddedResources.CopyTo("tiny-random/" + name, Path.Combine(folder, name));
        ClipTokenizerFolder.Write(Path.Combine(folder, "tokenizer"), padToken: "!");
        WriteJson(Path.Combine(folder, "model_index.json"), new Dictionary<string, object>
        {
            ["_class_name"] = "StableDiffusionPipeline",
            ["_diffusers_version"] = "0.27.2",
            ["scheduler"] = new[] { "diffusers", "DDIMScheduler" },
            ["text_encoder"] = new[] { "transformers", "CLIPTextModel" },
            ["tokenizer"] = new[] { "transformers", "CLIPTokenizer" },
            ["unet"] = new[] { "diffusers", "UNet2DConditionModel" },
            ["vae"] = new[] { "diffusers", "AutoencoderKL" },
        });

        torch.manual_seed(seed);
        using (var unet = new UNet2DConditionModel(UNet2DConditionModel.ReadConfig(Path.Combine(folder, "unet", "config.json"))))
            Safetensors.Save(Path.Combine(folder, "unet", "diffusion_pytorch_model.safetensors"), unet.state_dict());
        using (var vae = new AutoencoderKL(ConfigJson.Read<AutoencoderKLConfig>(Path.Combine(folder, "vae", "config.json")).Config))
            Safetensors.Save(Path.Combine(folder, "vae", "diffusion_pytorch_model.safetensors"), vae.state_dict());
        using (var text = new CLIPTextModel(CLIPTextConfig.Read(Path.Combine(folder, "text_encoder", "config.json")).Config))
            Safetensors.Save(Path.Combine(folder, "text_encoder", "model.safetensors"), text.state_dict());
    }

    private static void WriteJson(string path, object value) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = true }));
}
