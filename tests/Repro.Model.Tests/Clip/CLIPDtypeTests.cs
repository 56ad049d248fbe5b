using Repro.Model.Clip;
using Repro.Model.IO;
using Repro.Tests;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Repro.Model.Tests.Clip;

public sealed class CLIPDtypeTests(ITestOutputHelper log)
{
    private static readonly string Folder = FixturePaths.Get("clip_eval_tiny");

    [Theory]
    [InlineData(ScalarType.Float64, 1e-5)]
    [InlineData(ScalarType.BFloat16, 0.15)]
    public void Text_tower_with_padding_mask_runs_in_other_dtypes(ScalarType dtype, double atol)
    {
        using var _ = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var inputs = Safetensors.Load(Path.Combine(Folder, "inputs.safetensors"));
        var expected = Safetensors.Load(Path.Combine(Folder, "outputs.safetensors"))["text_last_hidden_state"];
        var model = CLIPTextModelWithProjection.FromPretrained(Folder, dtype: dtype);
        Assert.Equal(dtype, model.parameters().First().dtype);
        var output = model.forward(inputs["input_ids"], inputs["attention_mask"]);
        Assert.Equal(dtype, output.LastHiddenState.dtype);
        TensorAssert.Close($"{dtype}/text_last_hidden_state", output.LastHiddenState, expected, atol, 0.05, log);
    }

    [Fact]
    public void The_padding_mask_changes_the_padded_positions_only()
    {
        using var _ = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var inputs = Safetensors.Load(Path.Combine(Folder, "inputs.safetensors"));
        var model = CLIPTextModel.FromPretrained(Folder);
        var masked = model.forward(inputs["input_ids"], inputs["attention_mask"]).LastHiddenState;
        var unmasked = model.forward(inputs["input_ids"]).LastHiddenState;
        var real = inputs["attention_mask"].to(ScalarType.Bool);
        Assert.True(masked[real].allclose(unmasked[real], 1e-6, 1e-6), "real tokens must not depend on later padding (causal)");
        Assert.False(masked[~real].allclose(unmasked[~real], 1e-3, 1e-3), "padded positions must see the padding mask");
    }
}
