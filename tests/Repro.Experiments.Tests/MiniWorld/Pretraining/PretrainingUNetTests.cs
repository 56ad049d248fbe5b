using Repro.Experiments.MiniWorld;
using Repro.Experiments.MiniWorld.Pretraining;
using Repro.Model.Clip;
using Repro.Model.IO;
using Repro.Model.Pipeline;
using Repro.Model.UNet;
using Repro.Model.Vae;
using TorchSharp;

namespace Repro.Experiments.Tests.MiniWorld.Pretraining;

/// <summary>The UNet stage and the whole written folder .</summary>
public sealed class PretrainingUNetTests : PretrainingTestBase
{
    private static StageSettings Tiny(string stage, int batch, double lr) => PretrainingTests.Tiny(stage, batch, lr);

    private static void WriteVaeAndClip(string root) => PretrainingTests.WriteVaeAndClip(root);

    private static void TrainLosses(StageTrainer trainer, int steps)
    {
        for (int i = 0; i < steps; i++) trainer.Run();
    }

    [Fact]
    public void UNet_loss_decreases()
    {
        WriteVaeAndClip(Dir);
        using var trainer = new UNetTrainer(Dir, Tiny("unet", 4, 1e-2)) { DataPeriod = 1 };
        double before = trainer.Evaluate()["heldout_eps_mse"];   // fixed examples, noise and timesteps
        TrainLosses(trainer, 16);
        double after = trainer.Evaluate()["heldout_eps_mse"];
        Assert.True(after < 0.9 * before, $"UNet held-out ε-MSE {before} -> {after}");
    }

    [Fact]
    public void A_warm_restart_resets_the_schedule_and_keeps_the_first_part()
    {
        var plain = Tiny("unet", 2, 1e-3) with { TotalSteps = 100, WarmupSteps = 10 };
        var extended = plain with { Restart = new StageRestart(60, 200, 4e-4, 5) };
        for (long step = 0; step < 60; step++) Assert.Equal(plain.LearningRateAt(step), extended.LearningRateAt(step));
        Assert.Equal(4e-4 / 5, extended.LearningRateAt(60), 12);        // the second warm-up's first step
        Assert.Equal(4e-4, extended.LearningRateAt(64), 12);
        Assert.Equal(4e-5, extended.LearningRateAt(200), 12);          // 10% at the restart's end
        Assert.True(extended.LearningRateAt(130) is < 4e-4 and > 4e-5);

        Assert.True(extended.CanResume(plain, 60));                     // a run stopped at (or before) the restart goes on
        Assert.True(extended.CanResume(plain, 12));
        Assert.False(extended.CanResume(plain, 61));                    // past it, it trained under the other schedule
        Assert.False(extended.CanResume(plain with { LearningRate = 2e-3 }, 60));
        Assert.False(plain.CanResume(extended, 60));
        Assert.False(extended.CanResume(plain with { Restart = new StageRestart(60, 300, 4e-4, 5) }, 60));
    }

    [Fact]
    public void Restarts_chain_and_a_run_saved_under_the_first_ones_goes_on_under_more()
    {
        var plain = Tiny("unet", 2, 1e-3) with { TotalSteps = 100, WarmupSteps = 10 };
        var two = plain with { Restart = new StageRestart(60, 200, 4e-4, 5, Then: new StageRestart(200, 300, 2e-4, 5, Conditioning: "evaluator")) };
        var one = two.WithRestarts(1);
        Assert.Equal(plain with { Restart = new StageRestart(60, 200, 4e-4, 5) }, one);
        Assert.Equal(plain, two.WithRestarts(0));
        for (long step = 0; step < 200; step++) Assert.Equal(one.LearningRateAt(step), two.LearningRateAt(step));
        Assert.Equal(2e-4 / 5, two.LearningRateAt(200), 12);           // the second restart's warm-up
        Assert.Equal(2e-5, two.LearningRateAt(300), 12);
        Assert.Null(two.RestartAt(59));
        Assert.Equal(60, two.RestartAt(199)!.AtStep);
        Assert.Equal("evaluator", two.RestartAt(250)!.Conditioning);

        Assert.True(two.CanResume(one, 200));                           // the committed run, stopped at the second restart
        Assert.False(two.CanResume(one, 201));
        Assert.True(two.CanResume(plain, 60));
        Assert.False(two.CanResume(plain, 61));
        Assert.True(two.CanResume(two, 250));
        Assert.False(one.CanResume(two, 150));                          // fewer restarts than saved
        Assert.False(two.CanResume(one with { Restart = one.Restart! with { LearningRate = 1e-4 } }, 200));
    }

    /// <summary>vae/, the conditioning CLIP (text_encoder/) and a finished evaluator (clip/, its text tower trained).</summary>
    private static void WriteVaeClipAndEvaluator(string root)
    {
        WriteVaeAndClip(root);
        using var evaluator = new ClipTrainer(root, Tiny("evaluator", 4, 1e-2), ClipRole.Evaluator) { VisionSteps = 0, StopStep = 1 };
        evaluator.Run();
        evaluator.SaveCheckpoint();
    }

    private static Dictionary<string, float[]> TextTower(string folder)
    {
        using var model = CLIPTextModel.FromPretrained(folder);
        return model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray());
    }

    [Fact]
    public void A_restart_switches_the_conditioning_to_the_evaluators_text_tower_and_writes_it_to_text_encoder()
    {
        var settings = Tiny("unet", 2, 1e-3) with
        {
            TotalSteps = 3, WarmupSteps = 1, Restart = new StageRestart(2, 5, 5e-3, 1, Conditioning: "evaluator"),
        };
        string unfinished = Path.Combine(Dir, "unfinished");
        WriteVaeAndClip(unfinished);
        using (var t = new UNetTrainer(unfinished, settings))
        {
            t.Run(); t.Run();
            var error = Assert.Throws<InvalidOperationException>(() => t.Run());
            Assert.Contains("evaluator", error.Message, StringComparison.Ordinal);
        }

        string straight = Path.Combine(Dir, "straight"), pieces = Path.Combine(Dir, "pieces");
        WriteVaeClipAndEvaluator(straight);
        WriteVaeClipAndEvaluator(pieces);
        var conditioning = TextTower(Path.Combine(straight, "text_encoder"));
        var evaluatorText = TextTower(Path.Combine(straight, "clip"));
        Assert.Contains(evaluatorText, kv => !kv.Value.SequenceEqual(conditioning[kv.Key]));
        using (var t = new UNetTrainer(straight, settings)) { for (int i = 0; i < 5; i++) t.Run(); t.SaveCheckpoint(); }
        var written = TextTower(Path.Combine(straight, "text_encoder"));
        Assert.All(evaluatorText, kv => Assert.Equal(kv.Value, written[kv.Key]));

        using (var t = new UNetTrainer(pieces, settings)) { for (int i = 0; i < 3; i++) t.Run(); t.SaveCheckpoint(); }
        foreach (string name in new[] { "config.json", "model.safetensors" })   // put the conditioning CLIP's tower back: the step decides, not the folder
            File.Copy(Path.Combine(unfinished, "text_encoder", name), Path.Combine(pieces, "text_encoder", name), overwrite: true);
        using (var t = new UNetTrainer(pieces, settings))
        {
            Assert.True(t.TryResume());
            t.Run(); t.Run(); t.SaveCheckpoint();
        }
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "unet", "diffusion_pytorch_model.safetensors")),
                     File.ReadAllBytes(Path.Combine(pieces, "unet", "diffusion_pytorch_model.safetensors")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "text_encoder", "model.safetensors")),
                     File.ReadAllBytes(Path.Combine(pieces, "text_encoder", "model.safetensors")));
    }

    [Fact]
    public void Conditioning_from_step_0_uses_the_evaluators_tower_and_needs_the_finished_evaluator()
    {
        var settings = Tiny("unet", 2, 1e-3) with { TotalSteps = 2, WarmupSteps = 1, Conditioning = "evaluator" };
        Assert.Equal("evaluator", settings.ConditioningAt(0));
        Assert.Equal("other", (settings with { Restart = new StageRestart(1, 4, 1e-3, 1, Conditioning: "other") }).ConditioningAt(1));
        Assert.Null((settings with { Conditioning = null }).ConditioningAt(5));

        string unfinished = Path.Combine(Dir, "unfinished");
        WriteVaeAndClip(unfinished);
        var error = Assert.Throws<InvalidOperationException>(() => new UNetTrainer(unfinished, settings));
        Assert.Contains("--stage evaluator", error.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<ArgumentException>(() => new UNetTrainer(unfinished, settings with { Conditioning = "evaluater" }));
        Assert.Contains("evaluator's text tower only", unknown.Message, StringComparison.Ordinal);

        string root = Path.Combine(Dir, "from0"), resumed = Path.Combine(Dir, "resumed");
        WriteVaeClipAndEvaluator(root);
        WriteVaeClipAndEvaluator(resumed);
        var evaluatorText = TextTower(Path.Combine(root, "clip"));
        using (var t = new UNetTrainer(root, settings)) { t.Run(); t.Run(); t.SaveCheckpoint(); }
        var written = TextTower(Path.Combine(root, "text_encoder"));
        Assert.All(evaluatorText, kv => Assert.Equal(kv.Value, written[kv.Key]));

        using (var t = new UNetTrainer(resumed, settings)) { t.Run(); t.SaveCheckpoint(); }
        using (var t = new UNetTrainer(resumed, settings)) { Assert.True(t.TryResume()); t.Run(); t.SaveCheckpoint(); }
        Assert.Equal(File.ReadAllBytes(Path.Combine(root, "unet", "diffusion_pytorch_model.safetensors")),
                     File.ReadAllBytes(Path.Combine(resumed, "unet", "diffusion_pytorch_model.safetensors")));
    }

    [Fact]
    public void Extending_a_finished_stage_equals_training_with_the_restart_from_the_start()
    {
        string straight = Path.Combine(Dir, "straight"), pieces = Path.Combine(Dir, "pieces");
        WriteVaeAndClip(straight);
        WriteVaeAndClip(pieces);
        var plain = Tiny("unet", 2, 1e-3) with { TotalSteps = 3, WarmupSteps = 1 };
        var extended = plain with { Restart = new StageRestart(2, 4, 5e-3, 1) };
        using (var t = new UNetTrainer(straight, extended)) { for (int i = 0; i < 4; i++) t.Run(); t.SaveCheckpoint(); }
        using (var t = new UNetTrainer(pieces, plain) { StopStep = 2 }) { t.Run(); t.Run(); t.SaveCheckpoint(); }
        foreach (string optimizer in Directory.GetFiles(Path.Combine(pieces, "state"), "unet.optimizer.*")) File.Delete(optimizer);  // as committed
        using (var t = new UNetTrainer(pieces, extended))
        {
            Assert.True(t.TryResume());
            Assert.Equal(2, t.Step);
            t.Run(); t.Run(); t.SaveCheckpoint();
        }
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "unet", "diffusion_pytorch_model.safetensors")),
                     File.ReadAllBytes(Path.Combine(pieces, "unet", "diffusion_pytorch_model.safetensors")));
        using var unrelated = new UNetTrainer(pieces, plain with { Restart = new StageRestart(1, 4, 5e-3, 1) });
        Assert.Throws<InvalidOperationException>(() => unrelated.TryResume());   // saved at step 4, past that restart
    }

    [Fact]
    public void The_pretraining_step_benchmark_times_each_part_and_writes_nothing()
    {
        WriteVaeAndClip(Dir);
        var before = Directory.GetFiles(Dir, "*", SearchOption.AllDirectories).Order().ToList();
        var result = Repro.Experiments.Commands.PretrainUNetBenchmark.Run(Dir, batch: 2, steps: 2, warmup: 1, TorchSharp.torch.get_num_threads(), variant: "tiny");
        Assert.All(new[] { result.Render, result.VaeEncode, result.Text, result.Step }, s =>
        {
            Assert.Equal(2, s.Count);
            Assert.True(s.MinMs > 0);
        });
        Assert.Equal(before, Directory.GetFiles(Dir, "*", SearchOption.AllDirectories).Order().ToList());
        Assert.Throws<ArgumentException>(() => Repro.Experiments.Commands.PretrainUNetBenchmark.Run(Dir, 2, 0, 0, 1, "tiny"));
    }

    [Fact]
    public void Written_folders_load_with_the_real_loaders_and_verify_detects_edits()
    {
        WriteVaeAndClip(Dir);
        using (var unet = new UNetTrainer(Dir, Tiny("unet", 2, 1e-3))) { unet.Run(); unet.SaveCheckpoint(); }
        AutoencoderKL.FromPretrained(Path.Combine(Dir, "vae")).Dispose();
        CLIPModel.FromPretrained(Path.Combine(Dir, "state", "clip-conditioning")).Dispose();
        CLIPTextModel.FromPretrained(Path.Combine(Dir, "text_encoder")).Dispose();
        UNet2DConditionModel.FromPretrained(Path.Combine(Dir, "unet")).Dispose();
        using (var pipeline = StableDiffusionPipeline.FromPretrained(Dir, schedulerClass: "DPMSolverMultistepScheduler"))
        using (var image = pipeline.Generate(["a photo of a red cat on the grass"], new GenerationOptions { Steps = 2, GuidanceScale = 2 }))
            Assert.Equal(new long[] { 1, 3, 64, 64 }, image.shape);

        PretrainManifest.Write(Dir);
        Assert.Empty(PretrainManifest.Verify(Dir));
        string weights = Path.Combine(Dir, "unet", "diffusion_pytorch_model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 1;
        File.WriteAllBytes(weights, bytes);
        File.WriteAllText(Path.Combine(Dir, "extra.txt"), "x");
        var problems = PretrainManifest.Verify(Dir);
        Assert.Contains(problems, p => p.StartsWith("unet/diffusion_pytorch_model.safetensors: SHA-256", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("extra.txt: not in the manifest", StringComparison.Ordinal));
    }
}
