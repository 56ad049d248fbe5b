using Repro.Model.Schedulers;
using TorchSharp;
using static TorchSharp.torch;
using static Repro.Model.Tests.Schedulers.SchedulerFixtures;

namespace Repro.Model.Tests.Schedulers;

public sealed class SchedulerBehaviourTests
{
    private static NoiseSchedule Sd21Schedule() => SchedulerFactory.FromFolder(Sd21Folder).Schedule;

    [Fact]
    public void Prediction_type_maps_to_the_training_target()
    {
        using var _ = torch.NewDisposeScope();
        var schedule = Sd21Schedule();
        var x0 = torch.randn(2, 4, 8, 8, generator: torch.manual_seed(1));
        var noise = torch.randn(2, 4, 8, 8, generator: torch.manual_seed(2));
        var t = torch.tensor(new long[] { 10, 900 });

        var eps = new TrainingNoiser(schedule, PredictionType.Epsilon).Target(x0, noise, t);
        Assert.True(eps.eq(noise).all().item<bool>());
        Assert.NotEqual(noise.Handle, eps.Handle);

        var v = new TrainingNoiser(schedule, PredictionType.VPrediction).Target(x0, noise, t);
        Assert.True(v.eq(schedule.GetVelocity(x0, noise, t)).all().item<bool>());
        Assert.False(v.allclose(noise));
        // v = sqrt(ᾱ)·ε − sqrt(1−ᾱ)·x0, checked by hand for batch element 1
        double a = schedule.AlphasCumprod[900];
        var expected1 = Math.Sqrt(a) * noise[1] - Math.Sqrt(1 - a) * x0[1];
        Assert.True(v[1].allclose(expected1, rtol: 1e-5, atol: 1e-6));

        var sample = new TrainingNoiser(schedule, PredictionType.Sample).Target(x0, noise, t);
        Assert.True(sample.eq(x0).all().item<bool>());

        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingNoiser.TargetFor((PredictionType)42, schedule, x0, noise, t));
    }

    [Fact]
    public void Noiser_from_config_uses_the_files_prediction_type_or_the_override()
    {
        Assert.Equal(PredictionType.VPrediction, SchedulerFactory.NoiserFromFolder(Sd21Folder).PredictionType);
        Assert.Equal(PredictionType.Epsilon, SchedulerFactory.NoiserFromFolder(Sd21Folder, PredictionType.Epsilon).PredictionType);
    }

    [Fact]
    public void Add_noise_rejects_out_of_range_timesteps()
    {
        using var _ = torch.NewDisposeScope();
        var schedule = Sd21Schedule();
        var x = torch.zeros(1, 4, 2, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => schedule.AddNoise(x, x, torch.tensor(new long[] { 1000 })));
        Assert.Throws<ArgumentException>(() => schedule.AddNoise(x, x, torch.tensor(new[] { 1.0f })));
    }

    [Theory]
    [InlineData("leading", 10, 1, new long[] { 901, 801, 701, 601, 501, 401, 301, 201, 101, 1 })]
    [InlineData("linspace", 10, 1, new long[] { 999, 888, 777, 666, 555, 444, 333, 222, 111, 0 })]
    [InlineData("trailing", 10, 1, new long[] { 999, 899, 799, 699, 599, 499, 399, 299, 199, 99 })]
    [InlineData("trailing", 3, 0, new long[] { 999, 666, 332 })]
    public void Ddim_timestep_spacings(string spacing, int steps, int offset, long[] expected) =>
        AssertExact(spacing, expected, TimestepSpacing.Discrete(spacing, 1000, steps, offset));

    [Fact]
    public void Dpm_solver_timesteps_drop_the_last_of_steps_plus_one()
    {
        AssertExact("linspace", new long[] { 999, 799, 599, 400, 200 }, TimestepSpacing.DpmSolver("linspace", 1000, 1000, 5, 1));
        AssertExact("leading", new long[] { 831, 665, 499, 333, 167 }, TimestepSpacing.DpmSolver("leading", 1000, 1000, 5, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TimestepSpacing.DpmSolver("linspace", 1000, 1000, 0, 1));
    }

    [Fact]
    public void Multistep_sampler_checks_the_timestep_order_and_frees_its_history()
    {
        using var _ = torch.NewDisposeScope();
        var scheduler = SchedulerFactory.FromConfigFile(Config("dpmsolver_multistep_v_prediction"));
        var sampler = (DPMSolverMultistepSampler)scheduler.Create(5);
        var x = torch.randn(1, 4, 4, 4, generator: torch.manual_seed(3));
        Assert.Throws<ArgumentException>(() => sampler.Step(x, 123, x)); // not in the schedule
        x = sampler.Step(x, sampler.Timesteps[0], x);
        Assert.Equal(1, sampler.StepIndex);
        Assert.Throws<ArgumentException>(() => sampler.Step(x, sampler.Timesteps[2], x)); // skipped a step
        for (int i = 1; i < 5; i++) x = sampler.Step(x, sampler.Timesteps[i], x);
        Assert.Throws<InvalidOperationException>(() => sampler.Step(x, sampler.Timesteps[4], x));
        Assert.True(torch.isfinite(x).all().item<bool>());
        sampler.Dispose();
        sampler.Dispose(); // idempotent
    }

    [Fact]
    public void Samplers_work_through_the_interface_in_a_pipeline_loop()
    {
        foreach (string name in new[] { "ddim_v_prediction", "dpmsolver_multistep_v_prediction", "euler_discrete_v_prediction", "ddpm_v_prediction" })
        {
            using var _ = torch.NewDisposeScope();
            var scheduler = SchedulerFactory.FromConfigFile(Config(name));
            using ISampler sampler = scheduler.Create(4);
            Assert.Equal(4, sampler.Timesteps.Count);
            Assert.True(sampler.Timesteps.Zip(sampler.Timesteps.Skip(1)).All(p => p.First > p.Second), name);
            var latents = torch.randn(1, 4, 4, 4, generator: torch.manual_seed(4)) * sampler.InitNoiseSigma;
            var start = latents.clone();
            foreach (double t in sampler.Timesteps)
            {
                using var step = torch.NewDisposeScope();
                var input = sampler.ScaleModelInput(latents, t);
                var modelOutput = input * 0.1; // a stand-in model
                latents = sampler.Step(modelOutput, t, latents, torch.manual_seed(5)).MoveToOuterDisposeScope();
            }
            Assert.True(torch.isfinite(latents).all().item<bool>(), name);
            Assert.False(latents.allclose(start), name);
        }
    }

    [Fact]
    public void Ddim_with_eta_draws_noise_from_the_generator()
    {
        using var _ = torch.NewDisposeScope();
        var scheduler = Assert.IsType<DDIMScheduler>(SchedulerFactory.FromConfigFile(Config("ddim_epsilon")));
        var x = torch.randn(1, 4, 4, 4, generator: torch.manual_seed(6));
        long t = scheduler.Create(10, 0f).Timesteps[0];
        Tensor Run(float eta, long seed) => scheduler.Create(10, eta).Step(x, t, x, torch.manual_seed(seed));
        Assert.True(Run(1f, 7).eq(Run(1f, 7)).all().item<bool>());
        Assert.False(Run(1f, 7).eq(Run(1f, 8)).all().item<bool>());
        Assert.True(Run(0f, 7).eq(Run(0f, 8)).all().item<bool>()); // eta 0: deterministic
    }

    [Fact]
    public void Linspace_matches_torch_at_the_ends_and_is_monotonic()
    {
        var l = NoiseSchedule.TorchLinspaceFloat32(0.0001, 0.02, 1000);
        Assert.Equal(0.0001f, l[0]);
        Assert.Equal(0.02f, l[^1]);
        Assert.True(l.Zip(l.Skip(1)).All(p => p.First < p.Second));
        Assert.Equal([3f], NoiseSchedule.TorchLinspaceFloat32(3, 5, 1));
    }
}
