using Repro.Experiments.Methods;
using Repro.Experiments.Training;
using TorchSharp;

namespace Repro.Experiments.Tests.Training;

/// <summary>A run killed mid-stage and resumed ends bit-identical to an uninterrupted one; a NaN loss stops the run naming step and term.</summary>
public sealed class ResumeAndDivergenceTests
{
    private static readonly AttnDreamBoothConfig Adb = new()
    {
        Stage1 = new(2, 1e-2, 1, 0.1, 0), Stage2 = new(3, 1e-3, 1, 2, 5), Stage3 = new(2, 1e-4, 1, 2, 5),
    };

    private static void RunAdb(string output, RunHooks hooks)
    {
        var c = Adb with { Concept = TinyWorld.Concept(output) };
        TrainingRun.Execute(AttnDreamBooth.Name, c, c.Concept, _ => { }, run => AttnDreamBooth.Train(run, c), hooks);
    }

    [Fact]
    public void Killed_and_resumed_run_equals_the_uninterrupted_run()
    {
        string straight = TinyWorld.TempFolder("straight"), resumed = TinyWorld.TempFolder("resumed");
        RunAdb(straight, new RunHooks());
        Assert.Throws<OperationCanceledException>(() => RunAdb(resumed, new RunHooks(StopInStage: "stage2-cross-attention", StopAfterStep: 2)));
        Assert.True(Directory.Exists(Path.Combine(resumed, "stage2-cross-attention", "checkpoints", "checkpoint-2")));
        Assert.False(File.Exists(Path.Combine(resumed, "stage3-unet", "stage.json")));
        RunAdb(resumed, new RunHooks());

        foreach (string file in new[] { "learned_embeds.safetensors", "stage1-embedding/learned_embeds.safetensors",
                                        "stage2-cross-attention/unet/diffusion_pytorch_model.safetensors", "stage3-unet/unet/diffusion_pytorch_model.safetensors" })
            Assert.True(File.ReadAllBytes(Path.Combine(straight, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(resumed, file))), $"{file} differs after resume");
        foreach (string stage in new[] { "stage2-cross-attention", "stage3-unet" })
            Assert.Equal(LossLog.ReadColumn(Path.Combine(straight, stage, "loss.csv"), "total"), LossLog.ReadColumn(Path.Combine(resumed, stage, "loss.csv"), "total"));
        Assert.False(Directory.Exists(Path.Combine(resumed, "stage2-cross-attention", "checkpoints")));
        Directory.Delete(straight, true);
        Directory.Delete(resumed, true);
    }

    [Fact]
    public void Validation_images_are_written_without_changing_the_result()
    {
        string plain = TinyWorld.TempFolder("plain"), validated = TinyWorld.TempFolder("validated");
        var c = new TextualInversionConfig { Steps = 3, BatchSize = 1, GradientAccumulation = 1 };
        TextualInversion.Run(c with { Concept = TinyWorld.Concept(plain) }, _ => { });
        TextualInversion.Run(c with { Concept = TinyWorld.Concept(validated) with { ValidationEvery = 2 } }, _ => { });
        Assert.Equal(File.ReadAllBytes(Path.Combine(plain, "learned_embeds.safetensors")), File.ReadAllBytes(Path.Combine(validated, "learned_embeds.safetensors")));
        Assert.Equal(new[] { "step-2.png", "step-3.png" }, Directory.GetFiles(Path.Combine(validated, "embedding", "validation")).Select(Path.GetFileName).Order());
        Directory.Delete(plain, true);
        Directory.Delete(validated, true);
    }

    [Fact]
    public void A_nan_loss_stops_the_run_naming_the_step_and_the_term()
    {
        string output = TinyWorld.TempFolder("nan");
        var hooks = new RunHooks(TermHook: (step, name, term) => step == 2 && name == "attention" ? term * float.NaN : term);
        var e = Assert.Throws<TrainingDivergedException>(() => RunAdb(output, hooks));
        Assert.Contains("step 2", e.Message);
        Assert.Contains("'attention'", e.Message);
        Assert.Contains("stage1-embedding", e.Message);
        Directory.Delete(output, true);
    }

    [Fact]
    public void Checkpoints_rotate_and_a_half_written_one_is_ignored()
    {
        string folder = TinyWorld.TempFolder("ckpt");
        var checkpointer = new Checkpointer(folder, totalLimit: 2);
        using var t = torch.arange(4).to(torch.float32);
        for (int step = 1; step <= 3; step++) checkpointer.Save(step, [KeyValuePair.Create("w", t * step)], new());
        Assert.Equal(new[] { 2, 3 }, checkpointer.Steps());
        Directory.CreateDirectory(Path.Combine(folder, ".checkpoint-4.1.tmp"));
        Directory.CreateDirectory(Path.Combine(folder, "checkpoint-5"));   // no state.json: a kill before the rename cannot leave this, but be safe
        Assert.Equal(3, checkpointer.Latest());
        var (tensors, meta) = checkpointer.Load(3);
        Assert.Equal(new float[] { 0, 3, 6, 9 }, tensors["w"].data<float>().ToArray());
        Assert.Equal(3, meta["step"]!.GetValue<int>());
        Directory.Delete(folder, true);
    }

    [Fact]
    public void CoRe_rescaling_keeps_the_norm_constant_inside_its_window_and_only_there()
    {
        string output = TinyWorld.TempFolder("rescale");
        var c = new CoReConfig { Stage1Steps = 7, Stage1BatchSize = 1, Stage1LearningRate = 5e-2, RescaleStart = 3, RescaleStop = 5, Stage2Steps = 0 };
        c = c with { Concept = TinyWorld.Concept(output) with { CheckpointEvery = 0 } };
        CoRe.Run(c, _ => { });
        var norms = LossLog.ReadColumn(Path.Combine(output, "stage1-embedding", "loss.csv"), "embedding_norm");
        Assert.Equal(7, norms.Length);
        for (int step = 4; step <= 5; step++) Assert.Equal(norms[2], norms[step - 1], 5);   // steps 3..5 share step 3's norm
        Assert.NotEqual(norms[0], norms[1], 5);
        Assert.NotEqual(norms[1], norms[2], 5);
        Assert.NotEqual(norms[4], norms[5], 5);
        Assert.NotEqual(norms[5], norms[6], 5);
        Directory.Delete(output, true);
    }
}
