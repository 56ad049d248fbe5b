namespace Repro.Model.Schedulers;

/// <summary>
/// An immutable scheduler: the config, the noise schedule and a factory for per-run samplers
/// (diffusers' <c>set_timesteps</c> without the mutation).
/// </summary>
public interface IScheduler
{
    /// <summary>diffusers' class name, e.g. <c>DDIMScheduler</c>.</summary>
    string ClassName { get; }

    /// <summary>Where the config came from (file path), for error messages.</summary>
    string Source { get; }

    SchedulerConfig Config { get; }

    NoiseSchedule Schedule { get; }

    PredictionType PredictionType { get; }

    /// <summary>Forward noising and training targets on this schedule (DDPM formulas, used by all training scripts).</summary>
    TrainingNoiser Noiser { get; }

    /// <summary>A fresh sampling run of <paramref name="numInferenceSteps"/> steps.</summary>
    ISampler Create(int numInferenceSteps);
}
