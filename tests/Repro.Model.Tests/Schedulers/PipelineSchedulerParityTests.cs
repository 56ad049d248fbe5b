using Repro.Model.IO;
using Repro.Model.Schedulers;
using Repro.Tests;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static Repro.Model.Tests.Schedulers.SchedulerFixtures;

namespace Repro.Model.Tests.Schedulers;

/// <summary>
/// The scheduler part of tests/fixtures/pipeline_tiny: feed the recorded UNet outputs (with CFG 7.5) through the
/// schedulers built from SD 2.1's hub scheduler_config.json (DDIM, no timestep_spacing key), with the class/prediction_type overrides the pipeline uses.
/// </summary>
[Trait("Category", "Parity")]
public sealed class PipelineSchedulerParityTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("repro-sched-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("dpm", "DPMSolverMultistepScheduler", null)]
    [InlineData("ddim", null, null)]
    [InlineData("dpm_eps", "DPMSolverMultistepScheduler", PredictionType.Epsilon)]
    public void Recorded_unet_outputs_reproduce_the_latents(string tag, string? className, PredictionType? predictionType)
    {
        using var _ = torch.NewDisposeScope();
        var inputs = Safetensors.Load(FixturePaths.Get("pipeline_tiny", "inputs.safetensors"));
        var outputs = Safetensors.Load(FixturePaths.Get("pipeline_tiny", "outputs.safetensors"));
        File.WriteAllText(Path.Combine(_dir, SchedulerFactory.ConfigFileName), HubSd21SchedulerConfig);
        var scheduler = SchedulerFactory.FromFolder(_dir, className, predictionType);
        Assert.Equal(className ?? "DDIMScheduler", scheduler.ClassName);
        using var sampler = scheduler.Create(5);
        AssertExact($"{tag}.timesteps", outputs[$"{tag}.timesteps"].data<long>().Select(t => (double)t).ToArray(), sampler.Timesteps);

        var latents = inputs["latents_init"] * sampler.InitNoiseSigma;
        var unetOut = outputs[$"{tag}.unet_out"];
        var expected = outputs[$"{tag}.latents"];
        long b = latents.shape[0];
        double maxDiff = 0;
        for (int i = 0; i < sampler.Timesteps.Count; i++)
        {
            var u = unetOut[i][..(int)b];
            var c = unetOut[i][(int)b..];
            var guided = u + 7.5 * (c - u);
            latents = sampler.Step(guided, sampler.Timesteps[i], latents);
            // f32 vs f64 drift of the whole pipeline is ≤ 1.5e-6 relative to max|latents|; the scheduler alone is tighter.
            maxDiff = Math.Max(maxDiff, AssertClose($"{tag}.latents[{i}]", expected[i], latents, 0, 1e-5));
        }
        output.WriteLine($"{tag}.latents: max abs diff {maxDiff:E3}");
    }
}
