using System.Diagnostics;
using Repro.Model.Clip;
using Repro.Model.IO;
using Repro.Tests;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Repro.Model.Tests.Clip;

public sealed class CLIPLayoutTests(ITestOutputHelper log)
{
    private static List<(string Key, string Shape)> ReadTsv(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0)
            .Select(l => l.Split('\t')).Select(p => (p[0], p[1])).ToList();

    private static List<(string Key, string Shape)> LayoutOf(nn.Module module) =>
        StateDictLoader.Layout(module).Select(p => (p.Key, "[" + string.Join(", ", p.Shape) + "]")).ToList();

    [Fact]
    public void SD21_text_encoder_built_on_meta_has_exactly_the_published_keys_and_shapes()
    {
        var file = CLIPTextConfig.Read(FixturePaths.Get("sd21_layout", "text_encoder_config.json"));
        Assert.Empty(file.UnknownKeys);
        var watch = Stopwatch.StartNew();
        using var model = new CLIPTextModel(file.Config, device: torch.META);
        log.WriteLine($"built on meta in {watch.ElapsedMilliseconds} ms");
        var expected = ReadTsv(FixturePaths.Get("sd21_layout", "text_encoder_state_dict.tsv"));
        var actual = LayoutOf(model);
        Assert.Equal(372, expected.Count);
        var missing = expected.Except(actual).ToList();
        var extra = actual.Except(expected).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"missing: {string.Join("; ", missing.Take(10))} | unexpected: {string.Join("; ", extra.Take(10))}");
        Assert.Equal(expected.Select(e => e.Key), actual.Select(a => a.Key)); // registration order too
        Assert.All(model.parameters(), p => Assert.Equal(DeviceType.META, p.device_type));
        long count = StateDictLoader.Layout(model).Sum(p => p.Shape.Aggregate(1L, (a, b) => a * b));
        Assert.Equal(340_387_840L, count);
    }

    [Fact]
    public void Clip_model_layout_equals_the_fixture_checkpoint()
    {
        string folder = FixturePaths.Get("clip_eval_tiny");
        var config = CLIPConfig.Read(Path.Combine(folder, "config.json")).Config;
        using var model = new CLIPModel(config, device: torch.META);
        var checkpoint = SafetensorsCheckpoint.Open(Path.Combine(folder, "model.safetensors"));
        var stored = checkpoint.Entries.Select(e => (e.Name, "[" + string.Join(", ", e.Shape) + "]")).Order().ToList();
        Assert.Equal(stored, LayoutOf(model).Order().ToList());
    }

    [Fact]
    public void Vit_layout_equals_the_dino_checkpoint_and_the_pooler_is_optional()
    {
        string folder = FixturePaths.Get("dino_tiny");
        var config = Repro.Model.Vit.ViTConfig.Read(Path.Combine(folder, "config.json")).Config;
        using var model = new Repro.Model.Vit.ViTModel(config, addPoolingLayer: false, device: torch.META);
        var checkpoint = SafetensorsCheckpoint.Open(Path.Combine(folder, "model.safetensors"));
        var stored = checkpoint.Entries.Select(e => (e.Name, "[" + string.Join(", ", e.Shape) + "]")).Order().ToList();
        Assert.Equal(stored, LayoutOf(model).Order().ToList());
        using var pooled = new Repro.Model.Vit.ViTModel(config, addPoolingLayer: true, useMaskToken: true, device: torch.META);
        var keys = LayoutOf(pooled).Select(p => p.Key).ToHashSet();
        Assert.Contains("pooler.dense.weight", keys);
        Assert.Contains("embeddings.mask_token", keys);
        Assert.Equal(stored.Count + 3, keys.Count);
    }
}
