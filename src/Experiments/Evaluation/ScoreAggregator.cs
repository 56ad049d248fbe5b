using Repro.Experiments.Prompts;
namespace Repro.Experiments.Evaluation;

/// <summary>
/// Per image → per prompt → per concept → per method, with bootstrap intervals on every mean: a method's mean
/// resamples concepts then prompts; a concept's resamples its prompts; a prompt's resamples its images.
/// </summary>
public static class ScoreAggregator
{
    public static IReadOnlyList<SummaryRow> Summarize(IReadOnlyList<ImageScore> scores, IReadOnlyList<PromptTemplate> prompts,
                                                      HierarchicalBootstrap bootstrap, bool perPrompt = true)
    {
        var rows = new List<SummaryRow>();
        foreach (var metric in Enum.GetValues<Metric>())
        {
            var valid = scores.Where(s => !double.IsNaN(s.Get(metric))).ToList();
            if (valid.Count == 0) continue;
            foreach (var method in valid.GroupBy(s => s.Method).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var concepts = method.GroupBy(s => s.Concept).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
                var tree = HierarchicalBootstrap.Node.Of(concepts.Select(c => PromptTree(c, metric)));
                rows.Add(new SummaryRow("method", method.Key, "", "", metric, bootstrap.Estimate(tree, resampledLevels: 2)));
                foreach (var concept in concepts)
                {
                    rows.Add(new SummaryRow("concept", method.Key, concept.Key, "", metric, bootstrap.Estimate(PromptTree(concept, metric), 1)));
                    if (!perPrompt) continue;
                    foreach (var prompt in concept.GroupBy(s => s.PromptIndex).OrderBy(g => g.Key))
                    {
                        var leaf = HierarchicalBootstrap.Node.Leaf(prompt.Select(s => s.Get(metric)));
                        rows.Add(new SummaryRow("prompt", method.Key, concept.Key, prompts[prompt.Key].Template, metric, bootstrap.Estimate(leaf, 1)));
                    }
                }
            }
        }
        return rows;
    }

    private static HierarchicalBootstrap.Node PromptTree(IEnumerable<ImageScore> concept, Metric metric) =>
        HierarchicalBootstrap.Node.Of(concept.GroupBy(s => s.PromptIndex).OrderBy(g => g.Key)
            .Select(p => HierarchicalBootstrap.Node.Leaf(p.Select(s => s.Get(metric)))));
}
