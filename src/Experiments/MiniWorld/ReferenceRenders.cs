using System.Globalization;
using Repro.Experiments.Harness;

namespace Repro.Experiments.MiniWorld;

/// <summary>
/// What a perfect generator would draw for an evaluation prompt, rendered by the world itself: the concept exactly as
/// the prompt asks (its background, style, recolor, accessory, companion) and, for the same scene, a generic object of
/// the concept's category (a perfect base model). Scoring both with an identity score measures the score's ceiling:
/// how far above a perfect base model the concept itself gets with this many prompts and images.
/// </summary>
public static class ReferenceRenders
{
    public const string ConceptArm = "Render: concept";
    public const string GenericArm = "Render: generic";
    public static IReadOnlyList<string> Arms { get; } = [ConceptArm, GenericArm];

    /// <summary>
    /// The scene a base-model prompt (the category word in place of the token) describes, for image <paramref name="image"/>
    /// of prompt <paramref name="prompt"/>: stated attributes from the caption, the rest (background if unstated,
    /// placement, facing, companion color, decorations) drawn from a seed of (concept, prompt, image).
    /// </summary>
    public static (Scene Scene, WorldColor? Color) SceneFor(ConceptSpec concept, string basePrompt, int prompt, int image)
    {
        var parsed = CaptionGrammar.Parse(basePrompt);
        var rng = new Random(PersonalConcepts.StableSeed($"{concept.Id}/reference/{prompt}", image));
        var background = parsed.Background ?? WorldSampler.Pick(rng, WorldVocabulary.Backgrounds);
        var companionColor = WorldSampler.Pick(rng, WorldVocabulary.Colors);
        var (x, y, s) = WorldSampler.Place(rng, parsed.Accessory == Accessory.Hat, parsed.Companion is not null);
        var scene = new Scene(concept.Category, null, Pattern.Plain, background, parsed.Style, x, y, s, rng.Next(2) == 1, parsed.Accessory,
            parsed.Companion, companionColor, rng.Next());
        return (scene, parsed.Color);
    }

    /// <summary>
    /// <c>&lt;cache&gt;/reference-renders/&lt;concept&gt;/&lt;key&gt;</c>, the key a hash of the prompts and image count: tables with other
    /// prompts never share (or overwrite, when run side by side) each other's files.
    /// </summary>
    public static string FolderFor(string cacheDir, string concept, IReadOnlyList<string> basePrompts, int imagesPerPrompt) =>
        Path.Combine(cacheDir, "reference-renders", concept,
            CellSpec.Hash(string.Join('\n', basePrompts.Append(imagesPerPrompt.ToString(CultureInfo.InvariantCulture))))[..16]);

    /// <summary>
    /// Writes <c>prompt_PP_I_concept.png</c> and <c>prompt_PP_I_generic.png</c> for every prompt and image under
    /// <paramref name="dir"/> (rendered again each time, atomically: milliseconds, and never stale) and returns (arm, prompt, path).
    /// </summary>
    public static IReadOnlyList<(string Arm, int Prompt, string Path)> Write(ConceptSpec concept, IReadOnlyList<string> basePrompts, int imagesPerPrompt,
        string dir)
    {
        if (imagesPerPrompt < 1) throw new ArgumentException($"images per prompt must be at least 1, got {imagesPerPrompt}");
        var files = new List<(string, int, string)>();
        for (int p = 0; p < basePrompts.Count; p++)
        for (int i = 0; i < imagesPerPrompt; i++)
        {
            var (scene, color) = SceneFor(concept, basePrompts[p], p, i);
            string own = Path.Combine(dir, $"prompt_{p:D2}_{i}_concept.png");
            PersonalConcepts.Render(concept, scene, color).SavePng(own);
            string generic = Path.Combine(dir, $"prompt_{p:D2}_{i}_generic.png");
            PersonalConcepts.RenderGeneric(concept, scene, PersonalConcepts.StableSeed($"{concept.Id}/reference-generic/{p}", i), color).SavePng(generic);
            files.Add((ConceptArm, p, own));
            files.Add((GenericArm, p, generic));
        }
        return files;
    }
}
