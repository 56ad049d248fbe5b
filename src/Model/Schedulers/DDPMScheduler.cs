namespace Repro.Model.Schedulers;

/// <summary>
/// Denoising diffusion probabilistic models (DDPM, https://arxiv.org/abs/2006.11239), as diffusers' <c>DDPMScheduler</c>:
/// the scheduler training scripts use for <see cref="SchedulerBase.Noiser"/>; sampling via <see cref="Create(int)"/>.
/// Class defaults clip_sample = true, variance_type = 'fixed_small', timestep_spacing = 'leading'.
/// </summary>
public sealed class DDPMScheduler : SchedulerBase
{
    public DDPMScheduler(SchedulerConfig config, string source) : base(config, source)
    {
        Require(!config.Thresholding, "thresholding", config.Thresholding);
        // null behaves as fixed_small in diffusers' _get_variance.
        VarianceType = config.VarianceType ?? "fixed_small";
        Require(VarianceType is "fixed_small" or "fixed_small_log" or "fixed_large", "variance_type", config.VarianceType);
        TimestepSpacing = config.TimestepSpacingOr("leading");
        ClipSample = config.ClipSampleOr(true);
    }

    public override string ClassName => "DDPMScheduler";
    public string VarianceType { get; }
    public string TimestepSpacing { get; }
    public bool ClipSample { get; }

    /// <summary>
    /// A sampling run. With <paramref name="numInferenceSteps"/> = num_train_timesteps the timesteps are N−1 … 0 and the
    /// previous timestep is t − 1, as for a DDPMScheduler on which set_timesteps was never called (diffusers'
    /// set_timesteps(N) with 'leading' + steps_offset would run past N − 1).
    /// </summary>
    public override ISampler Create(int numInferenceSteps) => CreateSampler(numInferenceSteps);

    public DDPMSampler CreateSampler(int numInferenceSteps) =>
        new(this, numInferenceSteps == Config.NumTrainTimesteps
            ? Enumerable.Range(0, numInferenceSteps).Select(i => (long)(numInferenceSteps - 1 - i)).ToArray()
            : Schedulers.TimestepSpacing.Discrete(TimestepSpacing, Config.NumTrainTimesteps, numInferenceSteps, Config.StepsOffset));
}
