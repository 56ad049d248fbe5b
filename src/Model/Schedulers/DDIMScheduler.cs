namespace Repro.Model.Schedulers;

/// <summary>
/// Denoising diffusion implicit models (DDIM, https://arxiv.org/abs/2010.02502), as diffusers' <c>DDIMScheduler</c>:
/// class defaults clip_sample = true, set_alpha_to_one = true, timestep_spacing = 'leading'.
/// </summary>
public sealed class DDIMScheduler : SchedulerBase
{
    public DDIMScheduler(SchedulerConfig config, string source) : base(config, source)
    {
        Require(!config.Thresholding, "thresholding", config.Thresholding);
        TimestepSpacing = config.TimestepSpacingOr("leading");
        ClipSample = config.ClipSampleOr(true);
        // At every step in ddim, we are looking into the previous alphas_cumprod. For the final step, there is no
        // previous alphas_cumprod because we are already at 0. `set_alpha_to_one` decides whether we set this
        // parameter simply to one or whether we use the final alpha of the "non-previous" one.
        FinalAlphaCumprod = config.SetAlphaToOneOr(true) ? 1f : Schedule.AlphasCumprod[0];
    }

    public override string ClassName => "DDIMScheduler";
    public string TimestepSpacing { get; }
    public bool ClipSample { get; }
    public float FinalAlphaCumprod { get; }

    public override ISampler Create(int numInferenceSteps) => Create(numInferenceSteps, eta: 0f);

    /// <summary>A run with DDIM's η (0 = deterministic DDIM, 1 = DDPM-like variance).</summary>
    public DDIMSampler Create(int numInferenceSteps, float eta) =>
        new(this, Schedulers.TimestepSpacing.Discrete(TimestepSpacing, Config.NumTrainTimesteps, numInferenceSteps, Config.StepsOffset), eta);
}
