using System.Security.Cryptography;
using Repro.Model.Pipeline;
using Repro.Tests;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Tests.Pipeline;

public sealed class ImageIOTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("repro-img-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Sha256(Tensor chw) =>
        Convert.ToHexStringLower(SHA256.HashData(chw.permute(1, 2, 0).contiguous().data<byte>().ToArray()));

    [Fact]
    public void Png_round_trip_keeps_diffusers_rounding()
    {
        using var image = torch.linspace(-1, 1, 3 * 8 * 6).reshape(3, 8, 6);
        string path = Path.Combine(_dir, "x.png");
        ImageIO.SavePng(image, path);
        using var back = ImageIO.LoadRgbBytes(path, applyExifOrientation: false);
        using var expected = (image / 2 + 0.5).clamp(0, 1).mul(255).round().to(ScalarType.Byte);
        Assert.True((back == expected).all().item<bool>());
    }

    [Fact]
    public void Rgba_png_drops_alpha_without_compositing_like_pil()
    {
        using var rgb = ImageIO.LoadRgbBytes(FixturePaths.Get("preprocess", "derived_rgba.png"), applyExifOrientation: false);
        Assert.Equal(new long[] { 3, 150, 199 }, rgb.shape);
        Assert.Equal("3ce93de0275494ba4ec810cc4b7702a26d4d51d1fcdb427649757fc493a252a5", Sha256(rgb));
    }

    [Fact]
    public void Exif_orientation_is_applied_only_when_asked()
    {
        string path = FixturePaths.Get("preprocess", "derived_exif.jpg");
        using var raw = ImageIO.LoadRgbBytes(path, applyExifOrientation: false);
        using var upright = ImageIO.LoadRgbBytes(path, applyExifOrientation: true);
        Assert.Equal(new long[] { 3, 575, 700 }, raw.shape);
        Assert.Equal(new long[] { 3, 700, 575 }, upright.shape);
        // Orientation 6 = rotate 90° clockwise: the raw top-left pixel ends at the top-right.
        Assert.True((raw[.., 0, 0] == upright[.., 0, -1]).all().item<bool>());
    }

    [Fact]
    public void Truncated_and_non_image_files_are_refused_by_name()
    {
        string truncated = Path.Combine(_dir, "cut.jpg");
        var bytes = File.ReadAllBytes(FixturePaths.Get("preprocess", "derived_exif.jpg"));
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 3)]);
        var e = Assert.Throws<InvalidDataException>(() => ImageIO.LoadRgbBytes(truncated, true));
        Assert.Contains("cut.jpg", e.Message);
        string text = Path.Combine(_dir, "notes.png");
        File.WriteAllText(text, "not an image");
        e = Assert.Throws<InvalidDataException>(() => ImageIO.LoadRgbBytes(text, true));
        Assert.Contains("notes.png", e.Message);
    }
}
