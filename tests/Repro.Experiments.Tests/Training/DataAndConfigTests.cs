using System.Text.Json.Nodes;
using Repro.Experiments.Methods;
using Repro.Experiments.Training;
using TorchSharp;

namespace Repro.Experiments.Tests.Training;

public sealed class DataAndConfigTests
{
    [Fact]
    public void Rotation_with_expand_grows_the_canvas_and_leaves_black_corners()
    {
        using var image = torch.ones(3, 20, 40);
        using var quarter = ConceptImages.RotateExpand(image, 90);
        Assert.Equal(new long[] { 3, 40, 20 }, quarter.shape);
        using var diagonal = ConceptImages.RotateExpand(image, 45);
        Assert.True(diagonal.shape[1] > 40 && diagonal.shape[2] > 40);
        Assert.Equal(0f, diagonal[0, 0, 0].item<float>());
        Assert.Equal(1f, diagonal[0, diagonal.shape[1] / 2, diagonal.shape[2] / 2].item<float>());
    }

    [Fact]
    public void Batches_are_in_range_of_the_resolution_and_replay_from_the_generator_state()
    {
        using var data = ConceptImages.FromFolder(TinyWorld.Images, 32, Augmentation.Official);
        using var generator = new torch.Generator(11);
        using var state = generator.get_state();
        using var first = data.Next(4, generator);
        Assert.Equal(new long[] { 4, 3, 32, 32 }, first.shape);
        Assert.True(first.min().item<float>() >= -1 && first.max().item<float>() <= 1);
        generator.set_state(state);
        using var again = data.Next(4, generator);
        Assert.True(first.allclose(again, rtol: 0, atol: 0));

        using var plain = ConceptImages.FromFolder(TinyWorld.Images, 32, Augmentation.None);
        using var a = plain.Next(2, new torch.Generator(1));
        Assert.Equal(new long[] { 2, 3, 32, 32 }, a.shape);
    }

    [Fact]
    public void A_folder_without_images_is_an_error_naming_it()
    {
        string empty = TinyWorld.TempFolder("empty");
        var e = Assert.Throws<FileNotFoundException>(() => ConceptImages.FromFolder(empty, 32, Augmentation.None));
        Assert.Contains(empty, e.Message);
        Directory.Delete(empty);
    }

    [Fact]
    public void Presets_carry_the_official_defaults_and_ablations_are_values()
    {
        var adb = (AttnDreamBoothConfig)MethodPresets.Resolve("adb");
        Assert.Equal(new AttnDreamBoothStage(60, 1e-3, 8, 0.1, 0), adb.Stage1);
        Assert.Equal(new AttnDreamBoothStage(100, 2e-5, 8, 2, 5), adb.Stage2);
        Assert.Equal(new AttnDreamBoothStage(500, 2e-6, 8, 2, 5), adb.Stage3);
        Assert.Equal(new AttnDreamBoothStage(200, 1e-5, 4, 2, 5), ((AttnDreamBoothConfig)MethodPresets.Resolve("adb-fast")).Stage3);
        Assert.Equal(0, ((AttnDreamBoothConfig)MethodPresets.Resolve("adb-no-stage2")).Stage2.Steps);
        var core = (CoReConfig)MethodPresets.Resolve("core");
        Assert.Equal((300, 5e-3, 6, 1.5e-4, 0.05, 120, 180), (core.Stage1Steps, core.Stage1LearningRate, core.Stage1BatchSize, core.LambdaEmbedding, core.LambdaAttention, core.RescaleStart!.Value, core.RescaleStop!.Value));
        Assert.Equal((1000, 2e-6, 4), (core.Stage2Steps, core.Stage2LearningRate, core.Stage2BatchSize));
        Assert.Equal(2147483647, core.Concept.Seed);
        Assert.Null(((CoReConfig)MethodPresets.Resolve("core-no-rescale")).RescaleStart);
        Assert.Equal(0, ((CoReConfig)MethodPresets.Resolve("core-no-cer")).LambdaEmbedding);
        var tidb = (TextualInversionDreamBoothConfig)MethodPresets.Resolve("ti-db");
        Assert.Equal((660, 2e-6, 8), (tidb.Steps, tidb.LearningRate, tidb.BatchSize));
        var tto = (CoReTestTimeConfig)MethodPresets.Resolve("core-tto");
        Assert.Equal((10, 5e-4), (tto.Steps, tto.LearningRate));

        var scaled = (AttnDreamBoothConfig)MethodPresets.Resolve("adb-fast", JsonNode.Parse("""{"stage1": {"steps": 6}, "concept": {"seed": 9}}""")!.AsObject());
        Assert.Equal((6, 200, 9L), (scaled.Stage1.Steps, scaled.Stage3.Steps, scaled.Concept.Seed));
        var e = Assert.Throws<ArgumentException>(() => MethodPresets.Resolve("adb", JsonNode.Parse("""{"stage1": {"stepz": 6}}""")!.AsObject()));
        Assert.Contains("stepz", e.Message);
        Assert.Throws<ArgumentException>(() => MethodPresets.Resolve("adb-no-stage4"));
    }

    [Fact]
    public void Official_prompt_sets_ship_with_the_binary()
    {
        Assert.Equal(97, PromptTemplates.ReadFile("core_reg_animate.txt").Count);
        Assert.Equal(103, PromptTemplates.ReadFile("core_reg_inanimate.txt").Count);
        Assert.Equal(24, PromptTemplates.ReadFile("adb_eval_24.txt").Count);
        Assert.Equal("a photo of a sks_v0 dog", PromptTemplates.Fill("a photo of a {} {category}", "sks_v0", "dog"));
    }
}
