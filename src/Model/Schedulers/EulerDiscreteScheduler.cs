namespace Repro.Model.Schedulers;

/// <summary>
/// Euler steps of Karras et al. (2022) Algorithm 2 (https://arxiv.org/abs/2206.00364), as diffusers'
/// <c>EulerDiscreteScheduler</c> with s_churn = 0 (deterministic), interpolation_type 'linear', timestep_type 'discrete'.
/// Class default timestep_spacing = 'linspace'.
/// </summary>
public sealed class EulerDiscreteScheduler : SchedulerBase
{
    private readonly float[] _sigmas;

    public EulerDiscreteScheduler(SchedulerConfig config, string source) : base(config, source)
    {
        Require(!config.UseKarrasSigmas, "use_karras_sigmas", config.UseKarrasSigmas);
        Require(config.InterpolationType == "linear", "interpolation_type", config.InterpolationType);
        // 'continuous' only changes the timesteps for v_prediction (0.25 * log(sigma)).
        Require(config.TimestepType == "discrete" || (config.TimestepType == "continuous" && PredictionType != PredictionType.VPrediction),
            "timestep_type", config.TimestepType);
        TimestepSpacing = config.TimestepSpacingOr("linspace");
        // sigmas = ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5, elementwise in float32
        _sigmas = Schedule.AlphasCumprod.Select(a => MathF.Sqrt((1f - a) / a)).ToArray();
    }

    public override string ClassName => "EulerDiscreteScheduler";
    public string TimestepSpacing { get; }

    /// <summary>The training sigmas sqrt((1 − ᾱ)/ᾱ), float32, indexed by timestep.</summary>
    public IReadOnlyList<float> TrainSigmas => _sigmas;

    public override ISampler Create(int numInferenceSteps) => CreateSampler(numInferenceSteps);

    public EulerDiscreteSampler CreateSampler(int numInferenceSteps)
    {
        var timesteps = Schedulers.TimestepSpacing.Float(TimestepSpacing, Config.NumTrainTimesteps, numInferenceSteps, Config.StepsOffset);
        // sigmas = np.interp(timesteps, np.arange(0, len(sigmas)), sigmas) in float64, then float32; a final 0.
        var sigmas = timesteps.Select(t => (float)Schedulers.TimestepSpacing.Interp(t, _sigmas)).Append(0f).ToArray();
        // standard deviation of the initial noise distribution
        float maxSigma = sigmas.Max();
        float initNoiseSigma = TimestepSpacing is "linspace" or "trailing" ? maxSigma : MathF.Sqrt(maxSigma * maxSigma + 1f);
        return new EulerDiscreteSampler(this, timesteps, sigmas, initNoiseSigma);
    }
}
