using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Repro.Model.Tests.Clip;

/// <summary>Elementwise closeness |a − e| ≤ atol + rtol·|e|, with the tensor's name and max abs diff on failure.</summary>
public static class Parity
{
    public static double AssertClose(string name, Tensor actual, Tensor expected, double atol = 1e-5, double rtol = 1e-4, ITestOutputHelper? log = null)
    {
        Assert.True(actual.shape.SequenceEqual(expected.shape),
            $"{name}: shape [{string.Join(", ", actual.shape)}] vs expected [{string.Join(", ", expected.shape)}]");
        using var _ = NewDisposeScope();
        var a = actual.detach().cpu().to(ScalarType.Float64);
        var e = expected.detach().cpu().to(ScalarType.Float64);
        var diff = (a - e).abs();
        double maxAbs = diff.numel() == 0 ? 0 : diff.max().item<double>();
        var bad = diff.gt(e.abs() * rtol + atol);
        long nBad = bad.sum().item<long>();
        log?.WriteLine($"{name}: max abs diff {maxAbs:E3} (max |ref| {(e.numel() == 0 ? 0 : e.abs().max().item<double>()):E3})");
        Assert.True(nBad == 0 && !double.IsNaN(maxAbs),
            $"{name}: {nBad} of {diff.numel()} elements outside atol={atol:E1} rtol={rtol:E1}; max abs diff {maxAbs:E3}");
        return maxAbs;
    }
}
