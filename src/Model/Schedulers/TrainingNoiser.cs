using static TorchSharp.torch;

namespace Repro.Model.Schedulers;

/// <summary>
/// The training side of a scheduler: forward noising and the loss target for the config's prediction_type
/// (what diffusers' training scripts do with <c>DDPMScheduler.add_noise</c>/<c>get_velocity</c>).
/// </summary>
public sealed class TrainingNoiser(NoiseSchedule schedule, PredictionType predictionType)
{
    public NoiseSchedule Schedule { get; } = schedule;
    public PredictionType PredictionType { get; } = predictionType;

    public Tensor AddNoise(Tensor originalSamples, Tensor noise, Tensor timesteps) => Schedule.AddNoise(originalSamples, noise, timesteps);

    public Tensor GetVelocity(Tensor sample, Tensor noise, Tensor timesteps) => Schedule.GetVelocity(sample, noise, timesteps);

    /// <summary>The training target of the model at <paramref name="timesteps"/>: see <see cref="TargetFor"/>.</summary>
    public Tensor Target(Tensor originalSamples, Tensor noise, Tensor timesteps) =>
        TargetFor(PredictionType, Schedule, originalSamples, noise, timesteps);

    /// <summary>
    /// The one mapping from prediction_type to the training target: epsilon → noise, v_prediction → velocity,
    /// sample → x0. Returns a new tensor (never an alias of an input).
    /// </summary>
    public static Tensor TargetFor(PredictionType predictionType, NoiseSchedule schedule, Tensor originalSamples, Tensor noise, Tensor timesteps) =>
        predictionType switch
        {
            PredictionType.Epsilon => noise.clone(),
            PredictionType.VPrediction => schedule.GetVelocity(originalSamples, noise, timesteps),
            PredictionType.Sample => originalSamples.clone(),
            _ => throw new ArgumentOutOfRangeException(nameof(predictionType), predictionType, "unknown prediction type"),
        };
}
