using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Schedulers;

/// <summary>One DDPM ancestral sampling run (diffusers' <c>DDPMScheduler.step</c>); the variance noise uses the generator.</summary>
public sealed class DDPMSampler : ISampler
{
    private readonly DDPMScheduler _scheduler;
    private readonly long[] _timesteps;

    internal DDPMSampler(DDPMScheduler scheduler, long[] timesteps)
    {
        _scheduler = scheduler;
        _timesteps = timesteps;
    }

    public IReadOnlyList<long> Timesteps => _timesteps;
    IReadOnlyList<double> ISampler.Timesteps => _timesteps.Select(t => (double)t).ToArray();
    public int NumInferenceSteps => _timesteps.Length;
    public double InitNoiseSigma => 1.0;

    public Tensor ScaleModelInput(Tensor sample, double timestep) => sample.alias();

    Tensor ISampler.Step(Tensor modelOutput, double timestep, Tensor sample, Generator? generator) =>
        Step(modelOutput, SchedulerBase.ToDiscrete(timestep), sample, generator);

    public Tensor Step(Tensor modelOutput, long timestep, Tensor sample, Generator? generator = null)
    {
        var output = StepWithPrediction(modelOutput, timestep, sample, generator);
        output.PredOriginalSample.Dispose();
        return output.PrevSample;
    }

    /// <summary>diffusers' previous_timestep: t − num_train_timesteps // num_inference_steps.</summary>
    public long PreviousTimestep(long timestep) => timestep - _scheduler.Config.NumTrainTimesteps / NumInferenceSteps;

    /// <summary>Predict the sample from the previous timestep by reversing the SDE. Scalars are float32 as in diffusers.</summary>
    public SchedulerOutput StepWithPrediction(Tensor modelOutput, long timestep, Tensor sample, Generator? generator = null)
    {
        using var _ = torch.NewDisposeScope();
        long t = timestep;
        long prevT = PreviousTimestep(t);

        // 1. compute alphas, betas
        float alphaProdT = _scheduler.Schedule.AlphaCumprod(t);
        float alphaProdTPrev = prevT >= 0 ? _scheduler.Schedule.AlphaCumprod(prevT) : 1f;
        float betaProdT = 1f - alphaProdT;
        float betaProdTPrev = 1f - alphaProdTPrev;
        float currentAlphaT = alphaProdT / alphaProdTPrev;
        float currentBetaT = 1f - currentAlphaT;

        // 2. compute predicted original sample from predicted noise also called
        // "predicted x_0" of formula (15) from https://arxiv.org/pdf/2006.11239.pdf
        Tensor predOriginalSample = _scheduler.PredictionType switch
        {
            PredictionType.Epsilon => (sample - MathF.Sqrt(betaProdT) * modelOutput) / MathF.Sqrt(alphaProdT),
            PredictionType.Sample => modelOutput.clone(),
            PredictionType.VPrediction => MathF.Sqrt(alphaProdT) * sample - MathF.Sqrt(betaProdT) * modelOutput,
            _ => throw new InvalidOperationException($"{_scheduler.Source}: prediction_type {_scheduler.PredictionType} is not supported"),
        };

        // 3. Clip or threshold "predicted x_0" (thresholding is rejected when the config is read)
        if (_scheduler.ClipSample)
        {
            double range = _scheduler.Config.ClipSampleRange;
            predOriginalSample = predOriginalSample.clamp(-range, range);
        }

        // 4. Compute coefficients for pred_original_sample x_0 and current sample x_t
        // See formula (7) from https://arxiv.org/pdf/2006.11239.pdf
        float predOriginalSampleCoeff = MathF.Sqrt(alphaProdTPrev) * currentBetaT / betaProdT;
        float currentSampleCoeff = MathF.Sqrt(currentAlphaT) * betaProdTPrev / betaProdT;

        // 5. Compute predicted previous sample µ_t
        // See formula (7) from https://arxiv.org/pdf/2006.11239.pdf
        var predPrevSample = predOriginalSampleCoeff * predOriginalSample + currentSampleCoeff * sample;

        // 6. Add noise
        if (t > 0)
        {
            var varianceNoise = torch.randn(modelOutput.shape, modelOutput.dtype, modelOutput.device, generator: generator);
            float std = _scheduler.VarianceType == "fixed_small_log" ? GetVariance(t, prevT) : MathF.Sqrt(GetVariance(t, prevT));
            predPrevSample = predPrevSample + std * varianceNoise;
        }
        return new SchedulerOutput(predPrevSample.MoveToOuterDisposeScope(), predOriginalSample.MoveToOuterDisposeScope());
    }

    /// <summary>diffusers' _get_variance for the fixed variance types (fixed_small_log returns the standard deviation).</summary>
    private float GetVariance(long t, long prevT)
    {
        float alphaProdT = _scheduler.Schedule.AlphaCumprod(t);
        float alphaProdTPrev = prevT >= 0 ? _scheduler.Schedule.AlphaCumprod(prevT) : 1f;
        float currentBetaT = 1f - alphaProdT / alphaProdTPrev;

        // For t > 0, compute predicted variance βt (see formula (6) and (7) from https://arxiv.org/pdf/2006.11239.pdf)
        // and sample from it to get previous sample
        // x_{t-1} ~ N(pred_prev_sample, variance) == add variance to pred_sample
        float variance = (1f - alphaProdTPrev) / (1f - alphaProdT) * currentBetaT;
        // we always take the log of variance, so clamp it to ensure it's not 0
        variance = MathF.Max(variance, 1e-20f);
        return _scheduler.VarianceType switch
        {
            "fixed_small" => variance,
            // for rl-diffuser https://arxiv.org/abs/2205.09991
            "fixed_small_log" => MathF.Exp(0.5f * MathF.Log(variance)),
            "fixed_large" => currentBetaT,
            _ => throw new InvalidOperationException($"{_scheduler.Source}: variance_type '{_scheduler.VarianceType}' is not supported"),
        };
    }

    public void Dispose() { }
}
