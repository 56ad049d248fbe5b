using Repro.Experiments.Prompts;
namespace Repro.Experiments.Evaluation;

/// <summary>
/// Scores every generated image of a layout: CLIP-T against the concept-stripped prompt (unmasked image), CLIP-I and
/// DINO as the mean cosine with each of the concept's real images (masked when masking is on; NaN for excluded prompts).
/// </summary>
public sealed class Evaluator(ClipScorer? clip, IImageEmbedder? dino, EmbeddingCache? cache, EvaluationSettings settings)
{
    public IReadOnlyList<ImageScore> Score(EvaluationLayout layout, IReadOnlyList<PromptTemplate> prompts, ConceptCategories categories)
    {
        if (clip is null && dino is null) throw new ArgumentException("no evaluation model given: pass a CLIP folder, a DINO folder or both");
        var generated = layout.Generated;
        var plain = generated.Select(g => new EvalImage(g.Path, null)).ToList();
        var identity = generated.Select(g => new EvalImage(g.Path, settings.Masking is null ? null : g.MaskPath)).ToList();
        bool Included(GeneratedImage g) => !(settings.ExcludeTaggedPrompts && prompts[g.PromptIndex].ExcludedFromIdentity);

        double[] clipT = Fill(generated.Count), clipI = Fill(generated.Count), dinoScores = Fill(generated.Count);
        if (clip is not null)
        {
            var texts = generated.Select(g => ClipTextPrompt.Strip(prompts[g.PromptIndex].Template, categories.For(g.Concept), settings.Removal)).ToList();
            var distinct = texts.Distinct().ToList();
            var textEmbeds = EmbeddingStore.EmbedTexts(clip, cache, distinct);
            var byText = distinct.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => textEmbeds[p.i]);
            var unmasked = Store(clip, null).Embed(plain);
            for (int i = 0; i < generated.Count; i++) clipT[i] = Dot(unmasked[i], byText[texts[i]]);
            IdentityScores(clip, unmasked, identity, layout, generated, Included, clipI);
        }
        if (dino is not null) IdentityScores(dino, null, identity, layout, generated, Included, dinoScores);
        return generated.Select((g, i) => new ImageScore(g.Method, g.Concept, g.PromptIndex, g.Path, clipT[i], clipI[i], dinoScores[i])).ToList();
    }

    /// <summary>Mean cosine of each included generated image with every real image of its concept.</summary>
    private void IdentityScores(IImageEmbedder embedder, float[][]? unmasked, List<EvalImage> identity, EvaluationLayout layout,
                                IReadOnlyList<GeneratedImage> generated, Func<GeneratedImage, bool> included, double[] into)
    {
        var store = Store(embedder, settings.Masking);
        var chosen = Enumerable.Range(0, generated.Count).Where(i => included(generated[i])).ToList();
        var embeds = settings.Masking is null && unmasked is not null
            ? chosen.Select(i => unmasked[i]).ToArray()
            : store.Embed(chosen.Select(i => identity[i]).ToList());
        var realEmbeds = layout.Real.ToDictionary(p => p.Key, p => store.Embed(p.Value));
        for (int j = 0; j < chosen.Count; j++)
        {
            var reals = realEmbeds[generated[chosen[j]].Concept];
            into[chosen[j]] = reals.Average(r => Dot(embeds[j], r));
        }
    }

    private EmbeddingStore Store(IImageEmbedder embedder, ForegroundMask? masking) =>
        new(embedder, cache, masking, settings.ApplyExifOrientation, settings.BatchSize);

    private static double[] Fill(int n) => Enumerable.Repeat(double.NaN, n).ToArray();

    /// <summary>Cosine of two L2-normalised embeddings, accumulated in double.</summary>
    public static double Dot(float[] a, float[] b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"embedding sizes differ: {a.Length} vs {b.Length}");
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }
}
