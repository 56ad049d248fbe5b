namespace Repro.Model.Schedulers;

/// <summary>What the denoising model predicts (diffusers' <c>prediction_type</c>).</summary>
public enum PredictionType
{
    /// <summary><c>epsilon</c>: the noise.</summary>
    Epsilon,

    /// <summary><c>v_prediction</c>: the velocity v = sqrt(ᾱ)·ε − sqrt(1−ᾱ)·x0.</summary>
    VPrediction,

    /// <summary><c>sample</c>: the clean sample x0.</summary>
    Sample,
}

/// <summary>Parsing and naming of <see cref="PredictionType"/> as diffusers spells it.</summary>
public static class PredictionTypes
{
    public static PredictionType Parse(string value, string path) => value switch
    {
        "epsilon" => PredictionType.Epsilon,
        "v_prediction" => PredictionType.VPrediction,
        "sample" => PredictionType.Sample,
        _ => throw new SchedulerConfigException(path, "prediction_type", $"'{value}' is not one of epsilon, v_prediction, sample"),
    };

    public static string Name(PredictionType value) => value switch
    {
        PredictionType.Epsilon => "epsilon",
        PredictionType.VPrediction => "v_prediction",
        PredictionType.Sample => "sample",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "unknown prediction type"),
    };
}
