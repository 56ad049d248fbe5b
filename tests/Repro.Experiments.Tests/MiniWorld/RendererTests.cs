using Repro.Experiments.MiniWorld;

namespace Repro.Experiments.Tests.MiniWorld;

public sealed class RendererTests
{
    [Fact]
    public void Same_seed_gives_byte_identical_pngs_and_other_seeds_differ()
    {
        for (int i = 0; i < 20; i++)
        {
            var a = SceneRenderer.Render(WorldSampler.Sample(7, WorldSplit.Train, i));
            var b = SceneRenderer.Render(WorldSampler.Sample(7, WorldSplit.Train, i));
            Assert.Equal(a.EncodePng(), b.EncodePng());
            Assert.Equal(a.EncodeMaskPng(), b.EncodeMaskPng());
        }
        var first = Enumerable.Range(0, 10).Select(i => SceneRenderer.Render(WorldSampler.Sample(7, WorldSplit.Train, i)).Rgb).ToList();
        var otherSeed = Enumerable.Range(0, 10).Select(i => SceneRenderer.Render(WorldSampler.Sample(8, WorldSplit.Train, i)).Rgb).ToList();
        var heldout = Enumerable.Range(0, 10).Select(i => SceneRenderer.Render(WorldSampler.Sample(7, WorldSplit.Heldout, i)).Rgb).ToList();
        for (int i = 0; i < 10; i++)
        {
            Assert.NotEqual(first[i], otherSeed[i]);
            Assert.NotEqual(first[i], heldout[i]);
        }
    }

    public static TheoryData<string> SceneKinds => ["generic", "concept"];

    [Theory]
    [MemberData(nameof(SceneKinds))]
    public void Mask_is_exactly_the_subject_pixels(string kind)
    {
        long totalMask = 0, totalChanged = 0;
        for (int i = 0; i < 200; i++)
        {
            var scene = WorldSampler.Sample(3, WorldSplit.Train, i);
            if (kind == "concept") scene = PersonalConcepts.InScene(PersonalConcepts.All[i % PersonalConcepts.All.Count], scene);
            var with = SceneRenderer.Render(scene);
            var without = SceneRenderer.Render(scene, drawSubject: false);
            int maskCount = 0, changedInMask = 0;
            for (int p = 0; p < with.Mask.Length; p++)
            {
                Assert.True(with.Mask[p] is 0 or 255, "mask must be binary");
                Assert.Equal(0, without.Mask[p]);
                bool changed = with.Rgb[3 * p] != without.Rgb[3 * p] || with.Rgb[3 * p + 1] != without.Rgb[3 * p + 1] || with.Rgb[3 * p + 2] != without.Rgb[3 * p + 2];
                if (with.Mask[p] == 255) { maskCount++; if (changed) changedInMask++; }
                else Assert.False(changed, $"scene {i} ({kind}): pixel ({p % 64}, {p / 64}) changed by the subject but is outside its mask");
            }
            Assert.True(maskCount > 150, $"scene {i}: subject mask too small ({maskCount} px)");
            Assert.True(changedInMask >= 0.2 * maskCount, $"scene {i}: only {changedInMask}/{maskCount} mask pixels show the subject");
            totalMask += maskCount; totalChanged += changedInMask;
        }
        Assert.True(totalChanged >= 0.9 * totalMask, $"only {totalChanged}/{totalMask} mask pixels differ from the background");
    }

    [Fact]
    public void Subject_stays_inside_the_frame()
    {
        for (int i = 0; i < 300; i++)
        {
            var image = SceneRenderer.Render(WorldSampler.Sample(11, WorldSplit.Train, i));
            for (int k = 0; k < 64; k++)
            {
                Assert.Equal(0, image.Mask[k]);
                Assert.Equal(0, image.Mask[63 * 64 + k]);
                Assert.Equal(0, image.Mask[k * 64]);
                Assert.Equal(0, image.Mask[k * 64 + 63]);
            }
        }
    }

    [Fact]
    public void Pattern_features_are_at_least_four_pixels()
    {
        Assert.True(PatternSpec.StripeWidth >= PatternSpec.MinFeaturePixels);
        Assert.True(2 * PatternSpec.DotRadius >= PatternSpec.MinFeaturePixels);
        Assert.True(PatternSpec.CheckSize >= PatternSpec.MinFeaturePixels);
        Assert.True(PatternSpec.DotSpacing >= 2 * PatternSpec.DotRadius + PatternSpec.MinFeaturePixels);
        Assert.True(PatternSpec.MinFeaturePixels >= 4);
        // Measured: vertical runs of ink inside a big striped / checked ball (not cut by the outline) are full width.
        foreach (var (pattern, expected) in new[] { (Pattern.Striped, PatternSpec.StripeWidth), (Pattern.Checked, PatternSpec.CheckSize) })
        {
            var scene = new Scene(Category.Ball, WorldColor.Blue, pattern, Background.Snow, Style.Vector, 32, 32, 20);
            var image = SceneRenderer.Render(scene);
            var ink = StylePalette.Map(Style.Vector, StylePalette.Ink(StylePalette.Rgb(WorldColor.Blue)));
            var body = StylePalette.Map(Style.Vector, StylePalette.Rgb(WorldColor.Blue));
            var runs = new List<int>();
            for (int x = 24; x < 40; x++)
            {
                int run = 0;
                for (int y = 0; y < 64; y++)
                {
                    int p = y * 64 + x;
                    bool isInk = image.Rgb[3 * p] == ink.Red && image.Rgb[3 * p + 1] == ink.Green && image.Rgb[3 * p + 2] == ink.Blue;
                    bool isBody = image.Rgb[3 * p] == body.Red && image.Rgb[3 * p + 1] == body.Green && image.Rgb[3 * p + 2] == body.Blue;
                    if (isInk) run++;
                    else { if (run > 0 && isBody && y - run - 1 >= 0 && IsColor(image, (y - run - 1) * 64 + x, body)) runs.Add(run); run = 0; }
                }
            }
            Assert.NotEmpty(runs);
            Assert.All(runs, r => Assert.Equal(expected, r));
        }
    }

    private static bool IsColor(RenderedImage image, int p, SkiaSharp.SKColor c) =>
        image.Rgb[3 * p] == c.Red && image.Rgb[3 * p + 1] == c.Green && image.Rgb[3 * p + 2] == c.Blue;

    [Fact]
    public void Styles_change_the_whole_image()
    {
        var baseScene = new Scene(Category.Cat, WorldColor.Red, Pattern.Plain, Background.Grass, Style.Photo, 32, 34, 16);
        var images = WorldVocabulary.Styles.Select(s => SceneRenderer.Render(baseScene with { Style = s }).Rgb).ToList();
        for (int a = 0; a < images.Count; a++)
        for (int b = a + 1; b < images.Count; b++)
        {
            double diff = 0;
            for (int k = 0; k < images[a].Length; k++) diff += Math.Abs(images[a][k] - images[b][k]);
            Assert.True(diff / images[a].Length > 12, $"{WorldVocabulary.Styles[a]} vs {WorldVocabulary.Styles[b]}: mean abs diff {diff / images[a].Length:F1}");
        }
        foreach (var style in new[] { Style.Pencil, Style.Manga })
        {
            var gray = SceneRenderer.Render(baseScene with { Style = style }).Rgb;
            for (int k = 0; k < gray.Length; k += 3) Assert.True(Math.Abs(gray[k] - gray[k + 1]) <= 8 && Math.Abs(gray[k + 1] - gray[k + 2]) <= 8);
        }
    }
}
