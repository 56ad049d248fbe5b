using SkiaSharp;

namespace Repro.Experiments.MiniWorld;

/// <summary>Path helpers in the local frame and the generic (pretraining) shape of every category.</summary>
public static class ShapeGeometry
{
    public static readonly SKColor Beak = new(245, 150, 30);
    public static readonly SKColor Wood = new(110, 70, 35);
    public static readonly SKColor Nose = new(40, 30, 30);

    public static SKPath Circle(float cx, float cy, float r) { var p = new SKPath(); p.AddCircle(cx, cy, r); return p; }

    public static SKPath Ellipse(float cx, float cy, float rx, float ry)
    {
        var p = new SKPath(); p.AddOval(new SKRect(cx - rx, cy - ry, cx + rx, cy + ry)); return p;
    }

    public static SKPath Rect(float l, float t, float r, float b) { var p = new SKPath(); p.AddRect(new SKRect(l, t, r, b)); return p; }

    public static SKPath RoundRect(float l, float t, float r, float b, float radius)
    {
        var p = new SKPath(); p.AddRoundRect(new SKRect(l, t, r, b), radius, radius); return p;
    }

    public static SKPath Poly(params float[] xy)
    {
        var p = new SKPath();
        p.MoveTo(xy[0], xy[1]);
        for (int i = 2; i < xy.Length; i += 2) p.LineTo(xy[i], xy[i + 1]);
        p.Close();
        return p;
    }

    /// <summary>A thick curve (tails) as a fillable outline: quadratic from a through control c to b.</summary>
    public static SKPath Stroke(SKPoint a, SKPoint c, SKPoint b, float width)
    {
        using var line = new SKPath();
        line.MoveTo(a); line.QuadTo(c, b);
        using var paint = new SKPaint { Style = SKPaintStyle.Stroke, StrokeWidth = width, StrokeCap = SKStrokeCap.Round, IsAntialias = false };
        var fill = new SKPath();
        paint.GetFillPath(line, fill);
        return fill;
    }

    /// <summary>An annulus (even-odd fill): the hole shows the background.</summary>
    public static SKPath Annulus(float cx, float cy, float outer, float inner)
    {
        var p = new SKPath { FillType = SKPathFillType.EvenOdd };
        p.AddCircle(cx, cy, outer); p.AddCircle(cx, cy, inner);
        return p;
    }

    /// <summary>A regular star with <paramref name="points"/> tips, pointing up.</summary>
    public static SKPath StarPath(int points, float outer, float inner, float cy = 0)
    {
        var xy = new float[points * 4];
        for (int i = 0; i < points * 2; i++)
        {
            double angle = -Math.PI / 2 + i * Math.PI / points;
            float r = i % 2 == 0 ? outer : inner;
            xy[2 * i] = (float)(r * Math.Cos(angle));
            xy[2 * i + 1] = cy + (float)(r * Math.Sin(angle));
        }
        return Poly(xy);
    }

    private static ShapePart P(SKPath path, PartPaint paint) => new(path, paint);
    private static readonly PartPaint Body = new PartPaint.Body();

    /// <summary>The generic shape of a category (the only shape the pretraining sampler draws).</summary>
    public static ObjectShape Generic(Category category) => category switch
    {
        Category.Ball => Inanimate([P(Circle(0, 0, 0.9f), Body)], top: -0.9f, width: 1.2f, neck: 0.35f),
        Category.Star => Inanimate([P(StarPath(5, 1.0f, 0.45f, 0.08f), Body)], top: -0.92f, width: 0.6f, neck: 0.3f),
        Category.Cube => Inanimate([
            P(Poly(0, -1, 0.87f, -0.5f, 0, 0, -0.87f, -0.5f), new PartPaint.Shade(1.15f)),
            P(Poly(-0.87f, -0.5f, 0, 0, 0, 1, -0.87f, 0.5f), Body),
            P(Poly(0, 0, 0.87f, -0.5f, 0.87f, 0.5f, 0, 1), new PartPaint.Shade(0.7f))], top: -1f, width: 1.0f, neck: 0.45f),
        Category.Ring => Inanimate([P(Annulus(0, 0, 0.9f, 0.48f), Body)], top: -0.9f, width: 1.0f, neck: 0.7f),
        Category.Cup => Inanimate([
            P(Annulus(0.55f, 0.0f, 0.42f, 0.2f), Body),
            P(Poly(-0.75f, -0.7f, 0.55f, -0.7f, 0.4f, 0.85f, -0.6f, 0.85f), Body),
            P(Ellipse(-0.1f, -0.7f, 0.6f, 0.14f), new PartPaint.Shade(0.55f))], top: -0.78f, width: 1.1f, neck: 0.3f),
        Category.Tree => Inanimate([
            P(Rect(-0.16f, 0.2f, 0.16f, 1.0f), new PartPaint.Rgb(Wood)),
            P(Union(Circle(-0.42f, -0.15f, 0.42f), Circle(0.42f, -0.15f, 0.42f), Circle(0, -0.55f, 0.45f), Circle(0, 0.05f, 0.42f)), Body)],
            top: -1.0f, width: 0.8f, neck: 0.25f),
        Category.Cat => Cat(),
        Category.Dog => Dog(),
        Category.Bird => Bird(),
        Category.Fish => Fish(),
        _ => throw new ArgumentOutOfRangeException(nameof(category)),
    };

    private static ObjectShape Inanimate(ShapePart[] parts, float top, float width, float neck) =>
        new(parts, [], 0, new SKPoint(0, top), width, new SKPoint(0, neck));

    private static ObjectShape Cat() => new([
            P(Stroke(new(0.45f, 0.75f), new(1.0f, 0.7f), new(0.85f, 0.05f), 0.2f), Body),
            P(Ellipse(0, 0.4f, 0.58f, 0.52f), Body),
            P(Poly(-0.46f, -0.45f, -0.4f, -1.0f, -0.08f, -0.7f), Body),
            P(Poly(0.46f, -0.45f, 0.4f, -1.0f, 0.08f, -0.7f), Body),
            P(Circle(0, -0.35f, 0.46f), Body)],
        [new(-0.18f, -0.38f), new(0.18f, -0.38f)], 0.13f, new SKPoint(0, -0.8f), 0.9f, new SKPoint(0, 0.08f));

    private static ObjectShape Dog() => new([
            P(Stroke(new(-0.6f, 0.0f), new(-0.85f, -0.1f), new(-0.9f, -0.5f), 0.18f), Body),
            P(Rect(-0.62f, 0.3f, -0.44f, 0.85f), Body), P(Rect(-0.3f, 0.3f, -0.12f, 0.85f), Body),
            P(Rect(0.08f, 0.3f, 0.26f, 0.85f), Body), P(Rect(0.34f, 0.3f, 0.52f, 0.85f), Body),
            P(RoundRect(-0.72f, -0.12f, 0.55f, 0.45f, 0.2f), Body),
            P(Circle(0.55f, -0.35f, 0.36f), Body),
            P(RoundRect(0.7f, -0.32f, 1.0f, -0.04f, 0.08f), Body),
            P(Ellipse(0.36f, -0.22f, 0.13f, 0.3f), new PartPaint.Shade(0.6f)),
            P(Circle(0.97f, -0.26f, 0.08f), new PartPaint.Rgb(Nose))],
        [new(0.62f, -0.42f)], 0.12f, new SKPoint(0.55f, -0.68f), 0.7f, new SKPoint(0.42f, 0.02f));

    private static ObjectShape Bird() => new([
            P(Rect(-0.2f, 0.45f, -0.08f, 0.95f), new PartPaint.Rgb(Beak)), P(Rect(0.08f, 0.45f, 0.2f, 0.95f), new PartPaint.Rgb(Beak)),
            P(Poly(-0.55f, 0.05f, -1.0f, -0.3f, -1.0f, 0.35f), Body),
            P(Ellipse(-0.05f, 0.15f, 0.62f, 0.45f), Body),
            P(Circle(0.45f, -0.35f, 0.34f), Body),
            P(Poly(0.72f, -0.48f, 1.0f, -0.32f, 0.72f, -0.2f), new PartPaint.Rgb(Beak)),
            P(Ellipse(-0.15f, 0.1f, 0.38f, 0.22f), new PartPaint.Shade(0.65f))],
        [new(0.52f, -0.42f)], 0.12f, new SKPoint(0.45f, -0.68f), 0.6f, new SKPoint(0.32f, -0.05f));

    private static ObjectShape Fish() => new([
            P(Poly(-0.55f, 0, -1.0f, -0.5f, -1.0f, 0.5f), Body),
            P(Poly(-0.3f, -0.35f, 0.25f, -0.35f, -0.15f, -0.72f), new PartPaint.Shade(0.7f)),
            P(Ellipse(0.05f, 0, 0.75f, 0.45f), Body)],
        [new(0.45f, -0.1f)], 0.12f, new SKPoint(0.15f, -0.45f), 0.8f, new SKPoint(0.0f, 0.1f));

    /// <summary>Union of paths (silhouette for outlines).</summary>
    public static SKPath Union(params SKPath[] paths)
    {
        var result = new SKPath();
        foreach (var p in paths)
        {
            var next = result.Op(p, SKPathOp.Union) ?? throw new InvalidOperationException("path union failed");
            result.Dispose();
            result = next;
        }
        return result;
    }
}
