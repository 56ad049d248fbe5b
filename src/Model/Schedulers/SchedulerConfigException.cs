namespace Repro.Model.Schedulers;

/// <summary>A scheduler config value that is invalid or not supported; names the config file and the key.
/// (InvalidDataException, which ConfigJson throws for malformed JSON, is sealed.)</summary>
public sealed class SchedulerConfigException(string path, string key, string message)
    : FormatException($"{path}: {key}: {message}")
{
    /// <summary>The config file (or other source) the value came from.</summary>
    public string ConfigPath { get; } = path;

    /// <summary>The config key (<c>_class_name</c> for the class).</summary>
    public string Key { get; } = key;
}
