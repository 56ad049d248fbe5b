using Repro.Experiments.MiniWorld;
using Repro.Experiments.MiniWorld.Pretraining;
using Repro.Model.Clip;
using Repro.Model.IO;
using Repro.Model.Pipeline;
using Repro.Model.UNet;
using Repro.Model.Vae;
using TorchSharp;

namespace Repro.Experiments.Tests.MiniWorld.Pretraining;

/// <summary>Tiny configs of each trainer: losses fall, resume is bit-identical, folders load, verify catches edits.</summary>
public sealed class PretrainingTests : PretrainingTestBase
{
    internal static StageSettings Tiny(string stage, int batch, double lr) => new(stage, "tiny", batch, 1000, lr, 1, 7);

    private static (double First, double Last) TrainLosses(StageTrainer trainer, int steps)
    {
        var losses = Enumerable.Range(0, steps).Select(_ => trainer.Run()).ToList();
        return (losses.Take(3).Average(), losses.Skip(steps - 3).Average());
    }

    internal static void WriteVaeAndClip(string root)
    {
        MiniWorldModels.WriteFixedFiles(root);
        using (var vae = new VaeTrainer(root, Tiny("vae", 2, 1e-3))) { vae.Run(); vae.SaveCheckpoint(); }
        using (var clip = new ClipTrainer(root, Tiny("clip", 4, 1e-3))) { clip.Run(); clip.SaveCheckpoint(); }
    }

    [Fact]
    public void Vae_loss_decreases_on_a_repeated_batch()
    {
        using var trainer = new VaeTrainer(Dir, Tiny("vae", 4, 1e-2)) { DataPeriod = 1 };
        var (first, last) = TrainLosses(trainer, 20);
        Assert.True(last < 0.7 * first, $"VAE MSE {first} -> {last}");
    }

    [Fact]
    public void Clip_loss_decreases_on_a_repeated_batch()
    {
        using var trainer = new ClipTrainer(Dir, Tiny("clip", 8, 1e-2)) { DataPeriod = 1 };
        var (first, last) = TrainLosses(trainer, 20);
        Assert.True(last < 0.8 * first, $"CLIP loss {first} -> {last}");
    }

    [Fact]
    public void Resume_from_a_checkpoint_gives_bit_identical_weights()
    {
        string straight = Path.Combine(Dir, "straight"), pieces = Path.Combine(Dir, "pieces");
        using (var t = new VaeTrainer(straight, Tiny("vae", 2, 1e-3))) { for (int i = 0; i < 4; i++) t.Run(); t.SaveCheckpoint(); }
        using (var t = new VaeTrainer(pieces, Tiny("vae", 2, 1e-3))) { t.Run(); t.Run(); t.SaveCheckpoint(); t.Run(); }  // third step is lost (killed)
        using (var t = new VaeTrainer(pieces, Tiny("vae", 2, 1e-3)))
        {
            Assert.True(t.TryResume());
            Assert.Equal(2, t.Step);
            t.Run(); t.Run(); t.SaveCheckpoint();
        }
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "vae", "diffusion_pytorch_model.safetensors")),
                     File.ReadAllBytes(Path.Combine(pieces, "vae", "diffusion_pytorch_model.safetensors")));
        Assert.Equal(StageTrainer.ReadState(Path.Combine(straight, "state", "vae.json")).RngState,
                     StageTrainer.ReadState(Path.Combine(pieces, "state", "vae.json")).RngState);
    }

    [Fact]
    public void Resume_rejects_other_settings_and_a_half_written_checkpoint()
    {
        using (var t = new VaeTrainer(Dir, Tiny("vae", 2, 1e-3))) { t.Run(); t.SaveCheckpoint(); }
        using (var other = new VaeTrainer(Dir, Tiny("vae", 2, 2e-3))) Assert.Throws<InvalidOperationException>(() => other.TryResume());
        File.AppendAllText(Path.Combine(Dir, "vae", "diffusion_pytorch_model.safetensors"), "x");
        using var same = new VaeTrainer(Dir, Tiny("vae", 2, 1e-3));
        Assert.Throws<InvalidDataException>(() => same.TryResume());
    }

    [Fact]
    public void Pretrain_command_runs_a_stage_in_pieces_and_writes_curves_and_a_verifiable_manifest()
    {
        var log = new List<string>();
        var tiny = new PretrainCommands.StageOverrides("tiny", TotalSteps: 6, BatchSize: 2);
        using (var trainer = PretrainCommands.CreateTrainer(Dir, "vae", tiny))
            Assert.False(PretrainRunner.Run(trainer, new PretrainOptions(Dir, MaxMinutes: 0), log.Add));   // no time: step-0 checkpoint only
        Assert.Equal(0, StageTrainer.ReadState(Path.Combine(Dir, "state", "vae.json")).Step);
        PretrainCommands.RunStages(Dir, "vae", 5, 1, tiny, 5, log.Add);
        Assert.Contains(log, l => l.Contains("resumed at step 0", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains("complete at step 6", StringComparison.Ordinal));
        Assert.Equal(6, StageTrainer.ReadState(Path.Combine(Dir, "state", "vae.json")).Step);
        Assert.Single(Directory.GetFiles(Path.Combine(Dir, "state"), "vae.optimizer.*.bin"));
        Assert.StartsWith("step,seconds,metric,value", File.ReadAllText(Path.Combine(Dir, "curves", "vae-eval.csv")), StringComparison.Ordinal);
        Assert.Empty(PretrainManifest.Verify(Dir));
        Assert.Throws<ArgumentException>(() => PretrainCommands.RunStages(Dir, "all", 1, 1, tiny, 5, log.Add));
    }

    [Fact]
    public void UNet_overrides_give_one_schedule_conditioned_on_the_evaluator_with_varied_instances_from_step_0()
    {
        var overrides = new PretrainCommands.StageOverrides(TotalSteps: 8000, Conditioning: "evaluator", VariedInstances: true);
        var settings = overrides.Apply(PretrainCommands.Recipe("unet").Settings);
        Assert.Equal(new StageSettings("unet", MiniWorldModels.DefaultUNet, 32, 8000, 1e-3, 200, 3, Conditioning: "evaluator", VariedInstances: true), settings);
        Assert.True(settings.VariedInstancesAt(0));
        Assert.Equal("evaluator", settings.ConditioningAt(0));
        Assert.Throws<ArgumentException>(() => PretrainCommands.RunStages(Dir, "vae", 1, 1, new PretrainCommands.StageOverrides(VariedInstances: true), 5, _ => { }));
        Assert.Throws<ArgumentException>(() => PretrainCommands.RunStages(Dir, "clip", 1, 1, new PretrainCommands.StageOverrides(Conditioning: "evaluator"), 5, _ => { }));
    }

    [Fact]
    public void A_stage_stopped_early_keeps_its_schedule_and_is_complete_without_its_optimizer_state()
    {
        var log = new List<string>();
        var settings = Tiny("vae", 2, 1e-3) with { TotalSteps = 10, WarmupSteps = 2 };
        using (var t = new VaeTrainer(Dir, settings) { StopStep = 3 })
            Assert.True(PretrainRunner.Run(t, new PretrainOptions(Dir, MaxMinutes: 5), log.Add));
        var state = StageTrainer.ReadState(Path.Combine(Dir, "state", "vae.json"));
        Assert.Equal(3, state.Step);
        Assert.True(state.Complete);
        Assert.Equal(settings.LearningRateAt(2), double.Parse(File.ReadLines(Path.Combine(Dir, "curves", "vae.csv")).Last().Split(',')[3],
            System.Globalization.CultureInfo.InvariantCulture), 6);   // the 10-step schedule's rate, not a 3-step one's
        foreach (string f in Directory.GetFiles(Path.Combine(Dir, "state"), "vae.optimizer.*.bin")) File.Delete(f);
        using (var again = new VaeTrainer(Dir, settings) { StopStep = 3 })
            Assert.True(PretrainRunner.Run(again, new PretrainOptions(Dir, MaxMinutes: 5), log.Add));
        Assert.Contains(log, l => l.Contains("already complete at step 3", StringComparison.Ordinal));
        using var further = new VaeTrainer(Dir, settings) { StopStep = 4 };        // going further needs the optimizer state
        Assert.Throws<InvalidDataException>(() => PretrainRunner.Run(further, new PretrainOptions(Dir, MaxMinutes: 5), log.Add));
    }

    [Fact]
    public void The_evaluator_starts_from_the_conditioning_clip_and_leaves_the_text_encoder_alone()
    {
        Assert.Throws<InvalidOperationException>(() => new ClipTrainer(Path.Combine(Dir, "empty"), Tiny("evaluator", 4, 1e-3), ClipRole.Evaluator));
        WriteVaeAndClip(Dir);
        string textEncoder = Path.Combine(Dir, "text_encoder", "model.safetensors");
        byte[] frozen = File.ReadAllBytes(textEncoder);
        using var conditioning = CLIPModel.FromPretrained(Path.Combine(Dir, "state", "clip-conditioning"));
        using (var evaluator = new ClipTrainer(Dir, Tiny("evaluator", 4, 1e-2), ClipRole.Evaluator))
        {
            var start = conditioning.state_dict();
            foreach (var (name, tensor) in evaluator.Model.state_dict()) Assert.True(tensor.eq(start[name]).all().item<bool>(), name);
            evaluator.Run(); evaluator.Run(); evaluator.SaveCheckpoint();
        }
        Assert.Equal(frozen, File.ReadAllBytes(textEncoder));
        using var trained = CLIPModel.FromPretrained(Path.Combine(Dir, "clip"));
        var before = conditioning.state_dict();
        Assert.Contains(trained.state_dict(), kv => !kv.Value.eq(before[kv.Key]).all().item<bool>());
        Assert.True(File.Exists(Path.Combine(Dir, "state", "evaluator.heads.safetensors")));
        Assert.True(ClipTrainer.HeadWeights(ClipRole.Evaluator)[0] > ClipTrainer.HeadWeights(ClipRole.Conditioning)[0]);   // shape weighted up
    }

    [Fact]
    public void The_evaluator_trains_the_image_tower_alone_before_the_contrastive_steps()
    {
        WriteVaeAndClip(Dir);
        using var conditioning = CLIPModel.FromPretrained(Path.Combine(Dir, "state", "clip-conditioning"));
        var start = conditioning.state_dict();
        bool Changed(ClipTrainer t, string prefix) =>
            t.Model.state_dict().Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).Any(kv => !kv.Value.eq(start[kv.Key]).all().item<bool>());
        using var evaluator = new ClipTrainer(Dir, Tiny("evaluator", 4, 1e-2), ClipRole.Evaluator) { VisionSteps = 1 };
        evaluator.Run();
        Assert.True(Changed(evaluator, "vision_model."));
        Assert.False(Changed(evaluator, "text_model."));            // the vision-only step never touches the text tower
        evaluator.Run();
        Assert.True(Changed(evaluator, "text_model."));             // the contrastive steps do
        Assert.InRange(evaluator.Evaluate()["shape_head"], 0.0, 1.0);
    }

    [Fact]
    public void Verify_reports_a_config_that_does_not_load()
    {
        WriteVaeAndClip(Dir);
        File.WriteAllText(Path.Combine(Dir, "vae", "config.json"), "{\"block_out_channels\": [8, 16], \"down_block_types\": [\"Nope\"]}");
        PretrainManifest.Write(Dir);
        Assert.Contains(PretrainManifest.Verify(Dir), p => p.StartsWith("vae/: does not load", StringComparison.Ordinal));
    }

    [Fact]
    public void Psnr_of_constructed_images()
    {
        using var target = torch.zeros(2, 3, 4, 4);
        using var prediction = target.clone();
        prediction[0].add_(0.2f);                    // 0.1 in [0, 1] units: MSE 0.01 → 20 dB
        prediction[1].add_(-0.02f);                  // 0.01: MSE 1e-4 → 40 dB
        var psnr = QualityMetrics.Psnr(prediction, target);
        Assert.Equal(20.0, psnr[0], 3);
        Assert.Equal(40.0, psnr[1], 3);
        using var far = torch.full(1, 3, 2, 2, 5f);  // clamped to 1 → 1.0 vs 0.5: MSE 0.25 → 6.02 dB
        using var zero = torch.zeros(1, 3, 2, 2);
        Assert.Equal(6.0206, QualityMetrics.Psnr(far, zero)[0], 3);
    }

    [Fact]
    public void Retrieval_accuracy_of_constructed_scores()
    {
        float[][] scores = [[0.9f, 0.1f, 0.2f], [0.3f, 0.2f, 0.1f], [0.5f, 0.5f, 0.1f], [0f, 0f, 1f]];
        Assert.Equal(0.5, QualityMetrics.RetrievalAccuracy(scores, [0, 1, 0, 2]));   // row 1 wrong, row 2 a tie (wrong)
        Assert.Equal(0.75, QualityMetrics.RetrievalAccuracy(scores, [0, 0, 0, 2]));
        Assert.Throws<ArgumentException>(() => QualityMetrics.RetrievalAccuracy(scores, [0]));
    }

    [Fact]
    public void Trimmed_tokens_give_the_same_clip_text_features()
    {
        torch.manual_seed(3);
        using var model = new CLIPModel(MiniWorldModels.Clip("tiny"));
        var tokenizer = Repro.Model.Tokenizers.ClipTokenizer.FromFolder(Repro.Experiments.Evaluation.BundledClipTokenizer.Folder());
        string[] texts = ["a photo of a red cat", "a watercolor painting of a blue striped cup wearing a hat next to a ball on the beach"];
        using var full = WorldBatch.Tokens(tokenizer, texts);
        using var trimmed = WorldBatch.Tokens(tokenizer, texts, trim: true);
        Assert.True(trimmed.shape[1] < full.shape[1]);
        using var a = model.GetTextFeatures(full);
        using var b = model.GetTextFeatures(trimmed);
        Assert.True(a.allclose(b, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void Hard_negatives_differ_from_the_caption_in_one_attribute()
    {
        var e = WorldBatch.Example(WorldBatch.WorldSeed, WorldSplit.Train, 3);
        var negatives = WorldBatch.HardNegatives(e, 20, new Random(1));
        var truth = CaptionGrammar.Parse(e.Caption);
        foreach (string n in negatives)
        {
            Assert.NotEqual(e.Caption, n);
            var p = CaptionGrammar.Parse(n);
            int changed = (p.Category != truth.Category ? 1 : 0) + (p.Color != truth.Color ? 1 : 0)
                          + (p.Background != truth.Background ? 1 : 0) + (p.Style != truth.Style ? 1 : 0);
            Assert.True(changed >= 1, n);
        }
        Assert.Equal(e.Caption, WorldSampler.Captioned(WorldBatch.WorldSeed, WorldSplit.Train, 3).Caption);
    }
}
