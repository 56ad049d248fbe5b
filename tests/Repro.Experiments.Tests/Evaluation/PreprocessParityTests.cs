using Repro.Experiments.Evaluation;
using Repro.Model.IO;
using Repro.Model.Pipeline;
using Repro.Tests;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Repro.Experiments.Tests.Evaluation;

/// <summary>
/// Our PIL-bicubic port + crop + normalisation against transformers' CLIPImageProcessor and the torchvision DINO
/// transform run on real JPEGs/PNGs (fixtures/preprocess). Differences are reported in uint8 levels (diff · std · 255).
/// </summary>
[Trait("Category", "Parity")]
public sealed class PreprocessParityTests(ITestOutputHelper log)
{
    private readonly Dictionary<string, Tensor> Inputs = Safetensors.Load(FixturePaths.Get("preprocess", "inputs.safetensors"));
    private readonly Dictionary<string, Tensor> Expected = Safetensors.Load(FixturePaths.Get("preprocess", "outputs.safetensors"));

    public static TheoryData<string, string> Images => new()
    {
        { "dog_00", FixturePaths.Get("eval_images", "dog_00.jpg") },
        { "teapot_00", FixturePaths.Get("eval_images", "teapot_00.jpg") },
        { "clock_00", FixturePaths.Get("eval_images", "clock_00.jpg") },
        { "derived_exif", FixturePaths.Get("preprocess", "derived_exif.jpg") },
        { "derived_rgba", FixturePaths.Get("preprocess", "derived_rgba.png") },
    };

    [Theory]
    [MemberData(nameof(Images))]
    public void Clip_processor_matches_transformers_on_real_images(string name, string file)
    {
        using var _ = NewDisposeScope();
        using var rgb = ImageIO.LoadRgbBytes(file, applyExifOrientation: false);
        var actual = ImagePreprocessor.Clip().Apply(rgb);
        AssertLevels($"clip.{name}", actual, Expected[$"clip.{name}"].squeeze(0), ImagePreprocessor.ClipStd);
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void Dino_transform_matches_torchvision_on_real_images(string name, string file)
    {
        using var _ = NewDisposeScope();
        using var rgb = ImageIO.LoadRgbBytes(file, applyExifOrientation: false);
        var actual = ImagePreprocessor.Dino().Apply(rgb);
        AssertLevels($"dino.{name}", actual, Expected[$"dino.{name}"], ImagePreprocessor.ImageNetStd);
    }

    [Theory]
    [InlineData("dog_00")]
    [InlineData("derived_exif")]
    [InlineData("derived_rgba")]
    public void Decoded_pixels_are_the_ones_the_reference_processed(string name)
    {
        using var _ = NewDisposeScope();
        string file = name == "dog_00" ? FixturePaths.Get("eval_images", "dog_00.jpg")
            : FixturePaths.Get("preprocess", name + (name == "derived_rgba" ? ".png" : ".jpg"));
        var rgb = ImageIO.LoadRgbBytes(file, applyExifOrientation: false);
        var expected = Inputs[$"decoded.{name}"].permute(2, 0, 1);
        Assert.True(rgb.eq(expected).all().item<bool>(), $"{file}: decoded pixels differ from PIL's");
    }

    [Fact]
    public void Tiny_clip_processor_matches_fixture()
    {
        using var _ = NewDisposeScope();
        var raw = Safetensors.Load(FixturePaths.Get("clip_eval_tiny", "inputs.safetensors"))["raw_images_uint8"];
        var expected = Safetensors.Load(FixturePaths.Get("clip_eval_tiny", "outputs.safetensors"))["pixel_values_from_processor"];
        for (int i = 0; i < raw.shape[0]; i++)
        {
            var rgb = raw[i].permute(2, 0, 1).to(ScalarType.Byte);
            AssertLevels($"clip_eval_tiny[{i}]", ImagePreprocessor.Clip(32).Apply(rgb), expected[i], ImagePreprocessor.ClipStd);
        }
    }

    [Fact]
    public void Tiny_dino_processor_matches_fixture()
    {
        using var _ = NewDisposeScope();
        var raw = Safetensors.Load(FixturePaths.Get("dino_tiny", "inputs.safetensors"))["raw_images_uint8"];
        var expected = Safetensors.Load(FixturePaths.Get("dino_tiny", "outputs.safetensors"))["pixel_values_from_processor"];
        var processor = new ImagePreprocessor("vit-32x32", null, (32, 32), null, CropRounding.Floor,
                                              ImagePreprocessor.ImageNetMean, ImagePreprocessor.ImageNetStd);
        for (int i = 0; i < raw.shape[0]; i++)
        {
            var rgb = raw[i].permute(2, 0, 1).to(ScalarType.Byte);
            AssertLevels($"dino_tiny[{i}]", processor.Apply(rgb), expected[i], ImagePreprocessor.ImageNetStd);
        }
    }

    /// <summary>Bit-exact: PIL's fixed-point resampler is ported, and the float steps are the reference's float32 ops.</summary>
    private void AssertLevels(string name, Tensor actual, Tensor expected, float[] std)
    {
        Assert.Equal(expected.shape, actual.shape);
        var diff = (actual.to(ScalarType.Float64) - expected.to(ScalarType.Float64)).abs();
        var levels = diff * torch.tensor(std.Select(s => (double)s).ToArray()).reshape(3, 1, 1) * 255.0;
        double maxLevels = levels.max().item<double>(), meanLevels = levels.mean().item<double>();
        double maxNorm = diff.max().item<double>(), meanNorm = diff.mean().item<double>();
        log.WriteLine($"{name}: max {maxLevels:F4} levels (mean {meanLevels:F5}); normalised max {maxNorm:E3} (mean {meanNorm:E3})");
        Assert.True(maxNorm == 0, $"{name}: max {maxLevels:F3} levels ({maxNorm:E3} normalised), mean {meanLevels:F4} levels");
    }
}
