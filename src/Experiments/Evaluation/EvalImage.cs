using System.Security.Cryptography;
using Repro.Model.Pipeline;
using static TorchSharp.torch;

namespace Repro.Experiments.Evaluation;

/// <summary>One image to score: its file, its optional foreground mask, and the SHA-256 of their bytes (the cache key).</summary>
public sealed record EvalImage(string Path, string? MaskPath)
{
    /// <summary>SHA-256 (hex) of the image file's bytes, then the mask's when there is one.</summary>
    public string ContentHash()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(ReadBytes(Path, "image"));
        if (MaskPath is not null) sha.AppendData(ReadBytes(MaskPath, "foreground mask"));
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>Decodes the image (and applies its mask) as (3, H, W) uint8 RGB.</summary>
    public Tensor Load(ForegroundMask? masking, bool applyExifOrientation)
    {
        var rgb = ImageIO.LoadRgbBytes(Path, applyExifOrientation);
        if (masking is null) return rgb;
        if (MaskPath is null) throw new ArgumentException($"{Path}: masking is on but no mask path was given for this image");
        using (rgb) return masking.Apply(rgb, Path, MaskPath, applyExifOrientation);
    }

    private static byte[] ReadBytes(string path, string what)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: {what} not found", path);
        return File.ReadAllBytes(path);
    }
}
