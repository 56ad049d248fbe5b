using System.Text.Json;
using System.Text.Json.Nodes;
using Repro.Model.IO;
using Repro.Model.UNet;
using static TorchSharp.torch;

namespace Repro.Experiments.Training;

/// <summary>
/// Files in the layouts diffusers reads unchanged: <c>learned_embeds.safetensors</c> as textual_inversion.py saves it
/// ({token: (1, D) float32}, metadata format=pt) and a <c>unet/</c> folder as <c>save_pretrained</c> writes it
/// (config.json + diffusion_pytorch_model.safetensors, float32, keys = attribute paths).
/// </summary>
public static class TrainingOutputs
{
    public const string EmbedsFile = "learned_embeds.safetensors";
    public const string UNetWeightsFile = "diffusion_pytorch_model.safetensors";
    private static readonly Dictionary<string, string> PtFormat = new() { ["format"] = "pt" };

    public static void SaveEmbedding(string path, string token, Tensor vector)
    {
        using var row = vector.detach().to(float32).cpu().reshape(1, -1).contiguous();
        Safetensors.Save(path, new[] { KeyValuePair.Create(token, row) }, PtFormat);
    }

    /// <summary>Reads a learned_embeds file: its single token and vector (D); other layouts are errors naming the file.</summary>
    public static (string Token, Tensor Vector) LoadEmbedding(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: learned embedding not found", path);
        var tensors = Safetensors.Load(path);
        if (tensors.Count != 1) throw new InvalidDataException($"{path}: expected one token, found {tensors.Count} ({string.Join(", ", tensors.Keys)})");
        var (token, value) = tensors.First();
        return (token, value.to(float32).reshape(-1));
    }

    /// <summary>Writes <paramref name="unet"/> as a diffusers unet/ folder; config.json is copied from <paramref name="configSource"/>.</summary>
    public static void SaveUNet(string folder, UNet2DConditionModel unet, string configSource)
    {
        AtomicFile.Write(Path.Combine(folder, "config.json"), temp => File.Copy(configSource, temp, overwrite: true));
        var state = unet.state_dict().Select(kv => KeyValuePair.Create(kv.Key, kv.Value.detach().to(float32).cpu().contiguous())).ToList();
        try
        {
            Safetensors.Save(Path.Combine(folder, UNetWeightsFile), state, PtFormat);
        }
        finally
        {
            foreach (var (_, t) in state) t.Dispose();
        }
    }

    /// <summary>Writes a JSON object atomically (temp file + rename).</summary>
    public static void WriteJson(string path, JsonNode node) =>
        AtomicFile.WriteAllText(path, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
}
