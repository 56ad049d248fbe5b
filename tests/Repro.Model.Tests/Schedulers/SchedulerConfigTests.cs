using System.Text.Json.Nodes;
using Repro.Model.IO;
using Repro.Model.Schedulers;
using Repro.Tests;
using static Repro.Model.Tests.Schedulers.SchedulerFixtures;

namespace Repro.Model.Tests.Schedulers;

public sealed class SchedulerConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("repro-schedcfg-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A copy of a fixture config with <paramref name="edit"/> applied, in a temp file.</summary>
    private string EditedConfig(string fixture, Action<JsonObject> edit)
    {
        var json = ConfigJson.ReadObject(Config(fixture));
        edit(json);
        string path = Path.Combine(_dir, $"{fixture}-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    private static IEnumerable<string> AllFixtureConfigs() =>
        Directory.GetFiles(FixturePaths.Get("schedulers", "configs"), "*.json").Order()
            .Append(Path.Combine(Sd21Folder, SchedulerFactory.ConfigFileName));

    [Fact]
    public void Every_key_of_every_fixture_config_is_mapped_or_explicitly_ignored()
    {
        var mapped = ConfigJson.MappedKeys(typeof(SchedulerConfig));
        var files = AllFixtureConfigs().ToList();
        Assert.Equal(7, files.Count);
        foreach (string file in files)
        {
            var keys = ConfigJson.ReadObject(file).Select(p => p.Key).Where(k => !k.StartsWith('_')).ToList();
            Assert.NotEmpty(keys);
            var unmapped = keys.Where(k => !mapped.Contains(k) && !SchedulerConfig.IgnoredKeys.Contains(k)).ToList();
            Assert.True(unmapped.Count == 0, $"{file}: unmapped keys {string.Join(", ", unmapped)}");
            var (_, config) = SchedulerFactory.ReadConfig(file); // also fails on unknown keys
            Assert.Equal(1000, config.NumTrainTimesteps);
        }
        // Ignored keys are really not mapped (no key is in both lists).
        Assert.DoesNotContain(SchedulerConfig.IgnoredKeys, mapped.Contains);
    }

    [Theory]
    [InlineData("ddpm_epsilon", typeof(DDPMScheduler), PredictionType.Epsilon)]
    [InlineData("ddpm_v_prediction", typeof(DDPMScheduler), PredictionType.VPrediction)]
    [InlineData("ddim_epsilon", typeof(DDIMScheduler), PredictionType.Epsilon)]
    [InlineData("ddim_v_prediction", typeof(DDIMScheduler), PredictionType.VPrediction)]
    [InlineData("dpmsolver_multistep_v_prediction", typeof(DPMSolverMultistepScheduler), PredictionType.VPrediction)]
    [InlineData("euler_discrete_v_prediction", typeof(EulerDiscreteScheduler), PredictionType.VPrediction)]
    public void Class_name_picks_the_scheduler(string fixture, Type type, PredictionType predictionType)
    {
        var scheduler = SchedulerFactory.FromConfigFile(Config(fixture));
        Assert.IsType(type, scheduler);
        Assert.Equal(type.Name, scheduler.ClassName);
        Assert.Equal(predictionType, scheduler.PredictionType);
        Assert.Equal(Config(fixture), scheduler.Source);
    }

    [Fact]
    public void Negative_infinity_lambda_min_clipped_loads()
    {
        Assert.Contains("-Infinity", File.ReadAllText(Config("dpmsolver_multistep_v_prediction")));
        var scheduler = Assert.IsType<DPMSolverMultistepScheduler>(SchedulerFactory.FromConfigFile(Config("dpmsolver_multistep_v_prediction")));
        Assert.Equal(double.NegativeInfinity, scheduler.Config.LambdaMinClipped);
        Assert.Equal(1000, scheduler.LastTimestep);
    }

    [Fact]
    public void Sd21_folder_gives_ddim_v_prediction_and_overrides_switch_class_and_prediction_type()
    {
        var ddim = Assert.IsType<DDIMScheduler>(SchedulerFactory.FromFolder(Sd21Folder));
        Assert.Equal(PredictionType.VPrediction, ddim.PredictionType);
        Assert.Equal("leading", ddim.TimestepSpacing);
        Assert.Equal(ddim.Schedule.AlphasCumprod[0], ddim.FinalAlphaCumprod); // set_alpha_to_one false
        Assert.False(ddim.ClipSample);

        var dpm = Assert.IsType<DPMSolverMultistepScheduler>(
            SchedulerFactory.FromFolder(Sd21Folder, "DPMSolverMultistepScheduler", PredictionType.Epsilon));
        Assert.Equal(PredictionType.Epsilon, dpm.PredictionType);
        Assert.Equal(PredictionType.Epsilon, dpm.Noiser.PredictionType);
        // The saved DDIM config names 'leading' explicitly, so DPM-Solver follows it (diffusers' from_config does too).
        Assert.Equal("leading", dpm.TimestepSpacing);
    }

    [Fact]
    public void Unknown_class_name_is_an_error_naming_the_file()
    {
        string path = EditedConfig("ddim_v_prediction", j => j["_class_name"] = "PNDMScheduler");
        var e = Assert.Throws<SchedulerConfigException>(() => SchedulerFactory.FromConfigFile(path));
        Assert.Equal("_class_name", e.Key);
        Assert.Equal(path, e.ConfigPath);
        Assert.Contains(path, e.Message);
        Assert.Contains("PNDMScheduler", e.Message);
        // ... and so is an unknown override.
        var e2 = Assert.Throws<SchedulerConfigException>(() => SchedulerFactory.FromConfigFile(Config("ddim_v_prediction"), "LMSDiscreteScheduler"));
        Assert.Contains(Config("ddim_v_prediction"), e2.Message);
    }

    [Fact]
    public void Missing_class_name_is_an_error()
    {
        string path = EditedConfig("ddim_v_prediction", j => j.Remove("_class_name"));
        var e = Assert.Throws<SchedulerConfigException>(() => SchedulerFactory.FromConfigFile(path));
        Assert.Equal("_class_name", e.Key);
    }

    [Theory]
    [InlineData("ddim_v_prediction", "thresholding", true)]
    [InlineData("ddpm_epsilon", "thresholding", true)]
    [InlineData("ddpm_epsilon", "variance_type", "learned_range")]
    [InlineData("ddim_v_prediction", "rescale_betas_zero_snr", true)]
    [InlineData("dpmsolver_multistep_v_prediction", "use_karras_sigmas", true)]
    [InlineData("dpmsolver_multistep_v_prediction", "algorithm_type", "dpmsolver")]
    [InlineData("dpmsolver_multistep_v_prediction", "algorithm_type", "sde-dpmsolver++")]
    [InlineData("dpmsolver_multistep_v_prediction", "solver_order", 3)]
    [InlineData("dpmsolver_multistep_v_prediction", "use_lu_lambdas", true)]
    [InlineData("dpmsolver_multistep_v_prediction", "thresholding", true)]
    [InlineData("dpmsolver_multistep_v_prediction", "variance_type", "learned_range")]
    [InlineData("euler_discrete_v_prediction", "use_karras_sigmas", true)]
    [InlineData("euler_discrete_v_prediction", "interpolation_type", "log_linear")]
    [InlineData("euler_discrete_v_prediction", "timestep_type", "continuous")]
    [InlineData("ddim_v_prediction", "beta_schedule", "sigmoid")]
    [InlineData("ddim_v_prediction", "prediction_type", "flow")]
    [InlineData("ddim_v_prediction", "timestep_spacing", "karras")]
    public void Unsupported_option_is_an_error_naming_the_file_and_key(string fixture, string key, object value)
    {
        string path = EditedConfig(fixture, j => j[key] = JsonValue.Create(value));
        var e = Assert.Throws<SchedulerConfigException>(() => SchedulerFactory.FromConfigFile(path));
        Assert.Equal(key, e.Key);
        Assert.Equal(path, e.ConfigPath);
        Assert.Contains(path, e.Message);
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void Unknown_key_is_an_error_naming_the_file_and_key()
    {
        string path = EditedConfig("ddim_v_prediction", j => j["use_beta_sigmas"] = true);
        var e = Assert.Throws<SchedulerConfigException>(() => SchedulerFactory.FromConfigFile(path));
        Assert.Equal("use_beta_sigmas", e.Key);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Keys_a_class_does_not_read_are_accepted_like_diffusers()
    {
        // skip_prk_steps (PNDM) is listed as ignored; DPM keys in a DDIM config do not bother DDIM.
        string path = EditedConfig("ddim_v_prediction", j => j["solver_order"] = 3);
        Assert.IsType<DDIMScheduler>(SchedulerFactory.FromConfigFile(path));
        Assert.Contains("skip_prk_steps", SchedulerConfig.IgnoredKeys);
    }

    [Fact]
    public void Class_defaults_apply_when_keys_are_missing()
    {
        string path = Path.Combine(_dir, "minimal.json");
        File.WriteAllText(path, """{"_class_name": "DDIMScheduler"}""");
        var ddim = Assert.IsType<DDIMScheduler>(SchedulerFactory.FromConfigFile(path));
        Assert.True(ddim.ClipSample);
        Assert.Equal(1f, ddim.FinalAlphaCumprod);
        Assert.Equal("leading", ddim.TimestepSpacing);
        Assert.Equal(PredictionType.Epsilon, ddim.PredictionType);
        Assert.Equal(0.0001f, ddim.Schedule.Betas[0]);
        Assert.Equal(0.02f, ddim.Schedule.Betas[^1]);
        var dpm = Assert.IsType<DPMSolverMultistepScheduler>(SchedulerFactory.FromConfigFile(path, "DPMSolverMultistepScheduler"));
        Assert.Equal("linspace", dpm.TimestepSpacing);
        var ddpm = Assert.IsType<DDPMScheduler>(SchedulerFactory.FromConfigFile(path, "DDPMScheduler"));
        Assert.Equal("fixed_small", ddpm.VarianceType);
    }
}
