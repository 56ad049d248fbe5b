using static TorchSharp.torch;

namespace Repro.Model.Schedulers;

/// <summary>
/// One sampling run: the timesteps and the state of a multistep solver. Create a new one per image batch.
/// Timesteps are doubles so that Euler's fractional float32 timesteps fit; the discrete schedulers' are integers.
/// </summary>
public interface ISampler : IDisposable
{
    /// <summary>The timesteps to run the model at, in order (float32-exact values).</summary>
    IReadOnlyList<double> Timesteps { get; }

    /// <summary>Standard deviation of the initial noise: multiply N(0, I) latents by it.</summary>
    double InitNoiseSigma { get; }

    /// <summary>The input scaling some samplers need before the model (identity for DDPM/DDIM/DPM-Solver).</summary>
    Tensor ScaleModelInput(Tensor sample, double timestep);

    /// <summary>One reverse step: the previous (less noisy) sample. Multistep samplers expect the timesteps in order.</summary>
    Tensor Step(Tensor modelOutput, double timestep, Tensor sample, Generator? generator = null);
}
