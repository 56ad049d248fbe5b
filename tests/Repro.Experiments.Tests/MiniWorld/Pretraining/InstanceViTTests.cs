using Repro.Experiments.Evaluation;
using Repro.Experiments.MiniWorld;
using Repro.Experiments.MiniWorld.Pretraining;
using TorchSharp;

namespace Repro.Experiments.Tests.MiniWorld.Pretraining;

/// <summary>The DINO stand-in (stage dino): its views, its loss, resume, and the folder the DINO scorer reads.</summary>
public sealed class InstanceViTTests : PretrainingTestBase
{
    [Fact]
    public void Views_show_one_instance_in_two_scenes_and_a_distinct_sibling_in_the_second()
    {
        for (int i = 0; i < 200; i++)
        {
            var (anchor, same, sibling) = WorldBatch.InstanceViews(0, WorldSplit.Train, i);
            Assert.NotNull(anchor.Variation);
            Assert.Null(anchor.Concept);
            Assert.Equal((anchor.Category, anchor.Color, anchor.Pattern, anchor.Style, anchor.Variation),
                         (same.Category, same.Color, same.Pattern, same.Style, same.Variation));
            Assert.NotEqual(anchor.Category, same.Companion);
            Assert.Equal(same with { Variation = null }, sibling with { Variation = null });
            var (a, b) = (anchor.Variation!, sibling.Variation!);
            Assert.True(a.Second != b.Second || a.Third != b.Third || MathF.Abs(a.AspectX - b.AspectX) > 0.1f || MathF.Abs(a.AspectY - b.AspectY) > 0.1f,
                        $"view {i}: the sibling looks like the anchor");
        }
        Assert.Equal(WorldBatch.InstanceViews(0, WorldSplit.Train, 3), WorldBatch.InstanceViews(0, WorldSplit.Train, 3));
        Assert.NotEqual(WorldBatch.InstanceViews(0, WorldSplit.Train, 3).Anchor, WorldBatch.InstanceViews(0, WorldSplit.Heldout, 3).Anchor);
    }

    [Fact]
    public void Loss_decreases_on_a_repeated_batch()
    {
        using var trainer = new InstanceViTTrainer(Dir, PretrainingTests.Tiny("dino", 8, 3e-3)) { DataPeriod = 1 };
        var losses = Enumerable.Range(0, 25).Select(_ => trainer.Run()).ToList();
        Assert.True(losses.Skip(22).Average() < 0.7 * losses.Take(3).Average(), $"loss {losses[0]} -> {losses[^1]}");
    }

    [Fact]
    public void Resume_is_bit_identical_and_the_export_is_what_the_dino_scorer_reads()
    {
        string straight = Path.Combine(Dir, "straight"), pieces = Path.Combine(Dir, "pieces");
        var settings = PretrainingTests.Tiny("dino", 4, 1e-3);
        using (var t = new InstanceViTTrainer(straight, settings)) { for (int i = 0; i < 3; i++) t.Run(); t.SaveCheckpoint(); }
        using (var t = new InstanceViTTrainer(pieces, settings)) { t.Run(); t.SaveCheckpoint(); }
        using (var t = new InstanceViTTrainer(pieces, settings))
        {
            Assert.True(t.TryResume());
            t.Run(); t.Run(); t.SaveCheckpoint();
        }
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "dino", "model.safetensors")), File.ReadAllBytes(Path.Combine(pieces, "dino", "model.safetensors")));

        using var trainer = new InstanceViTTrainer(straight, settings);
        Assert.True(trainer.TryResume());
        using var scorer = DinoScorer.FromPretrained(Path.Combine(straight, "dino"));
        Assert.Equal(trainer.Preprocessor.Describe(), scorer.Preprocessor.Describe());
        var scene = WorldBatch.InstanceViews(0, WorldSplit.Heldout, 0).Anchor;
        trainer.Model.eval();
        using var fromTrainer = torch.nn.functional.normalize(trainer.Model.forward(trainer.Inputs([scene])).Cls, dim: 1);
        using var fromScorer = scorer.EmbedPixels(trainer.Inputs([scene]));
        Assert.True(torch.allclose(fromTrainer, fromScorer, rtol: 0, atol: 1e-6), "the scorer's features differ from the trained model's");
    }

    [Fact]
    public void Instance_retrieval_of_constructed_features()
    {
        var anchor = torch.eye(4);
        var same = torch.eye(4);
        var sibling = torch.eye(4);
        var r = InstanceViTTrainer.InstanceRetrieval(anchor, same, sibling);
        Assert.Equal(1.0, r["instance_top1"]);
        Assert.Equal(0.0, r["instance_vs_sibling"]);   // a tie with the sibling is not closer
        var swapped = InstanceViTTrainer.InstanceRetrieval(anchor, torch.eye(4)[torch.tensor(new long[] { 1, 0, 2, 3 })], torch.zeros(4, 4));
        Assert.Equal(0.5, swapped["instance_top1"]);
        Assert.Equal(0.5, swapped["instance_vs_sibling"]);
    }
}
