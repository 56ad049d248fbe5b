using Repro.Model.IO;
using System.Text;

namespace Repro.Experiments.MiniWorld;

/// <summary>
/// Renders the personal concepts: five training images each (photo style, five different backgrounds, varied
/// position, scale and facing), the concept in any scene (evaluation references), and generic objects of the
/// same category in the same scene (distractors for a contrastive identity score).
/// </summary>
public static class PersonalConcepts
{
    public const int TrainingImages = 5;

    public static IReadOnlyList<ConceptSpec> All => ConceptCatalog.All;

    /// <summary>A stable seed from a concept id (FNV-1a; string.GetHashCode is randomized per process).</summary>
    public static int StableSeed(string text, int salt = 0)
    {
        uint h = 2166136261;
        foreach (char ch in text) { h ^= ch; h *= 16777619; }
        h ^= (uint)salt; h *= 16777619;
        return (int)(h & 0x7FFFFFFF);
    }

    /// <summary>The five training scenes: distinct backgrounds, photo style, no accessory or companion.</summary>
    public static IReadOnlyList<Scene> TrainingScenes(ConceptSpec concept)
    {
        var rng = new Random(StableSeed(concept.Id));
        var backgrounds = WorldVocabulary.Backgrounds.OrderBy(_ => rng.Next()).Take(TrainingImages).ToArray();
        return backgrounds.Select(b =>
        {
            var (x, y, s) = WorldSampler.Place(rng, hat: false, companion: false);
            return new Scene(concept.Category, null, Pattern.Plain, b, Style.Photo, x, y, s, rng.Next(2) == 1, DetailSeed: rng.Next(), Concept: concept);
        }).ToArray();
    }

    /// <summary>The concept placed in a context scene (its background, style, placement, accessory, companion).</summary>
    public static Scene InScene(ConceptSpec concept, Scene context, WorldColor? recolor = null) =>
        context with { Category = concept.Category, Concept = concept, Color = recolor, Pattern = Pattern.Plain };

    public static RenderedImage Render(ConceptSpec concept, Scene context, WorldColor? recolor = null) =>
        SceneRenderer.Render(InScene(concept, context, recolor));

    /// <summary>
    /// A generic object of the concept's category in the same context: same background, style, placement,
    /// accessory and companion; color and pattern drawn from the pretraining distribution with <paramref name="seed"/>
    /// (or the given <paramref name="color"/>).
    /// </summary>
    public static Scene GenericInScene(ConceptSpec concept, Scene context, int seed, WorldColor? color = null)
    {
        var rng = new Random(seed);
        var drawnColor = WorldSampler.Pick(rng, WorldVocabulary.Colors);
        var pattern = WorldSampler.Pick(rng, WorldVocabulary.Patterns);
        return context with { Category = concept.Category, Concept = null, Color = color ?? drawnColor, Pattern = pattern };
    }

    public static RenderedImage RenderGeneric(ConceptSpec concept, Scene context, int seed, WorldColor? color = null) =>
        SceneRenderer.Render(GenericInScene(concept, context, seed, color));

    /// <summary>
    /// Writes DreamBooth-style subject folders: <c>&lt;id&gt;/00.png..04.png</c>, <c>&lt;id&gt;/masks/00.png..</c>,
    /// and <c>concepts.csv</c> (id, category, animate, description).
    /// </summary>
    public static void WriteSubjects(string dir, Action<string>? log = null)
    {
        var csv = new StringBuilder("id,category,animate,description\n");
        foreach (var concept in All)
        {
            var scenes = TrainingScenes(concept);
            for (int i = 0; i < scenes.Count; i++)
            {
                var image = SceneRenderer.Render(scenes[i]);
                image.SavePng(Path.Combine(dir, concept.Id, $"{i:D2}.png"));
                image.SaveMaskPng(Path.Combine(dir, concept.Id, "masks", $"{i:D2}.png"));
            }
            csv.Append($"{concept.Id},{concept.SuperCategory},{(concept.Animate ? "true" : "false")},\"{concept.Description.Replace("\"", "\"\"")}\"\n");
            log?.Invoke($"{concept.Id}: {scenes.Count} images ({string.Join(", ", scenes.Select(s => s.Background.ToString().ToLowerInvariant()))})");
        }
        AtomicFile.WriteAllText(Path.Combine(dir, "concepts.csv"), csv.ToString());
    }
}
