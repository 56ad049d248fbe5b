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
        Assert.Equal(["dino"], PretrainSchedule.Ready(Set("vae"), Set("clip"), 1));              // the UNet and the evaluator wait for clip; dino needs nothing
        Assert.Equal(["unet", "evaluator"], PretrainSchedule.Ready(Set("vae", "clip"), Set(), 2));  // the critical chain first
        Assert.Equal(["unet"], PretrainSchedule.Ready(Set("vae", "clip"), Set(), 1));
        Assert.Equal(["dino"], PretrainSchedule.Ready(Set("vae", "clip"), Set("unet", "evaluator"), 2));
        Assert.Equal(["dino"], PretrainSchedule.Ready(Set("vae", "clip", "unet", "evaluator"), Set(), 2));   // the independent stage last
        Assert.Equal(["dino"], PretrainSchedule.Ready(Set("vae", "clip", "evaluator"), Set("unet"), 1));      // beside the UNet once the evaluator is done
        Assert.Empty(PretrainSchedule.Ready(Set("vae", "clip", "unet", "evaluator", "dino"), Set(), 2));
        Assert.Empty(PretrainSchedule.Ready(Set(), Set(), 0));
    }

    [Fact]
    public void Complete_reads_the_saved_stage_states()
    {
        Assert.Empty(PretrainSchedule.Complete(Dir));
        using (var vae = new VaeTrainer(Dir, PretrainingTests.Tiny("vae", 2, 1e-3)) { StopStep = 1 }) { vae.Run(); vae.SaveCheckpoint(); }
        using (var clip = new ClipTrainer(Dir, PretrainingTests.Tiny("clip", 4, 1e-3)) { StopStep = 2 }) { clip.Run(); clip.SaveCheckpoint(); }
        Assert.Equal(Set("vae"), PretrainSchedule.Complete(Dir));                                // clip: 1 of 2 steps
        Assert.Equal(["clip", "dino"], PretrainSchedule.Ready(PretrainSchedule.Complete(Dir), Set(), 2));
    }

    [Fact]
    public void A_stage_the_recipe_extends_past_its_saved_stop_step_is_not_complete()
    {
        var (recipe, stopStep) = PretrainCommands.Recipe("unet");
        Assert.NotNull(recipe.Restart);
        void Save(StageSettings settings, long step)
        {
            Directory.CreateDirectory(Path.Combine(Dir, "state"));
            File.WriteAllText(Path.Combine(Dir, "state", "unet.json"),
                System.Text.Json.JsonSerializer.Serialize(new StageState(settings, step, "", "", "", "", 0, step)));
        }
        Save(recipe with { Restart = null }, recipe.Restart!.AtStep);      // the first schedule, finished before the restart was added
        Assert.DoesNotContain("unet", PretrainSchedule.Complete(Dir));
        Save(recipe.WithRestarts(1), recipe.Restarts()[1].AtStep);         // finished under the first restart, before the second was added
        Assert.DoesNotContain("unet", PretrainSchedule.Complete(Dir));
        Save(recipe.WithRestarts(2), recipe.Restarts()[2].AtStep);         // finished under the second, before the varied-instance one was added
        Assert.DoesNotContain("unet", PretrainSchedule.Complete(Dir));
        Save(recipe, stopStep - 1);                                           // saved as complete at an older stop step
        Assert.DoesNotContain("unet", PretrainSchedule.Complete(Dir));
        Save(recipe, stopStep);
        Assert.Contains("unet", PretrainSchedule.Complete(Dir));
    }

    [Fact]
    public void The_UNet_recipe_ends_with_1500_steps_on_varied_instances_still_conditioned_on_the_evaluator()
    {
        var (recipe, stopStep) = PretrainCommands.Recipe("unet");
        var last = recipe.Restarts()[^1];
        Assert.Equal((14500L, 16000L, 16000L), (last.AtStep, last.TotalSteps, stopStep));
        Assert.False(recipe.VariedInstancesAt(14499));
        Assert.True(recipe.VariedInstancesAt(14500));
        Assert.Null(recipe.ConditioningAt(10499));
        Assert.Equal("evaluator", recipe.ConditioningAt(15999));                 // the third restart keeps the second's tower
        Assert.Equal(5e-4 / 100, recipe.LearningRateAt(14500), 12);              // fresh warm-up
        Assert.Equal(5e-5, recipe.LearningRateAt(15999), 6);                     // cosine to 10% at the stop
    }

    [Fact]
    public void A_stage_left_alone_is_given_the_idle_threads_and_takes_them()
    {
        Assert.Equal(new Dictionary<string, int> { ["unet"] = 2 }, PretrainSchedule.Widened(["unet"], 2, 1));
        Assert.Equal(new Dictionary<string, int> { ["unet"] = 4 }, PretrainSchedule.Widened(["unet"], 2, 2));
        Assert.Empty(PretrainSchedule.Widened(["unet", "evaluator"], 2, 1));   // every slot busy
        Assert.Empty(PretrainSchedule.Widened([], 2, 1));

        int before = TorchSharp.torch.get_num_threads();
        var log = new List<string>();
        try
        {
            Directory.CreateDirectory(Path.Combine(Dir, "state"));
            string request = PretrainRunner.ThreadsRequestPath(Dir, "unet");
            File.WriteAllText(request, "lots\n");
            PretrainRunner.TakeThreadsRequest(Dir, "unet", log.Add);
            Assert.False(File.Exists(request));
            Assert.Equal(before, TorchSharp.torch.get_num_threads());
            Assert.Contains(log, l => l.Contains("not a thread count", StringComparison.Ordinal));
            int wanted = before == 1 ? 2 : 1;
            File.WriteAllText(request, wanted + "\n");
            PretrainRunner.TakeThreadsRequest(Dir, "unet", log.Add);
            Assert.Equal(wanted, TorchSharp.torch.get_num_threads());
            Assert.False(File.Exists(request));
            PretrainRunner.TakeThreadsRequest(Dir, "unet", log.Add);           // no request: nothing changes
            Assert.Equal(wanted, TorchSharp.torch.get_num_threads());
        }
        finally
        {
            TorchSharp.torch.set_num_threads(before);
        }
    }
}
