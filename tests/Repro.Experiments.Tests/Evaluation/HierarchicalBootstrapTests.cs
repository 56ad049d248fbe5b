using Repro.Experiments.Evaluation;
using Node = Repro.Experiments.Evaluation.HierarchicalBootstrap.Node;

namespace Repro.Experiments.Tests.Evaluation;

public sealed class HierarchicalBootstrapTests
{
    private static Node RandomConcepts(Random rng, int concepts, int prompts, int images) =>
        Node.Of(Enumerable.Range(0, concepts).Select(_ =>
        {
            double conceptEffect = rng.NextDouble() * 0.2;
            return Node.Of(Enumerable.Range(0, prompts).Select(_ =>
                Node.Leaf(Enumerable.Range(0, images).Select(_ => 0.6 + conceptEffect + 0.1 * (rng.NextDouble() - 0.5)))));
        }));

    /// <summary>Property over random data sets: the interval contains the mean, and widens with fewer concepts.</summary>
    [Fact]
    public void Interval_contains_the_mean_and_shrinks_as_concepts_grow()
    {
        for (int trial = 0; trial < 25; trial++)
        {
            var rng = new Random(1000 + trial);
            var bootstrap = new HierarchicalBootstrap(Aggregation.Hierarchical, resamples: 400, seed: trial);
            var small = bootstrap.Estimate(RandomConcepts(rng, 8, 5, 3), 2);
            var large = bootstrap.Estimate(RandomConcepts(rng, 256, 5, 3), 2);
            foreach (var e in new[] { small, large })
                Assert.True(e.Low <= e.Mean && e.Mean <= e.High, $"trial {trial}: {e.Mean} outside [{e.Low}, {e.High}]");
            Assert.True(large.High - large.Low < small.High - small.Low,
                        $"trial {trial}: width {large.High - large.Low} with 256 concepts vs {small.High - small.Low} with 8");
        }
    }

    [Fact]
    public void Same_seed_same_interval_and_hierarchical_differs_from_pooled_on_unbalanced_data()
    {
        // Concept A: one prompt with 1 image at 1.0; concept B: one prompt with 3 images at 0.0.
        var tree = Node.Of([Node.Of([Node.Leaf([1.0])]), Node.Of([Node.Leaf([0.0, 0.0, 0.0])])]);
        var h = new HierarchicalBootstrap(Aggregation.Hierarchical, 200, seed: 7);
        Assert.Equal(h.Estimate(tree, 2), h.Estimate(tree, 2));
        Assert.Equal(0.5, h.Estimate(tree, 2).Mean, 12);
        Assert.Equal(0.25, new HierarchicalBootstrap(Aggregation.Pooled, 200, 7).Estimate(tree, 2).Mean, 12);
        Assert.Equal(4, h.Estimate(tree, 2).Count);
    }

    [Fact]
    public void Constant_scores_give_a_zero_width_interval()
    {
        var tree = Node.Of(Enumerable.Range(0, 5).Select(_ => Node.Of([Node.Leaf([0.3, 0.3]), Node.Leaf([0.3])])));
        var e = new HierarchicalBootstrap(Aggregation.Hierarchical).Estimate(tree, 2);
        Assert.Equal(0.3, e.Mean, 12);
        Assert.Equal(0.3, e.Low, 12);
        Assert.Equal(0.3, e.High, 12);
    }
}
