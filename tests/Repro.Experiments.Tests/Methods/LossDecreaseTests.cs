using Repro.Experiments.Methods;
using Repro.Experiments.Tests.Training;
using Repro.Experiments.Training;
using Repro.Losses;

namespace Repro.Experiments.Tests.Methods;

/// <summary>On a tiny over-fitting problem (one augmented image set, fixed evaluation batch) each method lowers its loss.</summary>
public sealed class LossDecreaseTests
{
    private static (double Before, double After) Measure(string name, Stage stage)
    {
        string output = TinyWorld.TempFolder(name);
        var concept = TinyWorld.Concept(output) with { Augmentation = Augmentation.None, CheckpointEvery = 0 };
        double before = 0, after = 0;
        TrainingRun.Execute(name, stage, concept, _ => { }, run =>
        {
            var s = stage with { Prompt = run.Prompt(stage.Prompt) };
            // Start away from the super-category vector, as after CoRe stage 1 (there both regularizers are ~0).
            using (var moved = run.Models.Embedding.detach() + 0.2 * TorchSharp.torch.randn(run.Models.Embedding.shape, generator: new TorchSharp.torch.Generator(5)))
                run.Models.SetEmbedding(moved);
            before = MethodTestKit.FixedBatchLoss(run, s);
            run.Train(s);
            after = MethodTestKit.FixedBatchLoss(run, s);
        });
        Directory.Delete(output, recursive: true);
        return (before, after);
    }

    public static TheoryData<string> Stages() => ["ti", "dreambooth", "adb-stage1", "adb-stage2", "adb-stage3", "ti-db", "custom-diffusion", "core-stage1", "core-tto"];

    [Theory]
    [MemberData(nameof(Stages))]
    public void Loss_decreases(string name)
    {
        var templates = new[] { "a {} on the beach", "a painting of a {}" };
        Stage stage = name switch
        {
            "ti" => new("ti", TrainableSet.Embedding, 12, 5e-2, 2, "a photo of a {}"),
            "dreambooth" => new("db", TrainableSet.UNet, 12, 1e-3, 2, "a photo of a {} {category}"),
            "adb-stage1" => new("s1", TrainableSet.Embedding, 12, 5e-2, 2, "a photo of a {} {category}") { AttentionRegularizer = new AttnDreamBoothEq2(0.1, 0) },
            "adb-stage2" => new("s2", TrainableSet.CrossAttention, 12, 3e-3, 2, "a photo of a {} {category}") { AttentionRegularizer = new AttnDreamBoothEq2(2, 5) },
            "adb-stage3" => new("s3", TrainableSet.UNet, 12, 1e-3, 2, "a photo of a {} {category}") { AttentionRegularizer = new AttnDreamBoothEq2(2, 5) },
            "ti-db" => new("joint", TrainableSet.EmbeddingAndUNet, 12, 1e-3, 2, "a photo of a {} {category}"),
            "custom-diffusion" => new("kv", TrainableSet.EmbeddingAndCrossAttentionKeyValue, 12, 3e-3, 2, "a photo of a {} {category}"),
            "core-stage1" => new("core1", TrainableSet.Embedding, 12, 5e-2, 2, "a photo of a {}")
            {
                Context = new(new CoReEq3ContextEmbedding(1.5e-4 * 1000), new CoReEq4ContextAttention(0.05 * 1000), templates),
                Rescale = new RescaleWindow(20, 30),
            },
            _ => new("tto", TrainableSet.Embedding, 12, 5e-2, 2, "a photo of a {}")
            {
                DiffusionWeight = 0, Context = new(new CoReEq3ContextEmbedding(1), new CoReEq4ContextAttention(1000), ["a {} playing the guitar"]),
            },
        };
        var (before, after) = Measure(name, stage);
        Assert.True(after < before, $"{name}: fixed-batch loss {before:G6} → {after:G6} did not decrease");
    }
}
