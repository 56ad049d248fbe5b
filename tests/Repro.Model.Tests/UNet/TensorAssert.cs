using static TorchSharp.torch;

namespace Repro.Model.Tests.UNet;

/// <summary>Tensor comparisons whose failure messages name the tensor and give the max abs diff.</summary>
internal static class TensorAssert
{
    /// <summary>|a - e| &lt;= atol + rtol * |e| elementwise; returns the max abs diff.</summary>
    public static double Close(string name, Tensor actual, Tensor expected, double atol, double rtol)
    {
        Assert.True(actual.shape.SequenceEqual(expected.shape),
            $"{name}: shape [{string.Join(", ", actual.shape)}] vs expected [{string.Join(", ", expected.shape)}]");
        using var a = actual.detach().to(ScalarType.Float64).cpu();
        using var e = expected.detach().to(ScalarType.Float64).cpu();
        using var diff = (a - e).abs();
        double max = diff.max().item<double>();
        using var bound = e.abs() * rtol + atol;
        bool ok = (diff <= bound).all().item<bool>();
        Assert.True(ok, $"{name}: max abs diff {max:E3} exceeds atol {atol:E1} + rtol {rtol:E1}*|ref|");
        return max;
    }

    /// <summary>Gradient rule of the fixture READMEs: |a-b| &lt;= 1e-4 * max|ref| + 1e-4 * |ref|.</summary>
    public static double GradClose(string name, Tensor actual, Tensor expected)
    {
        using var e = expected.detach().abs().max();
        return Close(name, actual, expected, 1e-4 * e.item<float>(), 1e-4);
    }
}
