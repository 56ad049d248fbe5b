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
