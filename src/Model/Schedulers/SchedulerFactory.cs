using Repro.Model.IO;

namespace Repro.Model.Schedulers;

/// <summary>
/// Builds schedulers from diffusers' <c>scheduler_config.json</c>: <c>_class_name</c> picks the class, which can be
/// overridden together with prediction_type, as diffusers' <c>OtherScheduler.from_config(config, prediction_type=...)</c>.
/// Unknown keys, unknown classes and unsupported options are errors that name the file.
/// (Named SchedulerFactory, not Schedulers, because a type named like its namespace is not reachable by its short name.)
/// </summary>
public static class SchedulerFactory
{
    public const string ConfigFileName = "scheduler_config.json";

    /// <summary>The diffusers class names this implementation builds.</summary>
    public static IReadOnlyList<string> SupportedClassNames { get; } =
        ["DDPMScheduler", "DDIMScheduler", "DPMSolverMultistepScheduler", "EulerDiscreteScheduler"];

    /// <summary>Reads <c>&lt;dir&gt;/scheduler_config.json</c>; see <see cref="FromConfigFile"/>.</summary>
    public static IScheduler FromFolder(string dir, string? className = null, PredictionType? predictionType = null) =>
        FromConfigFile(Path.Combine(dir, ConfigFileName), className, predictionType);

    /// <summary>
    /// The scheduler of a config file. <paramref name="className"/> replaces <c>_class_name</c> (e.g. a DPM-Solver++
    /// sampler from SD 2.1's DDIM config) and <paramref name="predictionType"/> replaces prediction_type.
    /// </summary>
    public static IScheduler FromConfigFile(string path, string? className = null, PredictionType? predictionType = null)
    {
        var (fileClassName, config) = ReadConfig(path);
        if (predictionType is { } p) config = config with { PredictionTypeName = PredictionTypes.Name(p) };
        return Create(className ?? fileClassName, config, path);
    }

    /// <summary>The training noiser of a config file (schedule + prediction_type), whatever its class.</summary>
    public static TrainingNoiser NoiserFromConfigFile(string path, PredictionType? predictionType = null)
    {
        var (_, config) = ReadConfig(path);
        var schedule = NoiseSchedule.FromConfig(config, path);
        return new TrainingNoiser(schedule, predictionType ?? PredictionTypes.Parse(config.PredictionTypeName, path));
    }

    /// <summary>The training noiser of <c>&lt;dir&gt;/scheduler_config.json</c>.</summary>
    public static TrainingNoiser NoiserFromFolder(string dir, PredictionType? predictionType = null) =>
        NoiserFromConfigFile(Path.Combine(dir, ConfigFileName), predictionType);

    /// <summary><c>_class_name</c> and the validated config of a file; unknown keys are an error.</summary>
    public static (string ClassName, SchedulerConfig Config) ReadConfig(string path)
    {
        var raw = ConfigJson.ReadObject(path);
        string className = raw["_class_name"]?.GetValue<string>()
                           ?? throw new SchedulerConfigException(path, "_class_name", "missing");
        var file = ConfigJson.Read<SchedulerConfig>(path, SchedulerConfig.IgnoredKeys);
        if (file.UnknownKeys.Count > 0)
            throw new SchedulerConfigException(path, file.UnknownKeys[0],
                $"unknown scheduler config key(s) {string.Join(", ", file.UnknownKeys)}: map them in SchedulerConfig or list them in SchedulerConfig.IgnoredKeys");
        return (className, file.Config);
    }

    /// <summary>The scheduler named <paramref name="className"/> on <paramref name="config"/>; <paramref name="source"/> names it in errors.</summary>
    public static IScheduler Create(string className, SchedulerConfig config, string source)
    {
        config.Validate(source);
        return className switch
        {
            "DDPMScheduler" => new DDPMScheduler(config, source),
            "DDIMScheduler" => new DDIMScheduler(config, source),
            "DPMSolverMultistepScheduler" => new DPMSolverMultistepScheduler(config, source),
            "EulerDiscreteScheduler" => new EulerDiscreteScheduler(config, source),
            _ => throw new SchedulerConfigException(source, "_class_name",
                $"'{className}' is not supported (supported: {string.Join(", ", SupportedClassNames)})"),
        };
    }
}
