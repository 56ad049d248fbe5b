using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Repro.Tests;

/// <summary>Tensor comparisons for parity tests; failures name the tensor and give the max abs diff.</summary>
public static class TensorAssert
{
    /// <summary>Elementwise |a − e| ≤ atol + rtol·|e|; returns the max abs diff.</summary>
    public static double Close(string name, Tensor actual, Tensor expected, double atol = 1e-5, double rtol = 1e-4, ITestOutputHelper? log = null)
    {
        AssertSameShape(name, actual, expected);
        using var _ = NewDisposeScope();
        var a = actual.detach().cpu().to(ScalarType.Float64);
        var e = expected.detach().cpu().to(ScalarType.Float64);
        var diff = (a - e).abs();
        double maxAbs = diff.numel() == 0 ? 0 : diff.max().item<double>();
        long bad = diff.gt(e.abs() * rtol + atol).sum().item<long>();
        log?.WriteLine($"{name}: max abs diff {maxAbs:E3} (max |ref| {(e.numel() == 0 ? 0 : e.abs().max().item<double>()):E3})");
        Assert.True(bad == 0 && !double.IsNaN(maxAbs),
            $"{name}: {bad} of {diff.numel()} elements outside atol={atol:E1} rtol={rtol:E1}; max abs diff {maxAbs:E3}");
        return maxAbs;
    }

    /// <summary>max |a − e| ≤ atol + rtol·max|e| (tolerance relative to the tensor's scale); returns the max abs diff.</summary>
    public static double CloseToScale(string name, Tensor actual, Tensor expected, double atol, double rtol = 0)
    {
        AssertSameShape(name, actual, expected);
        using var _ = NewDisposeScope();
        var e = expected.detach().cpu().to(ScalarType.Float64);
        var a = actual.detach().cpu().to(ScalarType.Float64);
        double maxDiff = (e - a).abs().max().item<double>();
        double scale = e.abs().max().item<double>();
        double tol = atol + rtol * scale;
        Assert.True(maxDiff <= tol, $"{name}: max abs diff {maxDiff:E3} > tolerance {tol:E3} (max |expected| {scale:G4})");
        return maxDiff;
    }

    /// <summary>The fixture READMEs' gradient rule: |a − b| ≤ 1e-4·max|ref| + 1e-4·|ref|.</summary>
    public static double GradClose(string name, Tensor actual, Tensor expected)
    {
        using var e = expected.detach().abs().max();
        return Close(name, actual, expected, 1e-4 * e.item<float>(), 1e-4);
    }

    private static void AssertSameShape(string name, Tensor actual, Tensor expected) =>
        Assert.True(actual.shape.SequenceEqual(expected.shape),
            $"{name}: shape [{string.Join(", ", actual.shape)}] vs expected [{string.Join(", ", expected.shape)}]");
}
