using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Schedulers;

/// <summary>
/// One DPM-Solver++ run: the timesteps, sigmas (len steps + 1) and the multistep history of x0 predictions.
/// Dispose it to free the history. Scalars are float32, as diffusers' 0-dim sigma tensors are.
/// </summary>
public sealed class DPMSolverMultistepSampler : ISampler
{
    private readonly DPMSolverMultistepScheduler _scheduler;
    private readonly long[] _timesteps;
    private readonly float[] _sigmas;
    private readonly StepIndexTracker<long> _stepIndex;
    private readonly Tensor?[] _modelOutputs;
    private int _lowerOrderNums;

    internal DPMSolverMultistepSampler(DPMSolverMultistepScheduler scheduler, long[] timesteps, float[] sigmas)
    {
        _scheduler = scheduler;
        _timesteps = timesteps;
        _sigmas = sigmas;
        _stepIndex = new StepIndexTracker<long>(timesteps);
        _modelOutputs = new Tensor?[scheduler.Config.SolverOrder];
    }

    public IReadOnlyList<long> Timesteps => _timesteps;
    IReadOnlyList<double> ISampler.Timesteps => _timesteps.Select(t => (double)t).ToArray();
    public IReadOnlyList<float> Sigmas => _sigmas;
    public int? StepIndex => _stepIndex.Index;
    public double InitNoiseSigma => 1.0;

    public Tensor ScaleModelInput(Tensor sample, double timestep) => sample.alias();

    Tensor ISampler.Step(Tensor modelOutput, double timestep, Tensor sample, Generator? generator) =>
        Step(modelOutput, SchedulerBase.ToDiscrete(timestep), sample, generator);

    /// <summary>
    /// Predict the sample from the previous timestep by reversing the SDE with the multistep DPM-Solver++
    /// (diffusers' <c>DPMSolverMultistepScheduler.step</c>). dpmsolver++ is deterministic: the generator is unused.
    /// </summary>
    public Tensor Step(Tensor modelOutput, long timestep, Tensor sample, Generator? generator = null)
    {
        using var _ = torch.NewDisposeScope();
        var config = _scheduler.Config;
        int stepIndex = _stepIndex.Current(timestep);
        int n = _timesteps.Length;

        // Improve numerical stability for small number of steps
        bool lowerOrderFinal = stepIndex == n - 1 &&
            (config.EulerAtFinal || (config.LowerOrderFinal && n < 15) || config.FinalSigmasType == "zero");
        // (diffusers' lower_order_second only chooses between the 2nd and 3rd order; solver_order 3 is rejected.)

        var x0Pred = ConvertModelOutput(modelOutput, sample, stepIndex);
        _modelOutputs[0]?.Dispose();
        for (int i = 0; i < _modelOutputs.Length - 1; i++) _modelOutputs[i] = _modelOutputs[i + 1];
        _modelOutputs[^1] = x0Pred.DetachFromDisposeScope();

        Tensor prevSample = config.SolverOrder == 1 || _lowerOrderNums < 1 || lowerOrderFinal
            ? FirstOrderUpdate(x0Pred, sample, stepIndex)
            : SecondOrderUpdate(sample, stepIndex);

        if (_lowerOrderNums < config.SolverOrder) _lowerOrderNums++;
        // upon completion increase step index by one
        _stepIndex.Advance();
        return prevSample.MoveToOuterDisposeScope();
    }

    /// <summary>dpmsolver++ solves for the data prediction x0 (https://arxiv.org/abs/2211.01095).</summary>
    private Tensor ConvertModelOutput(Tensor modelOutput, Tensor sample, int stepIndex)
    {
        var (alphaT, sigmaT) = AlphaSigma(_sigmas[stepIndex]);
        return _scheduler.PredictionType switch
        {
            PredictionType.Epsilon => (sample - sigmaT * modelOutput) / alphaT,
            PredictionType.Sample => modelOutput.clone(),
            PredictionType.VPrediction => alphaT * sample - sigmaT * modelOutput,
            _ => throw new InvalidOperationException($"{_scheduler.Source}: prediction_type {_scheduler.PredictionType} is not supported"),
        };
    }

    /// <summary>diffusers' _sigma_to_alpha_sigma_t: alpha_t = 1 / sqrt(sigma² + 1), sigma_t = sigma · alpha_t.</summary>
    private static (float Alpha, float Sigma) AlphaSigma(float sigma)
    {
        float alphaT = 1f / MathF.Sqrt(sigma * sigma + 1f);
        return (alphaT, sigma * alphaT);
    }

    private static float Lambda(float alpha, float sigma) => MathF.Log(alpha) - MathF.Log(sigma);

    /// <summary>One step for the first-order DPMSolver (equivalent to DDIM), eq. (5) of https://arxiv.org/abs/2206.00927.</summary>
    private Tensor FirstOrderUpdate(Tensor modelOutput, Tensor sample, int stepIndex)
    {
        var (alphaT, sigmaT) = AlphaSigma(_sigmas[stepIndex + 1]);
        var (alphaS, sigmaS) = AlphaSigma(_sigmas[stepIndex]);
        float h = Lambda(alphaT, sigmaT) - Lambda(alphaS, sigmaS);
        // x_t = (sigma_t / sigma_s) * x_s - alpha_t * (exp(-h) - 1) * D0
        return sigmaT / sigmaS * sample - alphaT * (MathF.Exp(-h) - 1f) * modelOutput;
    }

    /// <summary>One step for the second-order multistep DPMSolver++ (midpoint or heun).</summary>
    private Tensor SecondOrderUpdate(Tensor sample, int stepIndex)
    {
        var (alphaT, sigmaT) = AlphaSigma(_sigmas[stepIndex + 1]);
        var (alphaS0, sigmaS0) = AlphaSigma(_sigmas[stepIndex]);
        var (alphaS1, sigmaS1) = AlphaSigma(_sigmas[stepIndex - 1]);
        float lambdaT = Lambda(alphaT, sigmaT), lambdaS0 = Lambda(alphaS0, sigmaS0), lambdaS1 = Lambda(alphaS1, sigmaS1);
        Tensor m0 = _modelOutputs[^1]!, m1 = _modelOutputs[^2]!;
        float h = lambdaT - lambdaS0, h0 = lambdaS0 - lambdaS1;
        float r0 = h0 / h;
        // D0, D1 = m0, (1.0 / r0) * (m0 - m1)
        var d0 = m0;
        var d1 = 1f / r0 * (m0 - m1);
        float expm = MathF.Exp(-h) - 1f;
        if (_scheduler.Config.SolverType == "midpoint")
            // See https://arxiv.org/abs/2211.01095 for detailed derivations
            return sigmaT / sigmaS0 * sample - alphaT * expm * d0 - 0.5f * (alphaT * expm) * d1;
        return sigmaT / sigmaS0 * sample - alphaT * expm * d0 + alphaT * (expm / h + 1f) * d1;
    }

    public void Dispose()
    {
        for (int i = 0; i < _modelOutputs.Length; i++)
        {
            _modelOutputs[i]?.Dispose();
            _modelOutputs[i] = null;
        }
    }
}
