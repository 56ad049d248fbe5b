using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Repro.Losses.Tests;

[Trait("Category", "Parity")]
public sealed class AttnDreamBoothEq2ParityTests(OfficialFixture fx, ITestOutputHelper log) : IClassFixture<OfficialFixture>
{
    [Theory]
    [InlineData("stage1")]
    [InlineData("stage23")]
    public void Official_loss_and_gradients_match_the_transcribed_training_script(string stage)
    {
        using var _ = NewDisposeScope();
        var (lm, lv) = fx.AdbLambda(stage);
        var maps = fx.Maps("obj", requiresGrad: true);
        var loss = new AttnDreamBoothEq2(lm, lv).Loss(maps, fx.AdbStartIndex);
        var lossDiff = Close.Scalar(loss, fx.Outputs[$"adb.official.{stage}.loss"], rtol: 1e-5);
        loss.backward();
        var gradDiff = GradientRows(maps, $"adb.official.{stage}.grad");
        log.WriteLine($"adb.official.{stage}: loss |diff| {lossDiff:E3}, max grad |diff| {gradDiff:E3}");
    }

    [Theory]
    [InlineData("stage1")]
    [InlineData("stage23")]
    public void Paper_pooled_loss_and_per_sample_values_match(string stage)
    {
        using var _ = NewDisposeScope();
        var (lm, lv) = fx.AdbLambda(stage);
        var maps = fx.Maps("obj", requiresGrad: true);
        var eq2 = new AttnDreamBoothEq2(lm, lv, Form.Paper);
        var perSample = eq2.PerSample(maps, fx.AdbStartIndex);
        var loss = eq2.Loss(maps, fx.AdbStartIndex);
        var lossDiff = Close.Scalar(loss, fx.Outputs[$"adb.paper_pooled.{stage}.loss"], rtol: 1e-5);
        var expected = fx.Outputs[$"adb.paper_pooled.{stage}.loss_per_sample"];
        for (var b = 0; b < 2; b++) Close.Scalar(perSample[b], expected[b], rtol: 1e-5);
        var gradDiff = 0.0;
        if (stage == "stage23")
        {
            loss.backward();
            gradDiff = GradientRows(maps, "adb.paper_pooled.stage23.grad");
        }
        log.WriteLine($"adb.paper_pooled.{stage}: loss |diff| {lossDiff:E3}, max grad |diff| {gradDiff:E3}");
    }

    [Fact]
    public void Official_form_sums_the_batch_and_paper_form_averages_it()
    {
        using var _ = NewDisposeScope();
        var maps = fx.Maps("obj");
        var official = new AttnDreamBoothEq2(2, 5);
        Assert.Equal(official.PerSample(maps, fx.AdbStartIndex).sum().item<float>(), official.Loss(maps, fx.AdbStartIndex).item<float>());
        var paper = official with { Form = Form.Paper };
        Assert.Equal(paper.PerSample(maps, fx.AdbStartIndex).mean().item<float>(), paper.Loss(maps, fx.AdbStartIndex).item<float>());
    }

    /// <summary>Compares rows k_b, k_b+1 of each layer's gradient with the stored (B, 2, heads, HW) tensors; all other rows must be 0.</summary>
    private double GradientRows(List<Tensor> maps, string prefix)
    {
        var worst = 0.0;
        var start = fx.AdbStartIndex;
        for (var l = 0; l < maps.Count; l++)
        {
            var grad = maps[l].grad ?? throw new Xunit.Sdk.XunitException($"layer {l} got no gradient");
            var rows = stack(Enumerable.Range(0, start.Length).Select(b => grad[b, TensorIndex.Slice(start[b], start[b] + 2)]).ToList());
            worst = Math.Max(worst, Close.RelativeToMax(rows, fx.Outputs[$"{prefix}.{l}"], 1e-4));
            Assert.Equal(grad.abs().sum().item<float>(), rows.abs().sum().item<float>(), 3);
        }
        return worst;
    }
}
