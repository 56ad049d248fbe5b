using System.Text.Json;
using Repro.Model.Pipeline;
using Repro.Tests;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.Tests.Evaluation;

/// <summary>Tiny evaluation models and synthetic images for the evaluation tests.</summary>
internal static class EvalTestData
{
    public static string ClipFolder => FixturePaths.Get("clip_eval_tiny");
    public static string DinoFolder => FixturePaths.Get("dino_tiny");

    /// <summary>
    /// clip_eval_tiny plus a character-level tokenizer whose ids fit its vocab of 1000 (bytes 0–511, BOS 998, EOS 999,
    /// no merges), written into <paramref name="dir"/>.
    /// </summary>
    public static string ClipFolderWithTokenizer(string dir)
    {
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(ClipFolder, "config.json"), Path.Combine(dir, "config.json"), overwrite: true);
        File.Copy(Path.Combine(ClipFolder, "model.safetensors"), Path.Combine(dir, "model.safetensors"), overwrite: true);
        var byteChars = ByteToUnicode();
        var vocab = new Dictionary<string, int>();
        for (int b = 0; b < 256; b++) vocab[byteChars[b].ToString()] = b;
        for (int b = 0; b < 256; b++) vocab[byteChars[b] + "</w>"] = 256 + b;
        vocab["<|startoftext|>"] = 998;
        vocab["<|endoftext|>"] = 999;
        File.WriteAllText(Path.Combine(dir, "vocab.json"), JsonSerializer.Serialize(vocab));
        File.WriteAllText(Path.Combine(dir, "merges.txt"), "#version: 0.2\n");
        return dir;
    }

    /// <summary>GPT-2/CLIP <c>bytes_to_unicode</c>.</summary>
    private static char[] ByteToUnicode()
    {
        var map = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= 33 and <= 126 or >= 161 and <= 172 or >= 174 and <= 255;
            map[b] = printable ? (char)b : (char)(256 + n++);
        }
        return map;
    }

    /// <summary>Writes a (3, H, W) uint8 image as PNG.</summary>
    public static string SavePng(Tensor rgbBytes, string path)
    {
        using var _ = NewDisposeScope();
        ImageIO.SavePng(rgbBytes.to(ScalarType.Float32).div(127.5).sub(1), path);
        return path;
    }

    /// <summary>A deterministic random (3, H, W) uint8 image.</summary>
    public static Tensor RandomImage(int seed, int height = 40, int width = 48)
    {
        var g = new Generator((ulong)seed);
        return torch.randint(0, 256, [3, height, width], generator: g, dtype: ScalarType.Int64).to(ScalarType.Byte);
    }
}
