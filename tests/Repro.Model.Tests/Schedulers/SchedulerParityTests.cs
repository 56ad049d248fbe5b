using Repro.Model.Schedulers;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static Repro.Model.Tests.Schedulers.SchedulerFixtures;

namespace Repro.Model.Tests.Schedulers;

/// <summary>Every tensor of tests/fixtures/schedulers (diffusers 0.27.2, SD 2.1 scheduler config) against this port.</summary>
[Trait("Category", "Parity")]
public sealed class SchedulerParityTests(ITestOutputHelper output)
{
    // The README expects ~1e-6 relative for float32 math done the same way; chains get a little more room.
    private const double StepRtol = 1e-6;
    private const double ChainRtol = 1e-5;

    private static IScheduler Load(string name) => SchedulerFactory.FromConfigFile(Config(name));

    private void Report(string name, double diff) => output.WriteLine($"{name}: max abs diff {diff:E3}");

    [Fact]
    public void Betas_and_alphas_cumprod_match_float32_torch()
    {
        var schedule = Load("ddpm_epsilon").Schedule;
        Report("ddpm.betas", AssertClose("ddpm.betas", Outputs["ddpm.betas"], torch.tensor(schedule.Betas.ToArray()), 0));
        Report("ddpm.alphas_cumprod", AssertClose("ddpm.alphas_cumprod", Outputs["ddpm.alphas_cumprod"], torch.tensor(schedule.AlphasCumprod.ToArray()), 0));
    }

    [Theory]
    [InlineData("ddpm_epsilon")]
    [InlineData("ddpm_v_prediction")]
    public void Ddpm_add_noise_velocity_and_pred_original_sample(string tag)
    {
        using var _ = torch.NewDisposeScope();
        var scheduler = Assert.IsType<DDPMScheduler>(Load(tag));
        Tensor x0 = Inputs["x0"], noise = Inputs["noise"], t = Inputs["train_timesteps"];
        Report($"{tag}.add_noise", AssertClose($"{tag}.add_noise", Outputs[$"{tag}.add_noise"], scheduler.Noiser.AddNoise(x0, noise, t), 0, StepRtol));
        Report($"{tag}.get_velocity", AssertClose($"{tag}.get_velocity", Outputs[$"{tag}.get_velocity"], scheduler.Noiser.GetVelocity(x0, noise, t), 0, StepRtol));

        // step per batch element on x_t = add_noise with the exact model output (noise or velocity): recovers x0
        var xT = Outputs[$"{tag}.add_noise"];
        var modelOutput = scheduler.PredictionType == PredictionType.Epsilon ? noise : Outputs[$"{tag}.get_velocity"];
        var sampler = scheduler.CreateSampler(scheduler.Config.NumTrainTimesteps);
        var timesteps = t.data<long>().ToArray();
        var pred = torch.cat(timesteps.Select((tb, b) =>
            sampler.StepWithPrediction(modelOutput[b..(b + 1)], tb, xT[b..(b + 1)], torch.manual_seed(0)).PredOriginalSample).ToArray(), 0);
        string name = $"{tag}.step_pred_original_sample";
        Report(name, AssertClose(name, Outputs[name], pred, 0, StepRtol));
    }

    [Theory]
    [InlineData("ddim_v_prediction")]
    [InlineData("ddim_epsilon")]
    public void Ddim_chain_matches_every_step(string tag)
    {
        using var _ = torch.NewDisposeScope();
        var scheduler = Assert.IsType<DDIMScheduler>(Load(tag));
        var sampler = scheduler.Create(50, eta: 0f);
        AssertExact($"{tag}.timesteps", Outputs[$"{tag}.timesteps"].data<long>().ToArray(), sampler.Timesteps);
        var modelOutputs = Inputs[$"{tag}.model_outputs"];
        var sample = Inputs[$"{tag}.x_init"];
        double maxSample = 0, maxPred = 0;
        for (int i = 0; i < sampler.Timesteps.Count; i++)
        {
            var step = sampler.StepWithPrediction(modelOutputs[i], sampler.Timesteps[i], sample);
            maxPred = Math.Max(maxPred, AssertClose($"{tag}.pred_original_samples[{i}]", Outputs[$"{tag}.pred_original_samples"][i], step.PredOriginalSample, 0, ChainRtol));
            maxSample = Math.Max(maxSample, AssertClose($"{tag}.samples[{i}]", Outputs[$"{tag}.samples"][i], step.PrevSample, 0, ChainRtol));
            sample = step.PrevSample;
        }
        Report($"{tag}.samples", maxSample);
        Report($"{tag}.pred_original_samples", maxPred);
    }

    [Fact]
    public void Dpm_solver_pp_chain_matches_every_step()
    {
        using var _ = torch.NewDisposeScope();
        var scheduler = Assert.IsType<DPMSolverMultistepScheduler>(Load("dpmsolver_multistep_v_prediction"));
        Assert.True(double.IsNegativeInfinity(scheduler.Config.LambdaMinClipped));
        using var sampler = scheduler.CreateSampler(25);
        AssertExact("dpm.timesteps", Outputs["dpm.timesteps"].data<long>().ToArray(), sampler.Timesteps);
        Report("dpm.sigmas", AssertClose("dpm.sigmas", Outputs["dpm.sigmas"], torch.tensor(sampler.Sigmas.ToArray()), 0));
        var modelOutputs = Inputs["dpm.model_outputs"];
        var sample = Inputs["dpm.x_init"];
        double maxDiff = 0;
        for (int i = 0; i < sampler.Timesteps.Count; i++)
        {
            sample = sampler.Step(modelOutputs[i], sampler.Timesteps[i], sample);
            maxDiff = Math.Max(maxDiff, AssertClose($"dpm.samples[{i}]", Outputs["dpm.samples"][i], sample, 0, ChainRtol));
        }
        Report("dpm.samples", maxDiff);
    }

    [Fact]
    public void Euler_discrete_chain_matches_every_step()
    {
        using var _ = torch.NewDisposeScope();
        var scheduler = Assert.IsType<EulerDiscreteScheduler>(Load("euler_discrete_v_prediction"));
        var sampler = scheduler.CreateSampler(25);
        AssertExact("euler.timesteps", Outputs["euler.timesteps"].data<float>().ToArray(), sampler.Timesteps);
        Report("euler.sigmas", AssertClose("euler.sigmas", Outputs["euler.sigmas"], torch.tensor(sampler.Sigmas.ToArray()), 0, StepRtol));
        Report("euler.init_noise_sigma", AssertClose("euler.init_noise_sigma", Outputs["euler.init_noise_sigma"], torch.tensor(new[] { (float)sampler.InitNoiseSigma }), 0, StepRtol));
        var modelOutputs = Inputs["euler.model_outputs"];
        var sample = Inputs["euler.x_init"];
        double maxScaled = 0, maxSample = 0;
        for (int i = 0; i < sampler.Timesteps.Count; i++)
        {
            float t = sampler.Timesteps[i];
            var scaled = sampler.ScaleModelInput(sample, t);
            maxScaled = Math.Max(maxScaled, AssertClose($"euler.scaled_model_inputs[{i}]", Outputs["euler.scaled_model_inputs"][i], scaled, 0, ChainRtol));
            sample = sampler.Step(modelOutputs[i], t, sample);
            maxSample = Math.Max(maxSample, AssertClose($"euler.samples[{i}]", Outputs["euler.samples"][i], sample, 0, ChainRtol));
        }
        Report("euler.scaled_model_inputs", maxScaled);
        Report("euler.samples", maxSample);
    }
}
