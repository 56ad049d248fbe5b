using SkiaSharp;

namespace Repro.Experiments.MiniWorld;

/// <summary>
/// One image of the world. <see cref="X"/>, <see cref="Y"/> are the subject's center in pixels and
/// <see cref="Scale"/> its half-size in pixels (shapes are drawn in a local [-1, 1] frame).
/// <see cref="Color"/> is required for generic objects; for a concept it is an optional recolor of its main color.
/// <see cref="DetailSeed"/> places the background's decorations (tufts, windows, clouds). <see cref="Variation"/>, for
/// generic objects only, makes the subject one instance of its category (proportions, further colors).
/// </summary>
public sealed record Scene(
    Category Category, WorldColor? Color, Pattern Pattern, Background Background, Style Style,
    float X, float Y, float Scale, bool Mirror = false, Accessory Accessory = Accessory.None,
    Category? Companion = null, WorldColor CompanionColor = WorldColor.White, int DetailSeed = 0,
    ConceptSpec? Concept = null, InstanceVariation? Variation = null)
{
    public const int Size = 64;
}

/// <summary>How a shape part is colored.</summary>
public abstract record PartPaint
{
    /// <summary>The object's main color plus its pattern or concept texture.</summary>
    public sealed record Body : PartPaint;
    /// <summary>The main color multiplied by a factor (cube faces, wings, ears).</summary>
    public sealed record Shade(float Factor) : PartPaint;
    /// <summary>An entry of the concept palette (index 0 is the main color; generic objects: only 0).</summary>
    public sealed record Palette(int Index) : PartPaint;
    /// <summary>A fixed color (beaks, trunks).</summary>
    public sealed record Rgb(SKColor Color) : PartPaint;
}

/// <summary>A filled path in the shape's local frame.</summary>
public sealed record ShapePart(SKPath Path, PartPaint Paint);

/// <summary>
/// The geometry of one object in its local frame (about [-1, 1]²): parts drawn in order, eyes (animate only),
/// and anchors for accessories.
/// </summary>
public sealed record ObjectShape(IReadOnlyList<ShapePart> Parts, IReadOnlyList<SKPoint> Eyes, float EyeRadius,
    SKPoint HeadTop, float HeadWidth, SKPoint Neck);

/// <summary>
/// A personal concept: a specific instance of a category (own silhouette and multi-color texture) that the
/// pretraining sampler never produces. <see cref="Texture"/> paints in the local frame over the body parts.
/// </summary>
public sealed record ConceptSpec(string Id, Category Category, string Description, IReadOnlyList<SKColor> Palette,
    Func<ObjectShape> Shape, Action<SKCanvas, IReadOnlyList<SKColor>> Texture)
{
    public bool Animate => WorldVocabulary.IsAnimate(Category);
    public string SuperCategory => WorldVocabulary.Word(Category);
}
