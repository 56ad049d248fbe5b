using Repro.Experiments.MiniWorld.Pretraining;

namespace Repro.Experiments.Tests.MiniWorld.Pretraining;

public sealed class PretrainScheduleTests : PretrainingTestBase
{
    private static HashSet<string> Set(params string[] stages) => [.. stages];

    [Fact]
    public void Two_slots_start_both_chains_and_each_stage_waits_for_what_it_starts_from()
    {
        Assert.Equal(["vae", "clip"], PretrainSchedule.Ready(Set(), Set(), 2));
        Assert.Equal(["vae"], PretrainSchedule.Ready(Set(), Set(), 1));
        Assert.Equal(["evaluator"], PretrainSchedule.Ready(Set("clip"), Set("vae"), 1));       // the UNet waits for the VAE
        Assert.Empty(PretrainSchedule.Ready(Set("vae"), Set("clip"), 1));                        // the UNet and the evaluator wait for clip
        Assert.Equal(["unet", "evaluator"], PretrainSchedule.Ready(Set("vae", "clip"), Set(), 2));  // the critical chain first
        Assert.Equal(["unet"], PretrainSchedule.Ready(Set("vae", "clip"), Set(), 1));
        Assert.Empty(PretrainSchedule.Ready(Set("vae", "clip"), Set("unet", "evaluator"), 2));
        Assert.Empty(PretrainSchedule.Ready(Set("vae", "clip", "unet", "evaluator"), Set(), 2));
        Assert.Empty(PretrainSchedule.Ready(Set(), Set(), 0));
    }

    [Fact]
    public void Complete_reads_the_saved_stage_states()
    {
        Assert.Empty(PretrainSchedule.Complete(Dir));
        using (var vae = new VaeTrainer(Dir, PretrainingTests.Tiny("vae", 2, 1e-3)) { StopStep = 1 }) { vae.Run(); vae.SaveCheckpoint(); }
        using (var clip = new ClipTrainer(Dir, PretrainingTests.Tiny("clip", 4, 1e-3)) { StopStep = 2 }) { clip.Run(); clip.SaveCheckpoint(); }
        Assert.Equal(Set("vae"), PretrainSchedule.Complete(Dir));                                // clip: 1 of 2 steps
        Assert.Equal(["clip"], PretrainSchedule.Ready(PretrainSchedule.Complete(Dir), Set(), 2));
    }
}
