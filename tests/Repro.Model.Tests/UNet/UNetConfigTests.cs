using System.Text.Json.Nodes;
using Repro.Model.IO;
using Repro.Model.UNet;
using Repro.Model.Vae;
using Repro.Tests;

namespace Repro.Model.Tests.UNet;

public sealed class UNetConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("repro-unet-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("unet_tiny_sd21", "config.json")]
    [InlineData("unet_tiny2", "config.json")]
    [InlineData("sd21_layout", "unet_config.json")]
    public void Every_unet_config_key_is_mapped(string fixture, string name)
    {
        string path = FixturePaths.Get(fixture, name);
        var file = ConfigJson.Read<UNet2DConditionConfig>(path);
        Assert.Empty(file.UnknownKeys);
        var keys = ConfigJson.ReadObject(path).Select(p => p.Key).Where(k => !k.StartsWith('_')).ToList();
        Assert.Subset(ConfigJson.MappedKeys(typeof(UNet2DConditionConfig)), keys.ToHashSet());
        Assert.True(file.Config.UpcastAttention);
        Assert.True(file.Config.UseLinearProjection);
    }

    [Theory]
    [InlineData("vae_tiny", "config.json")]
    [InlineData("sd21_layout", "vae_config.json")]
    public void Every_vae_config_key_is_mapped(string fixture, string name)
    {
        var file = ConfigJson.Read<AutoencoderKLConfig>(FixturePaths.Get(fixture, name));
        Assert.Empty(file.UnknownKeys);
        Assert.Equal(0.18215, file.Config.ScalingFactor);
    }

    private string WriteConfig(Action<JsonObject> edit)
    {
        var json = ConfigJson.ReadObject(FixturePaths.Get("unet_tiny2", "config.json"));
        edit(json);
        string path = Path.Combine(_dir, "config.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    [Fact]
    public void Unknown_block_type_names_config_json_and_the_value()
    {
        string path = WriteConfig(j => j["down_block_types"] = new JsonArray("CrossAttnDownBlock2D", "SimpleCrossAttnDownBlock2D"));
        var e = Assert.Throws<NotSupportedException>(() => UNet2DConditionModel.ReadConfig(path));
        Assert.Contains("config.json", e.Message);
        Assert.Contains("SimpleCrossAttnDownBlock2D", e.Message);
        string mid = WriteConfig(j => j["mid_block_type"] = "UNetMidBlock2DSimpleCrossAttn");
        Assert.Contains("UNetMidBlock2DSimpleCrossAttn", Assert.Throws<NotSupportedException>(() => UNet2DConditionModel.ReadConfig(mid)).Message);
    }

    [Fact]
    public void Unsupported_math_options_and_unknown_keys_are_errors_naming_file_and_key()
    {
        string shift = WriteConfig(j => j["resnet_time_scale_shift"] = "scale_shift");
        var e = Assert.Throws<NotSupportedException>(() => UNet2DConditionModel.ReadConfig(shift));
        Assert.Contains("config.json", e.Message);
        Assert.Contains("resnet_time_scale_shift", e.Message);
        string unknown = WriteConfig(j => j["brand_new_option"] = 3);
        Assert.Contains("brand_new_option", Assert.Throws<NotSupportedException>(() => UNet2DConditionModel.ReadConfig(unknown)).Message);
    }

    [Fact]
    public void Sd15_style_int_attention_head_dim_and_conv_projection_build()
    {
        string path = WriteConfig(j => { j["attention_head_dim"] = 2; j["use_linear_projection"] = false; });
        var config = UNet2DConditionModel.ReadConfig(path);
        Assert.Equal([2], config.AttentionHeadDim);
        using var unet = new UNet2DConditionModel(config);
        var sd = unet.state_dict();
        Assert.Equal([32L, 32, 1, 1], sd["down_blocks.0.attentions.0.proj_in.weight"].shape);
        Assert.All(unet.AttentionLayers, l => Assert.Equal(2, l.Module.Heads));
        // GroupNorm affine parameters are initialised (TorchSharp leaves them uninitialised).
        Assert.Equal(32f, sd["conv_norm_out.weight"].sum().item<float>());
        Assert.Equal(0f, sd["conv_norm_out.bias"].abs().sum().item<float>());
    }
}
