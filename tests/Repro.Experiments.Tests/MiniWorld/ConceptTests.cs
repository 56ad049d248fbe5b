using Repro.Experiments.MiniWorld;
using SkiaSharp;

namespace Repro.Experiments.Tests.MiniWorld;

public sealed class ConceptTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("repro-miniworld-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void At_least_eight_concepts_half_animate_with_unique_ids()
    {
        var all = PersonalConcepts.All;
        Assert.True(all.Count >= 8);
        Assert.True(all.Count(c => c.Animate) * 2 >= all.Count);
        Assert.True(all.Count(c => !c.Animate) * 2 >= all.Count);
        Assert.Equal(all.Count, all.Select(c => c.Id).Distinct().Count());
        Assert.All(all, c => Assert.Matches("^[a-z]+_[a-z]+_[0-9]{2}$", c.Id));
        Assert.All(all, c => Assert.StartsWith(c.SuperCategory + "_", c.Id));
    }

    [Fact]
    public void Concept_textures_are_multi_hue_which_pretraining_patterns_never_are()
    {
        foreach (var concept in PersonalConcepts.All)
        {
            // Pretraining: one hue and its own shade (ink). A concept needs two colors that are not shades of each other.
            var p = concept.Palette;
            bool multiHue = false;
            for (int a = 0; a < p.Count; a++)
            for (int b = a + 1; b < p.Count; b++)
                if (!SameHueFamily(p[a], p[b])) multiHue = true;
            Assert.True(multiHue, concept.Id);
        }
        foreach (var c in WorldVocabulary.Colors)
            Assert.True(SameHueFamily(StylePalette.Rgb(c), StylePalette.Ink(StylePalette.Rgb(c))), c.ToString());
    }

    private static bool SameHueFamily(SKColor a, SKColor b)
    {
        a.ToHsv(out float ha, out float sa, out float va);
        b.ToHsv(out float hb, out float sb, out float vb);
        if (sa < 15 || sb < 15) return sa < 15 && sb < 15; // grays only match grays
        float d = Math.Abs(ha - hb);
        return Math.Min(d, 360 - d) < 12;
    }

    [Fact]
    public void Concept_silhouette_differs_from_the_generic_shape_and_the_sampler_never_draws_a_concept()
    {
        for (int i = 0; i < 2000; i++) Assert.Null(WorldSampler.Sample(1, WorldSplit.Train, i).Concept);
        foreach (var concept in PersonalConcepts.All)
        {
            var context = new Scene(concept.Category, null, Pattern.Plain, Background.Sky, Style.Photo, 32, 32, 20);
            var own = PersonalConcepts.Render(concept, context).Mask;
            var generic = PersonalConcepts.RenderGeneric(concept, context, seed: 4).Mask;
            int inter = 0, union = 0;
            for (int k = 0; k < own.Length; k++) { if (own[k] > 0 && generic[k] > 0) inter++; if (own[k] > 0 || generic[k] > 0) union++; }
            Assert.True(inter < 0.9 * union, $"{concept.Id}: silhouette IoU with the generic {concept.SuperCategory} is {(double)inter / union:F2}");
        }
    }

    [Fact]
    public void Distractors_share_the_context_and_differ_from_the_concept()
    {
        var concept = ConceptCatalog.Get("dog_dachshund_01");
        var context = WorldSampler.Sample(2, WorldSplit.Heldout, 0) with { Companion = null };
        var generic = PersonalConcepts.GenericInScene(concept, context, seed: 9);
        Assert.Null(generic.Concept);
        Assert.Equal(concept.Category, generic.Category);
        Assert.Equal((context.Background, context.Style, context.X, context.Y, context.Scale), (generic.Background, generic.Style, generic.X, generic.Y, generic.Scale));
        Assert.NotEqual(PersonalConcepts.Render(concept, context).Rgb, SceneRenderer.Render(generic).Rgb);
        Assert.Equal(WorldColor.Green, PersonalConcepts.GenericInScene(concept, context, 9, WorldColor.Green).Color);
    }

    [Fact]
    public void Subject_folders_have_five_images_masks_and_a_csv()
    {
        PersonalConcepts.WriteSubjects(_dir);
        foreach (var concept in PersonalConcepts.All)
        {
            var scenes = PersonalConcepts.TrainingScenes(concept);
            Assert.Equal(5, scenes.Select(s => s.Background).Distinct().Count());
            Assert.All(scenes, s => Assert.Equal(Style.Photo, s.Style));
            for (int i = 0; i < 5; i++)
            {
                Assert.True(File.Exists(Path.Combine(_dir, concept.Id, $"{i:D2}.png")));
                Assert.True(File.Exists(Path.Combine(_dir, concept.Id, "masks", $"{i:D2}.png")));
            }
        }
        var lines = File.ReadAllLines(Path.Combine(_dir, "concepts.csv"));
        Assert.Equal("id,category,animate,description", lines[0]);
        Assert.Equal(PersonalConcepts.All.Count + 1, lines.Length);
        Assert.StartsWith("cat_calico_01,cat,true,", lines[1]);
    }
}
