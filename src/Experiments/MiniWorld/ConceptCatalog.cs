using SkiaSharp;
using static Repro.Experiments.MiniWorld.ShapeGeometry;

namespace Repro.Experiments.MiniWorld;

/// <summary>
/// The eight personal concepts: each is one specific instance (own silhouette, proportions and a 2–4 color
/// texture of large flat regions) that the pretraining sampler — generic shapes, one hue plus its own shade —
/// cannot produce. Four are animate (with eyes), four inanimate.
/// </summary>
public static class ConceptCatalog
{
    private static readonly PartPaint Body = new PartPaint.Body();
    private static ShapePart P(SKPath path, PartPaint paint) => new(path, paint);
    private static PartPaint Pal(int i) => new PartPaint.Palette(i);
    private static SKPaint F(SKColor c) => ObjectPainter.Fill(c);

    public static IReadOnlyList<ConceptSpec> All { get; } =
    [
        new("cat_calico_01", Category.Cat, "chubby cat, tall ears, thick tail; white with big orange and black patches",
            [new(245, 240, 228), new(240, 135, 40), new(45, 38, 38)],
            () => new([
                    P(Stroke(new(0.5f, 0.8f), new(1.05f, 0.75f), new(0.9f, 0.0f), 0.28f), Pal(2)),
                    P(Ellipse(0, 0.42f, 0.72f, 0.52f), Body),
                    P(Poly(-0.5f, -0.45f, -0.5f, -1.08f, -0.1f, -0.75f), Pal(1)),
                    P(Poly(0.5f, -0.45f, 0.5f, -1.08f, 0.1f, -0.75f), Pal(2)),
                    P(Circle(0, -0.32f, 0.52f), Body)],
                [new(-0.2f, -0.36f), new(0.2f, -0.36f)], 0.14f, new SKPoint(0, -0.84f), 1.0f, new SKPoint(0, 0.12f)),
            (c, pal) =>
            {
                c.DrawCircle(-0.38f, -0.55f, 0.36f, F(pal[1]));
                c.DrawCircle(0.45f, 0.42f, 0.38f, F(pal[2]));
                c.DrawCircle(-0.45f, 0.7f, 0.32f, F(pal[1]));
            }),
        new("dog_dachshund_01", Category.Dog, "long low dachshund, short legs, long black ear; tan with cream belly and dark saddle",
            [new(195, 125, 60), new(245, 225, 180), new(70, 40, 25)],
            () => new([
                    P(Stroke(new(-0.85f, 0.05f), new(-1.0f, -0.05f), new(-1.0f, -0.35f), 0.16f), Body),
                    P(Rect(-0.85f, 0.3f, -0.65f, 0.62f), Pal(2)), P(Rect(-0.55f, 0.3f, -0.35f, 0.62f), Pal(2)),
                    P(Rect(0.12f, 0.3f, 0.32f, 0.62f), Pal(2)), P(Rect(0.38f, 0.3f, 0.58f, 0.62f), Pal(2)),
                    P(RoundRect(-0.95f, -0.05f, 0.6f, 0.4f, 0.18f), Body),
                    P(Circle(0.58f, -0.3f, 0.32f), Body),
                    P(RoundRect(0.7f, -0.3f, 1.05f, -0.05f, 0.08f), Body),
                    P(Ellipse(0.4f, -0.08f, 0.14f, 0.38f), Pal(2)),
                    P(Circle(1.02f, -0.2f, 0.09f), new PartPaint.Rgb(Nose))],
                [new(0.66f, -0.38f)], 0.12f, new SKPoint(0.58f, -0.62f), 0.6f, new SKPoint(0.5f, 0.05f)),
            (c, pal) =>
            {
                c.DrawRect(new SKRect(-1, 0.22f, 0.62f, 0.45f), F(pal[1]));
                c.DrawOval(new SKRect(-0.7f, -0.15f, 0.25f, 0.12f), F(pal[2]));
            }),
        new("bird_parrot_01", Category.Bird, "parrot with a three-feather crest and long tail; red, yellow belly, blue wing and tail",
            [new(220, 30, 40), new(250, 210, 40), new(40, 90, 220)],
            () => new([
                    P(Rect(-0.1f, 0.45f, 0.02f, 0.85f), new PartPaint.Rgb(Beak)), P(Rect(0.15f, 0.45f, 0.27f, 0.85f), new PartPaint.Rgb(Beak)),
                    P(Poly(-0.4f, 0.05f, -1.05f, 0.55f, -0.9f, 0.75f, -0.3f, 0.35f), Pal(2)),
                    P(Poly(0.3f, -0.55f, 0.18f, -1.0f, 0.42f, -0.62f, 0.45f, -1.05f, 0.55f, -0.62f, 0.72f, -0.95f, 0.65f, -0.5f), Pal(1)),
                    P(Ellipse(0.0f, 0.12f, 0.55f, 0.45f), Body),
                    P(Circle(0.48f, -0.35f, 0.33f), Body),
                    P(Poly(0.74f, -0.48f, 1.02f, -0.3f, 0.74f, -0.16f), new PartPaint.Rgb(new SKColor(40, 40, 40))),
                    P(Ellipse(-0.12f, 0.05f, 0.38f, 0.24f), Pal(2))],
                [new(0.55f, -0.4f)], 0.12f, new SKPoint(0.48f, -0.68f), 0.6f, new SKPoint(0.35f, -0.05f)),
            (c, pal) => c.DrawOval(new SKRect(-0.1f, 0.2f, 0.55f, 0.6f), F(pal[1]))),
        new("fish_clown_01", Category.Fish, "round clownfish with a fan tail; orange with two wide white bands and black fins",
            [new(245, 120, 20), new(250, 250, 250), new(25, 25, 25)],
            () => new([
                    P(Poly(-0.45f, 0, -1.0f, -0.6f, -0.85f, 0, -1.0f, 0.6f), Pal(2)),
                    P(Ellipse(-0.05f, -0.45f, 0.3f, 0.25f), Pal(2)),
                    P(Ellipse(0.05f, 0, 0.62f, 0.55f), Body)],
                [new(0.38f, -0.15f)], 0.13f, new SKPoint(0.05f, -0.6f), 0.7f, new SKPoint(0.1f, 0.15f)),
            (c, pal) =>
            {
                c.DrawRect(new SKRect(-0.4f, -1, -0.08f, 1), F(pal[1]));
                c.DrawRect(new SKRect(0.2f, -1, 0.48f, 1), F(pal[1]));
            }),
        new("cup_tricolor_01", Category.Cup, "tall straight mug with a square handle; red, yellow and blue bands",
            [new(210, 40, 40), new(245, 210, 40), new(40, 80, 200)],
            () => new([
                    P(SquareHandle(), Pal(2)),
                    P(Rect(-0.62f, -0.9f, 0.35f, 0.9f), Body)],
                [], 0, new SKPoint(-0.13f, -0.9f), 1.0f, new SKPoint(-0.13f, 0.2f)),
            (c, pal) =>
            {
                c.DrawRect(new SKRect(-1, -0.3f, 1, 0.3f), F(pal[1]));
                c.DrawRect(new SKRect(-1, 0.3f, 1, 1), F(pal[2]));
            }),
        new("ball_beach_01", Category.Ball, "slightly flattened beach ball; red, white, blue and yellow quarters",
            [new(220, 40, 40), new(250, 250, 250), new(40, 90, 220), new(250, 210, 40)],
            () => new([P(Ellipse(0, 0, 0.95f, 0.8f), Body)], [], 0, new SKPoint(0, -0.8f), 1.2f, new SKPoint(0, 0.35f)),
            (c, pal) =>
            {
                var oval = new SKRect(-1.2f, -1.2f, 1.2f, 1.2f);
                c.DrawArc(oval, 0, 90, true, F(pal[1]));
                c.DrawArc(oval, 90, 90, true, F(pal[2]));
                c.DrawArc(oval, 180, 90, true, F(pal[3]));
            }),
        new("star_sixpoint_01", Category.Star, "six-pointed star; purple points around a yellow center",
            [new(130, 50, 185), new(245, 215, 30)],
            () => new([P(StarPath(6, 1.0f, 0.58f), Body)], [], 0, new SKPoint(0, -0.95f), 0.6f, new SKPoint(0, 0.3f)),
            (c, pal) => c.DrawCircle(0, 0, 0.45f, F(pal[1]))),
        new("tree_autumn_01", Category.Tree, "three-tier pine in autumn colors: yellow top, orange middle, red bottom",
            [new(235, 120, 30), new(245, 205, 40), new(200, 40, 30)],
            () => new([
                    P(Rect(-0.14f, 0.55f, 0.14f, 1.0f), new PartPaint.Rgb(Wood)),
                    P(Poly(-0.85f, 0.6f, 0, 0.0f, 0.85f, 0.6f), Body),
                    P(Poly(-0.7f, 0.15f, 0, -0.5f, 0.7f, 0.15f), Body),
                    P(Poly(-0.5f, -0.35f, 0, -1.0f, 0.5f, -0.35f), Body)],
                [], 0, new SKPoint(0, -1.0f), 0.5f, new SKPoint(0, 0.1f)),
            (c, pal) =>
            {
                c.DrawRect(new SKRect(-1, -1.1f, 1, -0.35f), F(pal[1]));
                c.DrawRect(new SKRect(-1, 0.15f, 1, 1), F(pal[2]));
            }),
    ];

    public static ConceptSpec Get(string id) =>
        All.FirstOrDefault(c => c.Id == id) ?? throw new ArgumentException($"unknown concept '{id}'; known: {string.Join(", ", All.Select(c => c.Id))}");

    private static SKPath SquareHandle()
    {
        var p = new SKPath { FillType = SKPathFillType.EvenOdd };
        p.AddRect(new SKRect(0.3f, -0.55f, 0.95f, 0.45f));
        p.AddRect(new SKRect(0.52f, -0.33f, 0.73f, 0.23f));
        return p;
    }
}
