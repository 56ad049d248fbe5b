using Repro.Model.IO;
using Repro.Model.Tests.UNet;
using Repro.Model.Vae;
using Repro.Tests;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Repro.Model.Tests.Vae;

[Trait("Category", "Parity")]
public sealed class VaeParityTests(ITestOutputHelper output)
{
    private static AutoencoderKL Load() =>
        AutoencoderKL.FromFiles(FixturePaths.Get("vae_tiny", "config.json"), FixturePaths.Get("vae_tiny", "model.safetensors"));

    [Fact]
    public void Encode_decode_and_forward_match_diffusers()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var vae = Load();
        var inputs = Safetensors.Load(FixturePaths.Get("vae_tiny", "inputs.safetensors"));
        var e = Safetensors.Load(FixturePaths.Get("vae_tiny", "outputs.safetensors"));
        var image = inputs["image"];
        var dist = vae.Encode(image);
        var actual = new (string Name, Tensor Value)[]
        {
            ("encoder_moments", vae.EncodeMoments(image)),
            ("latent_mean", dist.Mean),
            ("latent_logvar", dist.LogVar),
            ("latent_std", dist.Std),
            ("scaled_latent_mean", dist.Mean * vae.ScalingFactor),
            ("decode_of_latent_mean", vae.Decode(dist.Mean)),
            ("decode_of_z", vae.Decode(inputs["z"])),
            ("forward_sample", vae.forward(image, samplePosterior: false)),
        };
        Assert.Equal(e.Keys.Order(), actual.Select(a => a.Name).Order());
        foreach (var (name, value) in actual)
            output.WriteLine($"vae_tiny {name}: max abs diff {TensorAssert.Close(name, value, e[name], 1e-5, 1e-4):E2}");
        Assert.Equal(0.18215, vae.ScalingFactor);
    }

    [Fact]
    public void Sample_is_mean_plus_std_times_generator_noise()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var moments = torch.randn(2, 8, 4, 4, generator: new Generator(7));
        var dist = new DiagonalGaussianDistribution(moments);
        var sample = dist.Sample(new Generator(42));
        var noise = torch.randn(2, 4, 4, 4, generator: new Generator(42));
        TensorAssert.Close("sample", sample, dist.Mean + dist.Std * noise, 1e-6, 0);
        Assert.True(dist.Mode().allclose(dist.Mean, rtol: 0, atol: 0));
        var extreme = new DiagonalGaussianDistribution(torch.cat([torch.zeros(1, 1, 1, 1), torch.full(1, 1, 1, 1, 100f)], 1));
        Assert.Equal(20f, extreme.LogVar.item<float>());
    }

    [Fact]
    public void Legacy_attention_names_are_renamed_when_loading()
    {
        Assert.Equal("encoder.mid_block.attentions.0.to_q.weight", AutoencoderKL.LegacyRename("encoder.mid_block.attentions.0.query.weight"));
        Assert.Equal("decoder.mid_block.attentions.0.to_out.0.bias", AutoencoderKL.LegacyRename("decoder.mid_block.attentions.0.proj_attn.bias"));
        Assert.Equal("encoder.down_blocks.0.resnets.0.conv1.weight", AutoencoderKL.LegacyRename("encoder.down_blocks.0.resnets.0.conv1.weight"));

        string dir = Directory.CreateTempSubdirectory("repro-vae-legacy-").FullName;
        try
        {
            using var scope = torch.NewDisposeScope();
            var tensors = Safetensors.Load(FixturePaths.Get("vae_tiny", "model.safetensors"));
            var legacy = tensors.ToDictionary(kv => kv.Key.Replace(".to_q.", ".query.").Replace(".to_k.", ".key.").Replace(".to_v.", ".value.").Replace(".to_out.0.", ".proj_attn."), kv => kv.Value);
            Assert.Contains("encoder.mid_block.attentions.0.query.weight", legacy.Keys);
            File.Copy(FixturePaths.Get("vae_tiny", "config.json"), Path.Combine(dir, "config.json"));
            Safetensors.Save(Path.Combine(dir, "diffusion_pytorch_model.safetensors"), legacy);
            var vae = AutoencoderKL.FromPretrained(dir);
            var loaded = vae.state_dict();
            Assert.True(loaded["decoder.mid_block.attentions.0.to_out.0.weight"].allclose(tensors["decoder.mid_block.attentions.0.to_out.0.weight"], rtol: 0, atol: 0));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
