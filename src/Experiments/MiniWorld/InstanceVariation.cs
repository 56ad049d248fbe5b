using SkiaSharp;

namespace Repro.Experiments.MiniWorld;

/// <summary>How a varied instance's second and third colors are laid over its body (local frame, ≥ 4 px at any scale).</summary>
public enum VariationLayout { Patches, Bands, Half, Quarters }

/// <summary>
/// What makes one generic object an instance of its category rather than the category's prototype: its proportions
/// (<see cref="AspectX"/>, <see cref="AspectY"/> stretch the local frame) and, optionally, large regions of one or two
/// further colors. Captions do not describe it ("a red cat" may be a tall red cat with a black patch), as photographs'
/// captions do not describe an instance: the base model sees many instances per caption, as SD does, and can be taught
/// a new one. The personal concepts stay outside it: each has its own silhouette (not a stretched prototype) and palette
/// (not the world's colors).
/// </summary>
public sealed record InstanceVariation(float AspectX, float AspectY, WorldColor? Second, WorldColor? Third, VariationLayout Layout, int LayoutSeed)
{
    /// <summary>One axis shrinks by up to e^-0.3 ≈ 0.74, so an instance stays inside its prototype's box (and the frame).</summary>
    public const float MaxLogAspect = 0.3f;
    public const double MultiColorProbability = 0.6;

    /// <summary>A random instance of an object whose main color is <paramref name="main"/>.</summary>
    public static InstanceVariation Sample(Random rng, WorldColor main)
    {
        float logAspect = ((float)rng.NextDouble() * 2 - 1) * MaxLogAspect;
        var others = WorldVocabulary.Colors.Where(c => c != main).ToArray();
        WorldColor? second = null, third = null;
        if (rng.NextDouble() < MultiColorProbability)
        {
            second = WorldSampler.Pick(rng, others);
            if (rng.Next(2) == 1) third = WorldSampler.Pick(rng, others.Where(c => c != second).ToArray());
        }
        var layout = WorldSampler.Pick(rng, Enum.GetValues<VariationLayout>());
        return new InstanceVariation(MathF.Exp(MathF.Min(0, logAspect)), MathF.Exp(MathF.Min(0, -logAspect)), second, third, layout, rng.Next());
    }

    /// <summary>The palette: the main color, then the further colors.</summary>
    public IReadOnlyList<SKColor> Palette(WorldColor main) =>
        new[] { (WorldColor?)main, Second, Third }.OfType<WorldColor>().Select(StylePalette.Rgb).ToArray();

    /// <summary>Paints the further colors (palette entries 1 and 2) in the object's local frame; none: nothing.</summary>
    public void Texture(SKCanvas canvas, IReadOnlyList<SKColor> palette)
    {
        if (palette.Count < 2) return;
        var rng = new Random(LayoutSeed);
        SKColor Color(int i) => palette[1 + i % (palette.Count - 1)];
        float U(float lo, float hi) => lo + (float)rng.NextDouble() * (hi - lo);
        switch (Layout)
        {
            case VariationLayout.Patches:
                for (int i = 0, n = 2 + rng.Next(2); i < n; i++)
                    canvas.DrawCircle(U(-0.6f, 0.6f), U(-0.6f, 0.6f), U(0.25f, 0.42f), ObjectPainter.Fill(Color(i)));
                break;
            case VariationLayout.Bands:
                bool vertical = rng.Next(2) == 1;
                for (int i = 0, n = 1 + rng.Next(2); i < n; i++)
                {
                    float at = U(-0.7f, 0.4f), width = U(0.35f, 0.5f);
                    var band = vertical ? new SKRect(at, -1.5f, at + width, 1.5f) : new SKRect(-1.5f, at, 1.5f, at + width);
                    canvas.DrawRect(band, ObjectPainter.Fill(Color(i)));
                }
                break;
            case VariationLayout.Half:
                var half = rng.Next(4) switch
                {
                    0 => new SKRect(-1.5f, -1.5f, 0, 1.5f),
                    1 => new SKRect(0, -1.5f, 1.5f, 1.5f),
                    2 => new SKRect(-1.5f, -1.5f, 1.5f, 0),
                    _ => new SKRect(-1.5f, 0, 1.5f, 1.5f),
                };
                canvas.DrawRect(half, ObjectPainter.Fill(Color(0)));
                break;
            case VariationLayout.Quarters:
                canvas.DrawRect(new SKRect(-1.5f, -1.5f, 0, 0), ObjectPainter.Fill(Color(0)));
                canvas.DrawRect(new SKRect(0, 0, 1.5f, 1.5f), ObjectPainter.Fill(Color(1)));
                break;
        }
    }
}
