using Repro.Model.Attention;
using Repro.Model.IO;
using Repro.Model.Tests.UNet;
using Repro.Model.UNet;
using Repro.Tests;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Tests.Attention;

public sealed class CaptureTests
{
    private const string Fixture = "unet_tiny_sd21";
    // Loaded per test class instance and detached: test scopes must not dispose them.
    private readonly Dictionary<string, Tensor> Inputs = Safetensors.Load(FixturePaths.Get(Fixture, "inputs.safetensors"))
        .ToDictionary(kv => kv.Key, kv => kv.Value.DetachFromDisposeScope());

    private sealed class MarkerProcessor : IAttentionProcessor
    {
        public Tensor Process(Repro.Model.Attention.Attention attn, Tensor hidden, Tensor? context, Tensor? mask, string layerPath) =>
            AttnProcessor.Instance.Process(attn, hidden, context, mask, layerPath);
    }

    [Fact]
    public void Previous_processors_are_restored_on_dispose_even_when_the_forward_throws()
    {
        var unet = UNetParityTests.Load(Fixture);
        var marker = new MarkerProcessor();
        unet.SetAttnProcessor(marker);
        Assert.Equal(32, unet.AttnProcessors.Count);
        Assert.ThrowsAny<System.Runtime.InteropServices.ExternalException>(() =>
        {
            using var capture = unet.CaptureCrossAttention();
            Assert.Equal(16, unet.AttnProcessors.Values.Count(p => p is CapturingAttnProcessor));
            Assert.Equal(16, unet.AttnProcessors.Count(p => p.Key.EndsWith("attn1") && p.Value == marker));
            using var _ = torch.NewDisposeScope();
            unet.forward(Inputs["sample"], Inputs["timestep"], torch.zeros(2, 77, 5)); // wrong context width: throws
        });
        Assert.All(unet.AttnProcessors.Values, p => Assert.Same(marker, p));
    }

    [Fact]
    public void Filter_selects_layers_and_maps_are_cleared_per_forward_and_live_in_the_callers_scope()
    {
        var unet = UNetParityTests.Load(Fixture);
        using var noGrad = torch.no_grad();
        using var capture = unet.CaptureCrossAttention(path => path.StartsWith("up_blocks.3", StringComparison.Ordinal));
        Assert.Equal(3, capture.LayerPaths.Count);
        Assert.Equal(29, unet.AttnProcessors.Values.Count(p => p is AttnProcessor));
        Tensor first;
        using (var scope = torch.NewDisposeScope())
        {
            unet.forward(Inputs["sample"], Inputs["timestep"], Inputs["encoder_hidden_states"]);
            unet.forward(Inputs["sample"], Inputs["timestep"], Inputs["encoder_hidden_states"]);
            Assert.Equal(3, capture.Maps.Count);
            first = capture.Maps[0].Probabilities;
            Assert.Equal(new long[] { 2, 77, 2, 256 }, first.shape);
            Assert.False(first.IsInvalid);
            // Probabilities over the 77 tokens sum to one.
            TensorAssert.Close("token sum", first.sum(1), torch.ones(2, 2, 256), 1e-5, 0);
        }
        Assert.True(first.IsInvalid, "captured maps must be disposed with the caller's scope");
        capture.Clear();
        Assert.Empty(capture.Maps);
    }

    [Fact]
    public void Gradients_flow_through_captured_maps_to_attn2_to_k()
    {
        var unet = UNetParityTests.Load(Fixture);
        using var scope = torch.NewDisposeScope();
        using var capture = unet.CaptureCrossAttention();
        unet.forward(Inputs["sample"], Inputs["timestep"], Inputs["encoder_hidden_states"]);
        var map = capture.ByLayer["mid_block.attentions.0.transformer_blocks.0.attn2"];
        map[.., 1].mean().backward(); // one token's share of attention
        var toK = unet.named_parameters().Single(p => p.name == "mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight").parameter;
        Assert.NotNull(toK.grad);
        Assert.True(toK.grad!.abs().sum().item<float>() > 0, "no gradient reached attn2.to_k through the captured map");
    }

    [Fact]
    public void Per_layer_dictionary_must_name_every_layer()
    {
        var unet = UNetParityTests.Load(Fixture);
        var all = unet.AttnProcessors.ToDictionary(p => p.Key + ".processor", p => p.Value);
        unet.SetAttnProcessor(all);
        all.Remove(all.Keys.First());
        var e = Assert.Throws<ArgumentException>(() => unet.SetAttnProcessor(all));
        Assert.Contains("down_blocks.0.attentions.0.transformer_blocks.0.attn1", e.Message);
        Assert.Equal("up_blocks.1.attentions.2.transformer_blocks.0.attn2",
            unet.AttentionLayers.Single(l => l.Path == "up_blocks.1.attentions.2.transformer_blocks.0.attn2").Module.LayerPath);
    }

    [Fact]
    public void Strict_loading_names_missing_and_unexpected_keys()
    {
        string dir = Directory.CreateTempSubdirectory("repro-unet-strict-").FullName;
        try
        {
            using var scope = torch.NewDisposeScope();
            var tensors = Safetensors.Load(FixturePaths.Get(Fixture, "model.safetensors"));
            tensors.Remove("mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight");
            tensors["mid_block.attentions.0.transformer_blocks.0.attn2.to_k.bias"] = torch.zeros(32);
            File.Copy(FixturePaths.Get(Fixture, "config.json"), Path.Combine(dir, "config.json"));
            Safetensors.Save(Path.Combine(dir, "diffusion_pytorch_model.safetensors"), tensors);
            var e = Assert.Throws<CheckpointMismatchException>(() => UNet2DConditionModel.FromPretrained(dir));
            Assert.Equal(["mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight"], e.Missing);
            Assert.Equal(["mid_block.attentions.0.transformer_blocks.0.attn2.to_k.bias"], e.Unexpected);
            Assert.Contains("to_k.weight", e.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
