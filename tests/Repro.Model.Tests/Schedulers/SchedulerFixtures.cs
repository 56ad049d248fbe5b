using Repro.Model.IO;
using Repro.Tests;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Tests.Schedulers;

/// <summary>The schedulers fixture set (loaded once) and a comparison that names the tensor and the max abs diff.</summary>
internal static class SchedulerFixtures
{
    private static readonly Lazy<Dictionary<string, Tensor>> LazyInputs = new(() => LoadDetached("schedulers", "inputs.safetensors"));
    private static readonly Lazy<Dictionary<string, Tensor>> LazyOutputs = new(() => LoadDetached("schedulers", "outputs.safetensors"));

    /// <summary>Fixture tensors that outlive the dispose scope of the test that loads them first.</summary>
    public static Dictionary<string, Tensor> LoadDetached(params string[] path)
    {
        var tensors = Safetensors.Load(FixturePaths.Get(path));
        foreach (var t in tensors.Values) t.DetachFromDisposeScope();
        return tensors;
    }

    public static Dictionary<string, Tensor> Inputs => LazyInputs.Value;
    public static Dictionary<string, Tensor> Outputs => LazyOutputs.Value;

    public static string Config(string name) => FixturePaths.Get("schedulers", "configs", name + ".json");

    public static string Sd21Folder => FixturePaths.Get("sd21_layout");

    /// <summary>
    /// stabilityai/stable-diffusion-2-1's scheduler_config.json as on the hub (quoted in the schedulers README): unlike
    /// sd21_layout/scheduler_config.json, which DDIM's save_config wrote, it has no timestep_spacing key, so each class
    /// uses its own default ('linspace' for DPM-Solver, 'leading' for DDIM). The pipeline fixture was made from it.
    /// </summary>
    public const string HubSd21SchedulerConfig =
        """{"_class_name": "DDIMScheduler", "_diffusers_version": "0.8.0", "beta_end": 0.012, "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": false, "num_train_timesteps": 1000, "prediction_type": "v_prediction", "set_alpha_to_one": false, "skip_prk_steps": true, "steps_offset": 1, "trained_betas": null}""";

    /// <summary>Scheduler parity: max |expected − actual| ≤ atol + rtol·max|expected|.</summary>
    public static double AssertClose(string name, Tensor expected, Tensor actual, double atol, double rtol = 0) =>
        TensorAssert.CloseToScale(name, actual, expected, atol, rtol);

    public static void AssertExact<T>(string name, IReadOnlyList<T> expected, IReadOnlyList<T> actual)
    {
        Assert.True(expected.SequenceEqual(actual),
            $"{name}: [{string.Join(", ", actual)}], expected [{string.Join(", ", expected)}]");
    }
}
