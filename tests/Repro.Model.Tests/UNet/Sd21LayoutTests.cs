using Repro.Model.Attention;
using Repro.Model.IO;
using Repro.Model.UNet;
using Repro.Model.Vae;
using Repro.Tests;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Repro.Model.Tests.UNet;

/// <summary>Tests that change TorchSharp's global default device run alone.</summary>
[CollectionDefinition(nameof(DefaultDeviceCollection), DisableParallelization = true)]
public sealed class DefaultDeviceCollection;

/// <summary>
/// The real SD2.1 UNet (866M parameters) and VAE built from sd21_layout/*_config.json on the <c>meta</c> device
/// (TorchSharp 0.107 honours <c>torch.set_default_device</c> in module constructors: no memory is allocated), compared
/// key by key and shape by shape with the state-dict lists diffusers wrote.
/// </summary>
[Collection(nameof(DefaultDeviceCollection))]
public sealed class Sd21LayoutTests(ITestOutputHelper output)
{
    private static T OnMeta<T>(Func<T> build)
    {
        torch.set_default_device(new Device(DeviceType.META));
        try { return build(); }
        finally { torch.set_default_device(torch.CPU); }
    }

    private static List<string> Tsv(string name) =>
        File.ReadAllLines(FixturePaths.Get("sd21_layout", name)).Where(l => l.Length > 0).ToList();

    private static List<string> Layout(nn.Module module) =>
        StateDictLoader.Layout(module).Select(e => $"{e.Key}\t[{string.Join(", ", e.Shape)}]").ToList();

    private void AssertSameLayout(List<string> expected, List<string> actual, string what)
    {
        var missing = expected.Except(actual).ToList();
        var extra = actual.Except(expected).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"{what}: missing or misshapen [{string.Join("; ", missing.Take(10))}], unexpected [{string.Join("; ", extra.Take(10))}]");
        Assert.Equal(expected.Count, actual.Count);
        output.WriteLine($"{what}: {actual.Count} entries match; same order as diffusers: {expected.SequenceEqual(actual)}");
    }

    [Fact]
    public void Sd21_unet_has_diffusers_keys_shapes_and_attn2_order()
    {
        var config = UNet2DConditionModel.ReadConfig(FixturePaths.Get("sd21_layout", "unet_config.json"));
        var unet = OnMeta(() => new UNet2DConditionModel(config));
        Assert.Equal(DeviceType.META, unet.parameters().First().device_type);
        AssertSameLayout(Tsv("unet_state_dict.tsv"), Layout(unet), "unet");
        long count = unet.parameters().Sum(p => p.numel());
        Assert.Equal(865_910_724L, count);

        // The 16 attn2 layers: execution order (meta tensors cannot run convolutions in this libtorch, so the order
        // comes from CrossAttentionLayersInExecutionOrder, which the tiny parity tests check against a real forward).
        var rows = Tsv("attn2_layers.tsv").Skip(1).Select(l => l.Split('\t')).ToList();
        Assert.Equal(16, rows.Count);
        Assert.Equal(rows.Select(r => r[1]), unet.CrossAttentionLayersInExecutionOrder);
        var layers = unet.AttentionLayers.ToDictionary(l => l.Path, l => l.Module);
        foreach (var r in rows)
        {
            Assert.Equal(long.Parse(r[3]), layers[r[1]].Heads);
            Assert.Equal(long.Parse(r[4]), layers[r[1]].HeadDim);
            Assert.Equal(long.Parse(r[9]), layers[r[1]].ToK.weight!.shape[1]);
        }
        // Registration order puts the mid block last, as diffusers' named_modules() does.
        var registered = unet.AttentionLayers.Where(l => l.Module.IsCrossAttention).Select(l => l.Path).ToList();
        Assert.Equal(rows.OrderBy(r => int.Parse(r[2])).Select(r => r[1]), registered);
    }

    [Fact]
    public void Sd21_vae_has_diffusers_keys_and_shapes()
    {
        var file = ConfigJson.Read<AutoencoderKLConfig>(FixturePaths.Get("sd21_layout", "vae_config.json"));
        var vae = OnMeta(() => new AutoencoderKL(file.Config));
        Assert.Equal(DeviceType.META, vae.parameters().First().device_type);
        AssertSameLayout(Tsv("vae_state_dict.tsv"), Layout(vae), "vae");
        Assert.Equal(83_653_863L, vae.parameters().Sum(p => p.numel()));
    }
}
