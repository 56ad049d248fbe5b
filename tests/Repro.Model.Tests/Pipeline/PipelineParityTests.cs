using Repro.Model.Clip;
using Repro.Model.IO;
using Repro.Model.Pipeline;
using Repro.Model.Schedulers;
using Repro.Model.Tests.Schedulers;
using Repro.Model.Tokenizers;
using Repro.Model.UNet;
using Repro.Model.Vae;
using Repro.Tests;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Tests.Pipeline;

/// <summary>
/// pipeline_tiny: tokenizer → text encoder (with a learned placeholder row) → CFG denoising with DPM-Solver++ and
/// DDIM → VAE decode, from the fixture's initial latents, compared step by step with diffusers.
/// </summary>
[Trait("Category", "Parity")]
public sealed class PipelineParityTests(Xunit.Abstractions.ITestOutputHelper log) : IDisposable
{
    private static readonly string[] Prompts = ["a photo of a new_concept_v0 dog", "a watercolor painting of a red teapot on a wooden table"];
    private readonly Dictionary<string, Tensor> _inputs = Safetensors.Load(FixturePaths.Get("pipeline_tiny", "inputs.safetensors"));
    private readonly Dictionary<string, Tensor> _outputs = Safetensors.Load(FixturePaths.Get("pipeline_tiny", "outputs.safetensors"));
    private readonly string _schedulerConfig = Path.Combine(Directory.CreateTempSubdirectory("repro-pipe-").FullName, "scheduler_config.json");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_schedulerConfig)!, recursive: true);

    private StableDiffusionPipeline Build(string schedulerClass, PredictionType? prediction = null)
    {
        File.WriteAllText(_schedulerConfig, SchedulerFixtures.HubSd21SchedulerConfig);
        var tokenizer = ClipTokenizer.FromFolder(FixturePaths.Get("clip-tokenizer"), padToken: "!");
        int placeholder = tokenizer.AddTokens("new_concept_v0")[0];
        var text = CLIPTextModel.FromPretrained(FixturePaths.Get("pipeline_tiny", "text_encoder"));
        text.ResizeTokenEmbeddings(tokenizer.VocabSize);
        text.SetTokenEmbedding(placeholder, _inputs["learned_embedding.new_concept_v0"]);
        var unet = UNet2DConditionModel.FromFiles(FixturePaths.Get("unet_tiny_sd21", "config.json"), FixturePaths.Get("unet_tiny_sd21", "model.safetensors"));
        var vae = AutoencoderKL.FromFiles(FixturePaths.Get("vae_tiny", "config.json"), FixturePaths.Get("vae_tiny", "model.safetensors"));
        var scheduler = SchedulerFactory.FromConfigFile(_schedulerConfig, schedulerClass, prediction);
        return new StableDiffusionPipeline(tokenizer, text, unet, vae, scheduler);
    }

    [Fact]
    public void Token_ids_and_prompt_embeddings_match()
    {
        using var pipeline = Build("DDIMScheduler");
        using var ids = pipeline.Tokenize(Prompts);
        Assert.True((ids == _inputs["input_ids"]).all().item<bool>(), "input_ids differ from the tokenizer the fixture used");
        using var uncond = pipeline.Tokenize(["", ""]);
        Assert.True((uncond == _inputs["uncond_input_ids"]).all().item<bool>(), "uncond_input_ids differ");
        using var embeds = torch.cat([pipeline.EncodePrompts(["", ""]), pipeline.EncodePrompts(Prompts)], 0);
        TensorAssert.Close("prompt_embeds", embeds, _outputs["prompt_embeds"], 1e-5, 1e-4, log);
    }

    [Theory]
    [InlineData("dpm", "DPMSolverMultistepScheduler", null)]
    [InlineData("ddim", "DDIMScheduler", null)]
    [InlineData("dpm_eps", "DPMSolverMultistepScheduler", PredictionType.Epsilon)]
    public void Denoising_chain_matches_step_by_step(string name, string schedulerClass, PredictionType? prediction)
    {
        using var pipeline = Build(schedulerClass, prediction);
        var latents = new List<Tensor>();
        var unetOut = new List<Tensor>();
        var timesteps = new List<long>();
        var options = new GenerationOptions { Steps = 5, GuidanceScale = 7.5, Latents = _inputs["latents_init"] };
        using var decoded = pipeline.Generate(Prompts, options, step =>
        {
            timesteps.Add((long)step.Timestep);
            latents.Add(step.Latents.detach().clone().DetachFromDisposeScope());
            unetOut.Add(step.UNetOutput.detach().clone().DetachFromDisposeScope());
        });
        Assert.Equal(_outputs[$"{name}.timesteps"].data<long>().ToArray(), timesteps);
        // README: about 1e-4 relative to max|latents| along the chain, 1e-4 absolute on the image.
        var expectedLatents = _outputs[$"{name}.latents"];
        double scale = expectedLatents.abs().max().item<float>();
        for (int i = 0; i < 5; i++)
        {
            TensorAssert.Close($"{name}.unet_out[{i}]", unetOut[i], _outputs[$"{name}.unet_out"][i], 1e-4 * scale, 1e-4, log);
            TensorAssert.Close($"{name}.latents[{i}]", latents[i], expectedLatents[i], 1e-4 * scale, 0, log);
        }
        TensorAssert.Close($"{name}.decoded", decoded, _outputs[$"{name}.decoded"], 1e-4, 0, log);
        using var image = (decoded / 2 + 0.5).clamp(0, 1);
        TensorAssert.Close($"{name}.image", image, _outputs[$"{name}.image"], 1e-4, 0, log);
        foreach (var t in latents.Concat(unetOut)) t.Dispose();
    }
}
