using System.Text.Json.Nodes;
using Repro.Experiments.Sampling;
using Repro.Experiments.Tests.Training;
using Repro.Model.Pipeline;

namespace Repro.Experiments.Tests.Sampling;

/// <summary>Evaluation sampling, attention heatmaps and the train / tto / sample / attention commands, end to end on the tiny model.</summary>
public sealed class SamplingTests : IDisposable
{
    private readonly string _dir = TinyWorld.TempFolder("sampling");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Train(string preset, string config)
    {
        string output = Path.Combine(_dir, preset);
        string file = Path.Combine(_dir, preset + ".json");
        File.WriteAllText(file, config);
        int code = Cli.Run(["train", "--preset", preset, "--config", file, "--model", TinyWorld.Model, "--instance-dir", TinyWorld.Images,
                            "--category", "dog", "--token", "sks_v0", "--out", output, "--device", "cpu", "--seed", "4"]);
        Assert.Equal(0, code);
        return output;
    }

    [Fact]
    public void Train_then_sample_writes_reseeded_images_per_prompt_deterministically()
    {
        string run = Train("ti", """{"steps": 1, "batchSize": 1, "gradientAccumulation": 1}""");
        var weights = ConceptWeights.FromRun(run, null, null, null);
        Assert.NotNull(weights.Embeds);
        var settings = new EvaluationSampler.Settings(weights, ["a photo of a {}", "a {} on the beach"], "dog", Path.Combine(_dir, "samples"))
            { ImagesPerPrompt = 2, BatchSize = 2, Steps = 3, Device = "cpu" };
        var first = EvaluationSampler.Run(settings, _ => { });
        var prompts = first["prompts"]!.AsObject();
        Assert.Equal(new[] { "a photo of a sks_v0 dog", "a sks_v0 dog on the beach" }, prompts.Select(p => p.Key));
        var files = prompts.SelectMany(p => p.Value!.AsArray().Select(f => Path.Combine(settings.Output, f!.GetValue<string>()))).ToList();
        Assert.Equal(4, files.Count);
        var bytes = files.Select(File.ReadAllBytes).ToList();
        EvaluationSampler.Run(settings, _ => { });
        Assert.Equal(bytes, files.Select(File.ReadAllBytes).ToList());
        using var image = ImageIO.LoadRgbBytes(files[0], applyExifOrientation: false);
        Assert.Equal(new long[] { 3, 32, 32 }, image.shape);
    }

    [Fact]
    public void Attention_heatmaps_have_one_normalised_map_per_prompt_token_and_the_command_draws_them()
    {
        string run = Train("adb", """{"stage1": {"steps": 1, "batchSize": 1}, "stage2": {"steps": 1, "batchSize": 1}, "stage3": {"steps": 0}}""");
        var (pipeline, token) = PersonalizedPipeline.Load(ConceptWeights.FromRun(run, null, null, null), "cpu");
        using (pipeline)
        using (var maps = AttentionHeatmaps.Compute(pipeline, PersonalizedPipeline.Format("a photo of a {}", token, "dog"), new GenerationOptions { Steps = 2, Seed = 1 }))
        {
            Assert.Equal(new[] { "a", "photo", "of", "a", "sks_v0", "dog" }, maps.Tokens);
            Assert.Equal(new long[] { 6, 32, 32 }, maps.Maps.shape);
            Assert.Equal(0f, maps.Maps.min().item<float>(), 5);
            Assert.Equal(1f, maps.Maps.max().item<float>(), 5);
        }
        string png = Path.Combine(_dir, "attention.png");
        Assert.Equal(0, Cli.Run(["attention", "--run", run, "--category", "dog", "--prompt", "a photo of a {}", "--prompt", "a {} in the snow",
                                 "--steps", "2", "--device", "cpu", "--out", png]));
        using var figure = ImageIO.LoadRgbBytes(png, applyExifOrientation: false);
        Assert.Equal(2 * (160 + 22), figure.shape[1]);
        Assert.Equal(7 * 160, figure.shape[2]);   // image + the 6 tokens of either prompt
    }

    [Fact]
    public void Tto_command_continues_a_core_run_on_one_prompt()
    {
        string run = Train("core", """{"stage1Steps": 1, "stage1BatchSize": 1, "stage2Steps": 1, "stage2BatchSize": 1, "rescaleStart": null, "rescaleStop": null}""");
        string output = Path.Combine(_dir, "tto");
        Assert.Equal(0, Cli.Run(["tto", "--run", run, "--prompt", "a {} playing the guitar", "--instance-dir", TinyWorld.Images, "--out", output,
                                 "--device", "cpu", "--config", WriteJson("""{"steps": 2, "batchSize": 1}""")]));
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "run.json")))!;
        Assert.Equal("core-tto", manifest["method"]!.GetValue<string>());
        Assert.Equal(Path.GetFullPath(Path.Combine(run, "stage2-unet", "unet")), manifest["outputs"]!["unet"]!.GetValue<string>());
        var columns = File.ReadLines(Path.Combine(output, "tto", "loss.csv")).First().Split(',');
        Assert.Contains("context_embedding", columns);
        Assert.Contains("context_attention", columns);
        Assert.DoesNotContain("diffusion", columns);
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(run, "learned_embeds.safetensors")), File.ReadAllBytes(Path.Combine(output, "learned_embeds.safetensors")));
    }

    [Fact]
    public void Unknown_preset_and_missing_images_fail_with_a_message()
    {
        Assert.Equal(1, Cli.Run(["train", "--preset", "nope", "--model", TinyWorld.Model]));
        Assert.Equal(1, Cli.Run(["train", "--preset", "ti", "--model", TinyWorld.Model, "--instance-dir", Path.Combine(_dir, "missing"), "--category", "dog", "--device", "cpu"]));
    }

    private string WriteJson(string json)
    {
        string file = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(file, json);
        return file;
    }
}
