using Repro.Model.IO;
using Repro.Tests;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Losses.Tests;

/// <summary>The tensors of tests/fixtures/losses_official, loaded once per test class.</summary>
public sealed class OfficialFixture : IDisposable
{
    public const int Layers = 16;

    public Dictionary<string, Tensor> Inputs { get; } = Safetensors.Load(FixturePaths.Get("losses_official", "inputs.safetensors"));

    public Dictionary<string, Tensor> Outputs { get; } = Safetensors.Load(FixturePaths.Get("losses_official", "outputs.safetensors"));

    public static string IndexSetsJson => FixturePaths.Get("losses_official", "core_index_sets.json");

    /// <summary>Fresh leaf copies of the 16 maps (<c>obj</c> or <c>cat</c>) that record gradients.</summary>
    public List<Tensor> Maps(string side, bool requiresGrad = false) =>
        Enumerable.Range(0, Layers).Select(i => Inputs[$"maps_{side}.{i}"].detach().clone().requires_grad_(requiresGrad)).ToList();

    public long[] AdbStartIndex => Inputs["adb.start_index"].data<long>().ToArray();

    public (double Mean, double Variance) AdbLambda(string stage)
    {
        var l = Inputs[$"adb.lambda.{stage}"].data<float>();
        return (l[0], l[1]);
    }

    public (double Embedding, double Attention) CoReLambda
    {
        get
        {
            var l = Inputs["core.lambda"].data<float>();
            return (l[0], l[1]);
        }
    }

    public long[] Index(string key) => Inputs[key].data<long>().ToArray();

    public void Dispose()
    {
        foreach (var t in Inputs.Values.Concat(Outputs.Values)) t.Dispose();
    }
}

/// <summary>Comparisons with the README's tolerances; each returns the max abs difference for the test log.</summary>
public static class Close
{
    /// <summary>Scalar loss within <paramref name="rtol"/> relative (or <paramref name="atol"/> absolute, whichever is larger).</summary>
    public static double Scalar(Tensor actual, Tensor expected, double rtol, double atol = 0)
    {
        var (a, e) = (actual.to_type(ScalarType.Float64).item<double>(), expected.to_type(ScalarType.Float64).reshape(-1)[0].item<double>());
        var diff = Math.Abs(a - e);
        Assert.True(diff <= Math.Max(rtol * Math.Abs(e), atol), $"actual {a:R} vs expected {e:R}: |diff| {diff:E3} > max(rtol {rtol} · |e|, atol {atol})");
        return diff;
    }

    /// <summary>Elementwise within <paramref name="rtolOfMax"/> · max|expected| (the README's rule for gradients).</summary>
    public static double RelativeToMax(Tensor actual, Tensor expected, double rtolOfMax)
    {
        Assert.Equal(expected.shape, actual.shape);
        var (a, e) = (actual.to_type(ScalarType.Float64), expected.to_type(ScalarType.Float64));
        var diff = (a - e).abs().max().item<double>();
        var scale = e.abs().max().item<double>();
        Assert.True(diff <= rtolOfMax * scale, $"max |diff| {diff:E3} > {rtolOfMax} · max|expected| {scale:E3}");
        return diff;
    }
}
