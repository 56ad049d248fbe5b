using System.Globalization;
using System.Text.Json.Serialization;
using Repro.Model.IO;

namespace Repro.Model.Schedulers;

/// <summary>
/// Every key of the diffusers 0.27 scheduler configs (DDPM, DDIM, DPM-Solver multistep, Euler discrete), with diffusers'
/// defaults. Keys whose default depends on the class are nullable and resolved by the scheduler
/// (<see cref="ClipSampleOr"/>, <see cref="TimestepSpacingOr"/>, ...). Options a scheduler does not implement are
/// rejected by that scheduler with a <see cref="SchedulerConfigException"/> naming the file and the key.
/// </summary>
public sealed record SchedulerConfig : IValidatedConfig
{
    /// <summary>Keys that appear in scheduler configs but that no implemented class reads (diffusers ignores them too).</summary>
    public static IReadOnlyList<string> IgnoredKeys { get; } =
    [
        "skip_prk_steps", // PNDMScheduler only (SD 1.x/2.x configs name PNDM or DDIM and carry it along).
    ];

    [JsonPropertyName("num_train_timesteps")] public int NumTrainTimesteps { get; init; } = 1000;
    [JsonPropertyName("beta_start")] public double BetaStart { get; init; } = 0.0001;
    [JsonPropertyName("beta_end")] public double BetaEnd { get; init; } = 0.02;
    /// <summary>linear, scaled_linear or squaredcos_cap_v2.</summary>
    [JsonPropertyName("beta_schedule")] public string BetaSchedule { get; init; } = "linear";
    [JsonPropertyName("trained_betas")] public double[]? TrainedBetas { get; init; }
    /// <summary>epsilon, v_prediction or sample.</summary>
    [JsonPropertyName("prediction_type")] public string PredictionTypeName { get; init; } = "epsilon";
    /// <summary>DDIM/DDPM: clamp x0 to ±clip_sample_range (class default true).</summary>
    [JsonPropertyName("clip_sample")] public bool? ClipSample { get; init; }
    [JsonPropertyName("clip_sample_range")] public double ClipSampleRange { get; init; } = 1.0;
    /// <summary>DDIM: final_alpha_cumprod = 1 (true, the class default) or alphas_cumprod[0].</summary>
    [JsonPropertyName("set_alpha_to_one")] public bool? SetAlphaToOne { get; init; }
    [JsonPropertyName("steps_offset")] public int StepsOffset { get; init; }
    /// <summary>leading, linspace or trailing (default: leading for DDPM/DDIM, linspace for DPM/Euler).</summary>
    [JsonPropertyName("timestep_spacing")] public string? TimestepSpacing { get; init; }
    [JsonPropertyName("thresholding")] public bool Thresholding { get; init; }
    [JsonPropertyName("dynamic_thresholding_ratio")] public double DynamicThresholdingRatio { get; init; } = 0.995;
    [JsonPropertyName("sample_max_value")] public double SampleMaxValue { get; init; } = 1.0;
    [JsonPropertyName("rescale_betas_zero_snr")] public bool RescaleBetasZeroSnr { get; init; }
    /// <summary>DDPM: fixed_small (default), fixed_small_log, fixed_large, ...; DPM: null.</summary>
    [JsonPropertyName("variance_type")] public string? VarianceType { get; init; }
    [JsonPropertyName("algorithm_type")] public string AlgorithmType { get; init; } = "dpmsolver++";
    [JsonPropertyName("solver_order")] public int SolverOrder { get; init; } = 2;
    [JsonPropertyName("solver_type")] public string SolverType { get; init; } = "midpoint";
    [JsonPropertyName("lower_order_final")] public bool LowerOrderFinal { get; init; } = true;
    [JsonPropertyName("euler_at_final")] public bool EulerAtFinal { get; init; }
    [JsonPropertyName("use_karras_sigmas")] public bool UseKarrasSigmas { get; init; }
    [JsonPropertyName("use_lu_lambdas")] public bool UseLuLambdas { get; init; }
    /// <summary>DPM: zero or sigma_min.</summary>
    [JsonPropertyName("final_sigmas_type")] public string FinalSigmasType { get; init; } = "zero";
    /// <summary>DPM: clips the smallest lambda; Python writes the default as a bare <c>-Infinity</c>.</summary>
    [JsonPropertyName("lambda_min_clipped")] public double LambdaMinClipped { get; init; } = double.NegativeInfinity;
    /// <summary>Euler: linear or log_linear.</summary>
    [JsonPropertyName("interpolation_type")] public string InterpolationType { get; init; } = "linear";
    /// <summary>Euler: discrete or continuous.</summary>
    [JsonPropertyName("timestep_type")] public string TimestepType { get; init; } = "discrete";
    [JsonPropertyName("sigma_min")] public double? SigmaMin { get; init; }
    [JsonPropertyName("sigma_max")] public double? SigmaMax { get; init; }

    /// <summary>The parsed <c>prediction_type</c> (validated on read).</summary>
    [JsonIgnore] public PredictionType PredictionType => PredictionTypes.Parse(PredictionTypeName, "scheduler config");

    public bool ClipSampleOr(bool classDefault) => ClipSample ?? classDefault;
    public bool SetAlphaToOneOr(bool classDefault) => SetAlphaToOne ?? classDefault;
    public string TimestepSpacingOr(string classDefault) => TimestepSpacing ?? classDefault;

    /// <summary>Class-independent checks, run by <see cref="ConfigJson.Read{T}"/>; errors name the file and the key.</summary>
    public void Validate(string path)
    {
        if (NumTrainTimesteps <= 0) throw new SchedulerConfigException(path, "num_train_timesteps", $"must be positive, got {NumTrainTimesteps}");
        PredictionTypes.Parse(PredictionTypeName, path);
        if (TrainedBetas is null && BetaSchedule is not ("linear" or "scaled_linear" or "squaredcos_cap_v2"))
            throw new SchedulerConfigException(path, "beta_schedule", $"'{BetaSchedule}' is not supported (linear, scaled_linear, squaredcos_cap_v2)");
        if (TrainedBetas is { } tb && tb.Length != NumTrainTimesteps)
            throw new SchedulerConfigException(path, "trained_betas", $"has {tb.Length} values, num_train_timesteps is {NumTrainTimesteps}");
        if (TimestepSpacing is not (null or "leading" or "linspace" or "trailing"))
            throw new SchedulerConfigException(path, "timestep_spacing", $"'{TimestepSpacing}' is not one of leading, linspace, trailing");
        if (StepsOffset < 0) throw new SchedulerConfigException(path, "steps_offset", $"must be >= 0, got {StepsOffset}");
    }

    /// <summary>Throws a <see cref="SchedulerConfigException"/> for <paramref name="key"/> unless <paramref name="supported"/>.</summary>
    public static void Require(bool supported, string path, string className, string key, object? value, string what = "not supported")
    {
        if (!supported)
            throw new SchedulerConfigException(path, key, $"{Format(value)} is {what} by {className} in this implementation");
    }

    private static string Format(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        string s => $"'{s}'",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "?",
    };
}
