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
