using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Vae;

/// <summary>
/// diffusers <c>DiagonalGaussianDistribution</c> over the VAE moments [mean | logvar]: logvar clamped to [-30, 20],
/// std = exp(logvar/2). The tensors live in the dispose scope that was current when it was made.
/// </summary>
public sealed class DiagonalGaussianDistribution
{
    public DiagonalGaussianDistribution(Tensor moments)
    {
        var parts = moments.chunk(2, dim: 1);
        Mean = parts[0];
        LogVar = parts[1].clamp(-30.0, 20.0);
        Std = torch.exp(0.5 * LogVar);
        Var = torch.exp(LogVar);
    }

    public Tensor Mean { get; }
    public Tensor LogVar { get; }
    public Tensor Std { get; }
    public Tensor Var { get; }

    /// <summary>mean + std * N(0, 1), the noise drawn from <paramref name="generator"/> (or the global generator).</summary>
    public Tensor Sample(Generator? generator = null)
    {
        using var noise = torch.randn(Mean.shape, dtype: Mean.dtype, device: Mean.device, generator: generator);
        return Mean + Std * noise;
    }

    public Tensor Mode() => Mean.alias();
}
