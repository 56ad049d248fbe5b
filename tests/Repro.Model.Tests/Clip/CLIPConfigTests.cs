using Repro.Model.Clip;
using Repro.Model.Vit;
using Repro.Tests;

namespace Repro.Model.Tests.Clip;

public sealed class CLIPConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("repro-clipcfg-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        string path = Path.Combine(_dir, "config.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Theory]
    [InlineData("clip_text_gelu", "config.json")]
    [InlineData("clip_text_quickgelu", "config.json")]
    [InlineData("pipeline_tiny", "text_encoder/config.json")]
    [InlineData("sd21_layout", "text_encoder_config.json")]
    public void Every_text_config_key_is_mapped_or_explicitly_ignored(string fixture, string file)
    {
        var config = CLIPTextConfig.Read(FixturePaths.Get([fixture, .. file.Split('/')]));
        Assert.Empty(config.UnknownKeys);
    }

    [Fact]
    public void Clip_and_vit_fixture_configs_are_fully_mapped_including_nested_configs()
    {
        var clip = CLIPConfig.Read(FixturePaths.Get("clip_eval_tiny", "config.json"));
        Assert.Empty(clip.UnknownKeys);
        Assert.Equal(16, clip.Config.ProjectionDim);
        Assert.Equal(2.6592, clip.Config.LogitScaleInitValue);
        Assert.Equal((32, 2, 37), (clip.Config.TextConfig.HiddenSize, clip.Config.TextConfig.NumHiddenLayers, clip.Config.TextConfig.IntermediateSize));
        Assert.Equal("quick_gelu", clip.Config.TextConfig.HiddenAct); // the CLIPTextConfig default
        Assert.Equal(49407, clip.Config.TextConfig.EosTokenId);     // default: not the legacy value 2
        Assert.Equal((40, 32, 8, 16), (clip.Config.VisionConfig.HiddenSize, clip.Config.VisionConfig.ImageSize,
                                       clip.Config.VisionConfig.PatchSize, clip.Config.VisionConfig.NumPatches));
        var vit = ViTConfig.Read(FixturePaths.Get("dino_tiny", "config.json"));
        Assert.Empty(vit.UnknownKeys);
        Assert.Equal((1e-12, "gelu", true, 16), (vit.Config.LayerNormEps, vit.Config.HiddenAct, vit.Config.QkvBias, vit.Config.NumPatches));
    }

    [Fact]
    public void SD21_text_encoder_config_values()
    {
        var c = CLIPTextConfig.Read(FixturePaths.Get("sd21_layout", "text_encoder_config.json")).Config;
        Assert.Equal((1024, 23, 16, 4096, "gelu", 2, 49408), (c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.IntermediateSize, c.HiddenAct, c.EosTokenId!.Value, c.VocabSize));
        Assert.Equal(64, c.HeadDim);
    }

    [Fact]
    public void Unknown_keys_are_reported_at_top_level_and_in_nested_configs()
    {
        string path = Write("""{"model_type": "clip", "mystery": 1, "_name_or_path": "x", "id2label": {}, "text_config": {"hidden_size": 8, "num_attention_heads": 2, "odd_text_key": true}, "vision_config": {"odd_vision_key": 3}}""");
        var file = CLIPConfig.Read(path);
        Assert.Equal(["mystery", "text_config.odd_text_key", "vision_config.odd_vision_key"], file.UnknownKeys.Order().ToArray());
        var text = CLIPTextConfig.Read(path);
        Assert.Equal(8, text.Config.HiddenSize);
        Assert.Contains("text_config.odd_text_key", text.UnknownKeys);
        var warnings = new List<string>();
        TransformersConfigKeys.Report(path, text.UnknownKeys, warnings.Add);
        Assert.Single(warnings, w => w.Contains("mystery") && w.Contains(path));
    }

    [Fact]
    public void Legacy_text_config_dict_overrides_text_config()
    {
        string path = Write("""{"model_type": "clip", "text_config": {"hidden_size": 8, "num_attention_heads": 2}, "text_config_dict": {"hidden_size": 12, "eos_token_id": 2}}""");
        var c = CLIPConfig.Read(path).Config.TextConfig;
        Assert.Equal((12, 2, 2), (c.HiddenSize, c.NumAttentionHeads, c.EosTokenId!.Value));
    }

    [Theory]
    [InlineData("""{"hidden_act": "relu"}""", "hidden_act")]
    [InlineData("""{"hidden_size": 30, "num_attention_heads": 4}""", "num_attention_heads")]
    [InlineData("""{"layer_norm_eps": 0}""", "layer_norm_eps")]
    public void Invalid_values_name_the_file_and_the_key(string json, string key)
    {
        string path = Write(json);
        var e = Assert.Throws<InvalidDataException>(() => CLIPTextConfig.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void Activations_follow_their_definitions()
    {
        using var x = TorchSharp.torch.linspace(-4, 4, 81, dtype: TorchSharp.torch.float64);
        using var gelu = HiddenActivation.Get("gelu")(x);
        using var quick = HiddenActivation.Get("quick_gelu")(x);
        using var tanh = HiddenActivation.Get("gelu_pytorch_tanh")(x);
        using var erf = x * 0.5 * (1 + TorchSharp.torch.special.erf(x / Math.Sqrt(2)));
        Assert.True(gelu.allclose(erf, 0, 1e-12));
        Assert.True(quick.allclose(x * TorchSharp.torch.sigmoid(x * 1.702), 0, 1e-12));
        Assert.True(tanh.allclose(erf, 0, 1e-3));
        Assert.False(tanh.allclose(erf, 0, 1e-7));
        Assert.Throws<ArgumentException>(() => HiddenActivation.Get("swish"));
    }
}
