namespace Repro.Model.Schedulers;

/// <summary>What every scheduler shares: the validated config, its source and the noise schedule.</summary>
public abstract class SchedulerBase : IScheduler
{
    protected SchedulerBase(SchedulerConfig config, string source)
    {
        Config = config;
        Source = source;
        PredictionType = PredictionTypes.Parse(config.PredictionTypeName, source);
        Schedule = NoiseSchedule.FromConfig(config, source);
        Noiser = new TrainingNoiser(Schedule, PredictionType);
    }

    public abstract string ClassName { get; }
    public string Source { get; }
    public SchedulerConfig Config { get; }
    public NoiseSchedule Schedule { get; }
    public PredictionType PredictionType { get; }
    public TrainingNoiser Noiser { get; }

    public abstract ISampler Create(int numInferenceSteps);

    /// <summary>Rejects a config value this class does not implement, naming the file and the key.</summary>
    protected void Require(bool supported, string key, object? value) =>
        SchedulerConfig.Require(supported, Source, ClassName, key, value);

    /// <summary>An integer timestep from the <see cref="ISampler"/> interface's double.</summary>
    internal static long ToDiscrete(double timestep)
    {
        long t = (long)timestep;
        if (t != timestep) throw new ArgumentException($"timestep {timestep} is not an integer", nameof(timestep));
        return t;
    }
}
