using System.Globalization;
using System.Text;
using Repro.Model.IO;
using Repro.Model.UNet;
using Repro.Tests;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Losses.Tests.Snapshots;

/// <summary>
/// Snapshots of the 16 cross-attention maps of the tiny fixture UNet (fixed weights and inputs) and of the losses on
/// them: a readable record that changes whenever capture, attention math or a loss changes.
/// </summary>
public sealed class AttentionSnapshotTests
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static (IReadOnlyList<string> Paths, List<Tensor> Object, List<Tensor> Category) CaptureTwoPrompts()
    {
        var unet = UNet2DConditionModel.FromFiles(FixturePaths.Get("unet_tiny_sd21", "config.json"), FixturePaths.Get("unet_tiny_sd21", "model.safetensors"));
        var inputs = Safetensors.Load(FixturePaths.Get("unet_tiny_sd21", "inputs.safetensors"));
        var context = inputs["encoder_hidden_states"];
        using var generator = new Generator(7);
        var perturbed = context + 0.1 * torch.randn(context.shape, generator: generator);
        using var noGrad = torch.no_grad();
        using var capture = unet.CaptureCrossAttention();
        unet.forward(inputs["sample"], inputs["timestep"], context);
        var objectMaps = capture.Maps.Select(m => m.Probabilities.detach().clone()).ToList();
        var paths = capture.Maps.Select(m => m.LayerPath).ToList();
        unet.forward(inputs["sample"], inputs["timestep"], perturbed);
        var categoryMaps = capture.Maps.Select(m => m.Probabilities.detach().clone()).ToList();
        return (paths, objectMaps, categoryMaps);
    }

    private static string Row(Tensor values, string format) =>
        string.Join(" ", values.to(ScalarType.Float64).data<double>().ToArray().Select(v => v.ToString(format, Inv)));

    [Fact]
    public void Sixteen_captured_maps_match_their_snapshot()
    {
        var (paths, maps, _) = CaptureTwoPrompts();
        var text = new StringBuilder();
        text.AppendLine("# unet_tiny_sd21 cross-attention maps (batch, tokens, heads, pixels); per layer: mean and unbiased variance");
        text.AppendLine("# of each token's values over heads x pixels for sample 0, tokens 0..76, rounded.");
        for (int i = 0; i < maps.Count; i++)
        {
            var m = maps[i];
            var sample0 = m[0].reshape(m.shape[1], -1);
            text.AppendLine($"[{i}] {paths[i]} shape=({string.Join(", ", m.shape)}) rowsum={m.sum(1).mean().item<float>().ToString("F5", Inv)}");
            text.AppendLine($"  mean {Row(sample0.mean([1]), "F4")}");
            text.AppendLine($"  var  {Row(sample0.var(1, unbiased: true) * 1e4, "G3")} (x1e-4)");
        }
        Snapshot.Match("unet_tiny_sd21_attention_maps", text.ToString());
    }

    [Fact]
    public void Losses_on_the_captured_maps_match_their_snapshot()
    {
        var (_, objectMaps, categoryMaps) = CaptureTwoPrompts();
        long[] placeholder = [5, 8];
        var sets = CoReContextIndexSets.FromPositions(2, 9, 1);
        var text = new StringBuilder();
        foreach (var form in new[] { Form.Official, Form.Paper })
        {
            using var adb = new AttnDreamBoothEq2(1, 1, form).Loss(objectMaps, placeholder);
            using var adbMeanOnly = new AttnDreamBoothEq2(0.1, 0, form).Loss(objectMaps, placeholder);
            using var core = new CoReEq4ContextAttention(1, form).Loss(objectMaps, categoryMaps, sets);
            using var coreSame = new CoReEq4ContextAttention(1, form).Loss(objectMaps, objectMaps, sets);
            text.AppendLine($"{form}: ADB Eq.2 (lambda 1/1, [V] at 5 and 8) = {adb.item<float>().ToString("E3", Inv)}");
            text.AppendLine($"{form}: ADB Eq.2 (lambda 0.1/0, stage 1) = {adbMeanOnly.item<float>().ToString("E3", Inv)}");
            text.AppendLine($"{form}: CoRe Eq.4 (lambda 1, k=2 e=9, perturbed context) = {core.item<float>().ToString("E3", Inv)}");
            text.AppendLine($"{form}: CoRe Eq.4 (identical maps) = {coreSame.item<float>().ToString("E3", Inv)}");
        }
        Snapshot.Match("unet_tiny_sd21_losses", text.ToString());
    }
}
