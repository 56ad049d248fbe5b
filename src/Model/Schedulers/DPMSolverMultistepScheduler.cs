namespace Repro.Model.Schedulers;

/// <summary>
/// DPM-Solver++ multistep (https://arxiv.org/abs/2211.01095), as diffusers' <c>DPMSolverMultistepScheduler</c> with
/// algorithm_type 'dpmsolver++', solver_order 1 or 2, solver_type midpoint or heun, lower_order_final, euler_at_final,
/// final_sigmas_type zero or sigma_min and lambda_min_clipped. Class default timestep_spacing = 'linspace'.
/// </summary>
public sealed class DPMSolverMultistepScheduler : SchedulerBase
{
    private readonly float[] _sigmas;

    public DPMSolverMultistepScheduler(SchedulerConfig config, string source) : base(config, source)
    {
        Require(!config.Thresholding, "thresholding", config.Thresholding);
        Require(config.AlgorithmType == "dpmsolver++", "algorithm_type", config.AlgorithmType);
        Require(config.SolverOrder is 1 or 2, "solver_order", config.SolverOrder);
        Require(config.SolverType is "midpoint" or "heun", "solver_type", config.SolverType);
        Require(!config.UseKarrasSigmas, "use_karras_sigmas", config.UseKarrasSigmas);
        Require(!config.UseLuLambdas, "use_lu_lambdas", config.UseLuLambdas);
        Require(config.FinalSigmasType is "zero" or "sigma_min", "final_sigmas_type", config.FinalSigmasType);
        Require(config.VarianceType is null, "variance_type", config.VarianceType);
        TimestepSpacing = config.TimestepSpacingOr("linspace");

        // sigmas = ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5, elementwise in float32
        _sigmas = Schedule.AlphasCumprod.Select(a => MathF.Sqrt((1f - a) / a)).ToArray();

        // Clipping the minimum of all lambda(t) for numerical stability (cosine noise schedules).
        // lambda_t = log(alpha_t) - log(sigma_t); clipped_idx = searchsorted(flip(lambda_t), lambda_min_clipped)
        var lambdaFlipped = Schedule.AlphasCumprod.Select(a => MathF.Log(MathF.Sqrt(a)) - MathF.Log(MathF.Sqrt(1f - a))).Reverse();
        int clippedIdx = lambdaFlipped.Count(l => l < config.LambdaMinClipped);
        LastTimestep = config.NumTrainTimesteps - clippedIdx;
    }

    public override string ClassName => "DPMSolverMultistepScheduler";
    public string TimestepSpacing { get; }

    /// <summary>num_train_timesteps minus the timesteps clipped by lambda_min_clipped.</summary>
    public int LastTimestep { get; }

    /// <summary>The training sigmas sqrt((1 − ᾱ)/ᾱ), float32.</summary>
    public IReadOnlyList<float> TrainSigmas => _sigmas;

    public override ISampler Create(int numInferenceSteps) => CreateSampler(numInferenceSteps);

    public DPMSolverMultistepSampler CreateSampler(int numInferenceSteps)
    {
        var timesteps = Schedulers.TimestepSpacing.DpmSolver(TimestepSpacing, Config.NumTrainTimesteps, LastTimestep, numInferenceSteps, Config.StepsOffset);
        // np.interp on integer timesteps picks sigmas[t]; then the final sigma.
        float sigmaLast = Config.FinalSigmasType == "sigma_min" ? MathF.Sqrt((1f - Schedule.AlphasCumprod[0]) / Schedule.AlphasCumprod[0]) : 0f;
        var sigmas = timesteps.Select(t => _sigmas[t]).Append(sigmaLast).ToArray();
        return new DPMSolverMultistepSampler(this, timesteps, sigmas);
    }
}
