using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Schedulers;

/// <summary>One DDIM sampling run (stateless between steps apart from the fixed timesteps).</summary>
public sealed class DDIMSampler : ISampler
{
    private readonly DDIMScheduler _scheduler;
    private readonly long[] _timesteps;

    internal DDIMSampler(DDIMScheduler scheduler, long[] timesteps, float eta)
    {
        _scheduler = scheduler;
        _timesteps = timesteps;
        Eta = eta;
    }

    public IReadOnlyList<long> Timesteps => _timesteps;
    IReadOnlyList<double> ISampler.Timesteps => _timesteps.Select(t => (double)t).ToArray();
    public int NumInferenceSteps => _timesteps.Length;
    public float Eta { get; }
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

    /// <summary>
    /// Predict the sample from the previous timestep by reversing the SDE (diffusers' <c>DDIMScheduler.step</c>).
    /// Scalars are float32, as diffusers' 0-dim alphas_cumprod tensors are.
    /// </summary>
    public SchedulerOutput StepWithPrediction(Tensor modelOutput, long timestep, Tensor sample, Generator? generator = null)
    {
        // See formulas (12) and (16) of DDIM paper https://arxiv.org/pdf/2010.02502.pdf
        // Notation (<variable name> -> <name in paper>
        // - pred_noise_t -> e_theta(x_t, t)
        // - pred_original_sample -> f_theta(x_t, t) or x_0
        // - std_dev_t -> sigma_t
        // - eta -> η
        // - pred_sample_direction -> "direction pointing to x_t"
        // - pred_prev_sample -> "x_t-1"
        using var _ = torch.NewDisposeScope();
        var config = _scheduler.Config;

        // 1. get previous step value (=t-1)
        long prevTimestep = timestep - config.NumTrainTimesteps / NumInferenceSteps;

        // 2. compute alphas, betas
        float alphaProdT = _scheduler.Schedule.AlphaCumprod(timestep);
        float alphaProdTPrev = AlphaProdPrev(prevTimestep);
        float betaProdT = 1f - alphaProdT;

        // 3. compute predicted original sample from predicted noise also called
        // "predicted x_0" of formula (12) from https://arxiv.org/pdf/2010.02502.pdf
        Tensor predOriginalSample, predEpsilon;
        switch (_scheduler.PredictionType)
        {
            case PredictionType.Epsilon:
                predOriginalSample = (sample - MathF.Sqrt(betaProdT) * modelOutput) / MathF.Sqrt(alphaProdT);
                predEpsilon = modelOutput;
                break;
            case PredictionType.Sample:
                predOriginalSample = modelOutput;
                predEpsilon = (sample - MathF.Sqrt(alphaProdT) * predOriginalSample) / MathF.Sqrt(betaProdT);
                break;
            case PredictionType.VPrediction:
                predOriginalSample = MathF.Sqrt(alphaProdT) * sample - MathF.Sqrt(betaProdT) * modelOutput;
                predEpsilon = MathF.Sqrt(alphaProdT) * modelOutput + MathF.Sqrt(betaProdT) * sample;
                break;
            default:
                throw new InvalidOperationException($"{_scheduler.Source}: prediction_type {_scheduler.PredictionType} is not supported");
        }

        // 4. Clip or threshold "predicted x_0" (thresholding is rejected when the config is read)
        if (_scheduler.ClipSample)
        {
            double range = config.ClipSampleRange;
            predOriginalSample = predOriginalSample.clamp(-range, range);
        }

        // 5. compute variance: "sigma_t(η)" -> see formula (16)
        // σ_t = sqrt((1 − α_t−1)/(1 − α_t)) * sqrt(1 − α_t/α_t−1)
        float variance = GetVariance(timestep, prevTimestep);
        float stdDevT = Eta * MathF.Sqrt(variance);

        // 6. compute "direction pointing to x_t" of formula (12) from https://arxiv.org/pdf/2010.02502.pdf
        var predSampleDirection = MathF.Sqrt(1f - alphaProdTPrev - stdDevT * stdDevT) * predEpsilon;

        // 7. compute x_t without "random noise" of formula (12) from https://arxiv.org/pdf/2010.02502.pdf
        var prevSample = MathF.Sqrt(alphaProdTPrev) * predOriginalSample + predSampleDirection;

        if (Eta > 0)
        {
            var varianceNoise = torch.randn(modelOutput.shape, modelOutput.dtype, modelOutput.device, generator: generator);
            prevSample = prevSample + stdDevT * varianceNoise;
        }
        // Fresh tensors even where a formula returns an input unchanged (prediction_type sample, no clipping).
        return new SchedulerOutput(prevSample.MoveToOuterDisposeScope(), predOriginalSample.clone().MoveToOuterDisposeScope());
    }

    private float AlphaProdPrev(long prevTimestep) =>
        prevTimestep >= 0 ? _scheduler.Schedule.AlphaCumprod(prevTimestep) : _scheduler.FinalAlphaCumprod;

    private float GetVariance(long timestep, long prevTimestep)
    {
        float alphaProdT = _scheduler.Schedule.AlphaCumprod(timestep);
        float alphaProdTPrev = AlphaProdPrev(prevTimestep);
        float betaProdT = 1f - alphaProdT;
        float betaProdTPrev = 1f - alphaProdTPrev;
        return betaProdTPrev / betaProdT * (1f - alphaProdT / alphaProdTPrev);
    }

    public void Dispose() { }
}
