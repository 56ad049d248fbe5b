using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Schedulers;

/// <summary>One Euler discrete run: float32 timesteps, sigmas (len steps + 1, last 0) and the step index.</summary>
public sealed class EulerDiscreteSampler : ISampler
{
    private readonly EulerDiscreteScheduler _scheduler;
    private readonly float[] _timesteps;
    private readonly float[] _sigmas;
    private readonly StepIndexTracker<float> _stepIndex;

    internal EulerDiscreteSampler(EulerDiscreteScheduler scheduler, float[] timesteps, float[] sigmas, float initNoiseSigma)
    {
        _scheduler = scheduler;
        _timesteps = timesteps;
        _sigmas = sigmas;
        _stepIndex = new StepIndexTracker<float>(timesteps);
        InitNoiseSigma = initNoiseSigma;
    }

    public IReadOnlyList<float> Timesteps => _timesteps;
    IReadOnlyList<double> ISampler.Timesteps => _timesteps.Select(t => (double)t).ToArray();
    public IReadOnlyList<float> Sigmas => _sigmas;
    public int? StepIndex => _stepIndex.Index;
    public double InitNoiseSigma { get; }

    Tensor ISampler.ScaleModelInput(Tensor sample, double timestep) => ScaleModelInput(sample, ToFloat(timestep));

    Tensor ISampler.Step(Tensor modelOutput, double timestep, Tensor sample, Generator? generator) =>
        Step(modelOutput, ToFloat(timestep), sample, generator);

    /// <summary>Scales the denoising model input by 1 / sqrt(sigma² + 1) to match the Euler algorithm.</summary>
    public Tensor ScaleModelInput(Tensor sample, float timestep)
    {
        float sigma = _sigmas[_stepIndex.Current(timestep)];
        return sample / MathF.Sqrt(sigma * sigma + 1f);
    }

    public Tensor Step(Tensor modelOutput, float timestep, Tensor sample, Generator? generator = null)
    {
        var output = StepWithPrediction(modelOutput, timestep, sample, generator);
        output.PredOriginalSample.Dispose();
        return output.PrevSample;
    }

    /// <summary>
    /// Predict the sample from the previous timestep by reversing the SDE (diffusers' <c>EulerDiscreteScheduler.step</c>
    /// with s_churn = 0, so gamma = 0 and sigma_hat = sigma; no noise is drawn and the generator is unused).
    /// </summary>
    public SchedulerOutput StepWithPrediction(Tensor modelOutput, float timestep, Tensor sample, Generator? generator = null)
    {
        using var _ = torch.NewDisposeScope();
        int stepIndex = _stepIndex.Current(timestep);
        // Upcast to avoid precision issues when computing prev_sample
        sample = sample.to(ScalarType.Float32);
        float sigma = _sigmas[stepIndex];
        float sigmaHat = sigma * (0f + 1f);

        // 1. compute predicted original sample (x_0) from sigma-scaled predicted noise
        Tensor predOriginalSample = _scheduler.PredictionType switch
        {
            PredictionType.Sample => modelOutput.to(ScalarType.Float32, copy: true),
            PredictionType.Epsilon => sample - sigmaHat * modelOutput,
            // denoised = model_output * c_out + input * c_skip
            PredictionType.VPrediction => modelOutput * (-sigma / MathF.Sqrt(sigma * sigma + 1f)) + sample / (sigma * sigma + 1f),
            _ => throw new InvalidOperationException($"{_scheduler.Source}: prediction_type {_scheduler.PredictionType} is not supported"),
        };

        // 2. Convert to an ODE derivative
        var derivative = (sample - predOriginalSample) / sigmaHat;
        float dt = _sigmas[stepIndex + 1] - sigmaHat;
        var prevSample = sample + derivative * dt;

        // Cast sample back to model compatible dtype
        prevSample = prevSample.to(modelOutput.dtype);

        // upon completion increase step index by one
        _stepIndex.Advance();
        return new SchedulerOutput(prevSample.MoveToOuterDisposeScope(), predOriginalSample.MoveToOuterDisposeScope());
    }

    private static float ToFloat(double timestep)
    {
        float t = (float)timestep;
        if (t != timestep) throw new ArgumentException($"timestep {timestep} is not a float32 value", nameof(timestep));
        return t;
    }

    public void Dispose() { }
}
