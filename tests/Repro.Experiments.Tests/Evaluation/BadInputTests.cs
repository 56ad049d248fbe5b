using System.Security.Cryptography;
using Repro.Experiments.Evaluation;
using Repro.Model.Pipeline;
using Repro.Tests;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.Tests.Evaluation;

/// <summary>Awkward real-world inputs: each is read as PIL's <c>convert("RGB")</c> reads it, or refused naming the file.</summary>
public sealed class BadInputTests
{
    private static string Image(string name) => FixturePaths.Get("eval_images", name);

    private static string Sha256Hwc(Tensor chw)
    {
        using var hwc = chw.permute(1, 2, 0).contiguous();
        return Convert.ToHexString(SHA256.HashData(hwc.data<byte>().ToArray())).ToLowerInvariant();
    }

    [Theory]
    [InlineData("truncated.jpg", "truncated")]
    [InlineData("not_an_image.png", "not a readable image")]
    [InlineData("missing.jpg", "not found")]
    public void Unreadable_images_are_refused_naming_the_file(string name, string problem)
    {
        var image = new EvalImage(Image(name), null);
        var e = Assert.ThrowsAny<Exception>(() => image.Load(null, applyExifOrientation: false));
        Assert.True(e is IOException or InvalidDataException, e.GetType().Name);
        Assert.Contains(Image(name), e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Theory]
    [InlineData("gray.jpg", "70b8f4fdf7967601d751f1feb9530fb2e1ca89e9590283a7354fef35990db2f4")]
    [InlineData("cmyk.jpg", "134a4b3abaf068e171f02a5c8bdcc1c113d36173d0ded067ad785e55aac7b7c6")]
    public void Grayscale_and_cmyk_jpegs_decode_to_pils_rgb(string name, string pilSha256)
    {
        using var rgb = new EvalImage(Image(name), null).Load(null, applyExifOrientation: false);
        Assert.Equal(new long[] { 3, 40, 48 }, rgb.shape);
        Assert.Equal(pilSha256, Sha256Hwc(rgb));
    }

    [Fact]
    public void Png_with_alpha_drops_alpha_like_convert_rgb_and_scores()
    {
        using var _ = NewDisposeScope();
        var rgb = new EvalImage(FixturePaths.Get("preprocess", "derived_rgba.png"), null).Load(null, false);
        Assert.Equal("3ce93de0275494ba4ec810cc4b7702a26d4d51d1fcdb427649757fc493a252a5", Sha256Hwc(rgb));
        Assert.Equal(new long[] { 3, 224, 224 }, ImagePreprocessor.Clip().Apply(rgb).shape);
    }

    /// <summary>
    /// The reference processors ignore EXIF orientation: by default so do we (the stored 700x575 grid); with
    /// ApplyExifOrientation the photo is turned upright (575x700) first.
    /// </summary>
    [Fact]
    public void Exif_rotated_photo_follows_the_reference_by_default_and_can_be_turned_upright()
    {
        string file = FixturePaths.Get("preprocess", "derived_exif.jpg");
        using var stored = new EvalImage(file, null).Load(null, applyExifOrientation: false);
        using var upright = new EvalImage(file, null).Load(null, applyExifOrientation: true);
        Assert.Equal(new long[] { 3, 575, 700 }, stored.shape);
        Assert.Equal(new long[] { 3, 700, 575 }, upright.shape);
        Assert.Equal("0489a134c81923057ba558a2a1708829168f2bb0f4e2d68c750cbd4d2ccaa691", Sha256Hwc(stored));
        var a = new EmbeddingStore(new NullEmbedder(), null, null, false).Id;
        var b = new EmbeddingStore(new NullEmbedder(), null, null, true).Id;
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Mask_of_the_wrong_size_is_refused_naming_both_files()
    {
        string dir = Directory.CreateTempSubdirectory("repro-mask-").FullName;
        try
        {
            string mask = EvalTestData.SavePng(torch.full([3, 10, 10], 255, dtype: ScalarType.Byte), Path.Combine(dir, "m.png"));
            var e = Assert.Throws<InvalidDataException>(() => new EvalImage(Image("gray.jpg"), mask).Load(new ForegroundMask(), false));
            Assert.Contains(mask, e.Message);
            Assert.Contains(Image("gray.jpg"), e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    private sealed class NullEmbedder : IImageEmbedder
    {
        public string Id => "null";
        public string Name => "null";
        public ImagePreprocessor Preprocessor => ImagePreprocessor.Clip();
        public Tensor EmbedPixels(Tensor pixels) => torch.zeros(pixels.shape[0], 1);
        public void Dispose() { }
    }
}
