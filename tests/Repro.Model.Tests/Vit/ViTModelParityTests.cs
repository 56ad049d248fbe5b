using Repro.Model.IO;
using Repro.Model.Tests.Clip;
using Repro.Model.Vit;
using Repro.Tests;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Repro.Model.Tests.Vit;

[Trait("Category", "Parity")]
public sealed class ViTModelParityTests(ITestOutputHelper log)
{
    private static readonly string Folder = FixturePaths.Get("dino_tiny");

    [Fact]
    public void Dino_layout_matches_last_hidden_state_and_cls()
    {
        using var _ = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var inputs = Safetensors.Load(Path.Combine(Folder, "inputs.safetensors"));
        var expected = Safetensors.Load(Path.Combine(Folder, "outputs.safetensors"));
        var model = ViTModel.FromPretrained(Folder, addPoolingLayer: false);
        Assert.False(model.HasPooler);
        Assert.Equal(1e-12, model.Config.LayerNormEps);
        var output = model.forward(inputs["pixel_values"], outputHiddenStates: true);
        Assert.Null(output.PooledOutput);
        Assert.Equal(model.Config.NumHiddenLayers + 1, output.HiddenStates!.Count);
        TensorAssert.Close("last_hidden_state", output.LastHiddenState, expected["last_hidden_state"], log: log);
        TensorAssert.Close("cls", output.Cls, expected["cls"], log: log);
        var processed = model.forward(expected["pixel_values_from_processor"]);
        TensorAssert.Close("cls_of_processed_raw", processed.Cls, expected["cls_of_processed_raw"], log: log);
    }

    [Fact]
    public void A_pooler_is_required_unless_add_pooling_layer_is_false()
    {
        var e = Assert.Throws<CheckpointMismatchException>(() => ViTModel.FromPretrained(Folder, addPoolingLayer: true));
        Assert.Contains("pooler.dense.weight", e.Missing);
        Assert.Contains("pooler.dense.bias", e.Missing);
        var withPooler = new ViTModel(ViTConfig.Read(Path.Combine(Folder, "config.json")).Config, addPoolingLayer: true);
        using var output = withPooler.forward(torch.randn(1, 3, 32, 32));
        Assert.Equal([1L, 32L], output.PooledOutput!.shape);
    }
}
