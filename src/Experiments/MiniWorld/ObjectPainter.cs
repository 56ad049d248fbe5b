using SkiaSharp;

namespace Repro.Experiments.MiniWorld;

/// <summary>
/// Draws one object (or an accessory) into its own transparent 64×64 layer, antialiasing off, so every pixel
/// is either fully the object's or fully transparent: the layer's alpha is the object's exact mask.
/// </summary>
internal static class ObjectPainter
{
    private const int S = Scene.Size;
    private static readonly SKImageInfo Info = new(S, S, SKColorType.Rgba8888, SKAlphaType.Premul);

    /// <summary>The appearance of an object: palette[0] is the main color; texture paints in the local frame.</summary>
    internal sealed record Look(IReadOnlyList<SKColor> Palette, Pattern Pattern, Action<SKCanvas, IReadOnlyList<SKColor>>? Texture);

    internal static SKColor[] Draw(ObjectShape shape, Look look, Style style, SKMatrix local)
    {
        var palette = look.Palette.Select(c => StylePalette.Map(style, c)).ToArray();
        var main = palette[0];
        var layer = Blank();
        foreach (var part in shape.Parts)
        {
            var color = part.Paint switch
            {
                PartPaint.Body => main,
                PartPaint.Shade s => StylePalette.Map(style, StylePalette.Scale(look.Palette[0], s.Factor)),
                PartPaint.Palette p => palette[p.Index],
                PartPaint.Rgb r => StylePalette.Map(style, r.Color),
                _ => throw new InvalidOperationException(part.Paint.ToString()),
            };
            var partLayer = Paint(c => { c.SetMatrix(local); c.DrawPath(part.Path, Fill(color)); });
            if (part.Paint is PartPaint.Body)
            {
                if (look.Texture is { } texture) OverlayInside(partLayer, Paint(c => { c.SetMatrix(local); texture(c, palette); }));
                if (look.Pattern != Pattern.Plain)
                    OverlayInside(partLayer, Paint(c => DrawPattern(c, look.Pattern, StylePalette.Map(style, StylePalette.Ink(look.Palette[0])), local)));
                if (style is Style.Photo or Style.Watercolor)
                    LightenInside(partLayer, Paint(c =>
                    {
                        c.SetMatrix(local);
                        c.DrawOval(new SKRect(-0.62f, -0.62f, -0.18f, -0.3f), Fill(SKColors.White));
                    }), style == Style.Photo ? 0.3f : 0.22f);
            }
            Over(layer, partLayer);
        }
        var outline = Paint(c =>
        {
            using var silhouette = ShapeGeometry.Union([.. shape.Parts.Select(p => p.Path)]);
            silhouette.Transform(local);
            c.DrawPath(silhouette, new SKPaint { IsAntialias = false, Style = SKPaintStyle.Stroke, StrokeWidth = StylePalette.OutlineWidth(style), Color = StylePalette.Outline(style, main) });
        });
        Over(layer, outline);
        var eyes = Paint(c =>
        {
            bool mirrored = local.ScaleX < 0;
            foreach (var eye in shape.Eyes)
            {
                var at = local.MapPoint(eye);
                float r = MathF.Max(shape.EyeRadius * MathF.Abs(local.ScaleY), 3f);
                c.DrawCircle(at, r, Fill(StylePalette.Map(style, SKColors.White)));
                float pr = MathF.Max(r * 0.55f, 1.6f);
                c.DrawCircle(at.X + (mirrored ? -0.3f : 0.3f) * r, at.Y, pr, Fill(new SKColor(15, 15, 15)));
            }
        });
        Over(layer, eyes);
        return layer;
    }

    /// <summary>Stripes, dots or checks in device pixels, anchored to the object's frame (moves with it).</summary>
    private static void DrawPattern(SKCanvas c, Pattern pattern, SKColor ink, SKMatrix local)
    {
        var paint = Fill(ink);
        int ox = (int)MathF.Round(local.TransX), oy = (int)MathF.Round(local.TransY);
        int sw = PatternSpec.StripeWidth, ds = PatternSpec.DotSpacing, cs = PatternSpec.CheckSize;
        switch (pattern)
        {
            case Pattern.Striped:
                for (int y = Mod(oy, 2 * sw) - 2 * sw; y < S; y += 2 * sw) c.DrawRect(new SKRect(0, y, S, y + sw), paint);
                break;
            case Pattern.Dotted:
                for (int row = -1, y = Mod(oy, ds) - ds; y < S + ds; y += ds, row++)
                for (int x = Mod(ox, ds) - ds + (row % 2 == 0 ? 0 : ds / 2); x < S + ds; x += ds)
                    c.DrawCircle(x, y, PatternSpec.DotRadius, paint);
                break;
            case Pattern.Checked:
                for (int y = Mod(oy, 2 * cs) - 2 * cs; y < S; y += cs)
                for (int x = Mod(ox, 2 * cs) - 2 * cs + ((y - oy) / cs % 2 == 0 ? 0 : cs); x < S; x += 2 * cs)
                    c.DrawRect(new SKRect(x, y, x + cs, y + cs), paint);
                break;
        }
    }

    private static int Mod(int a, int m) => ((a % m) + m) % m;

    /// <summary>An accessory layer at the subject's anchors; <paramref name="main"/> picks contrasting colors.</summary>
    internal static SKColor[] Accessory(Accessory accessory, ObjectShape shape, SKMatrix local, Style style, SKColor main)
    {
        float s = MathF.Abs(local.ScaleY), w = MathF.Max(shape.HeadWidth * s, 10f);
        var dark = StylePalette.Luma(main) < 90 ? new SKColor(230, 40, 50) : new SKColor(25, 25, 35);
        return Paint(c =>
        {
            switch (accessory)
            {
                case MiniWorld.Accessory.Hat:
                {
                    var top = local.MapPoint(shape.HeadTop);
                    float crown = MathF.Max(0.6f * w, 7f);
                    c.DrawRect(new SKRect(top.X - 0.6f * w, top.Y - 2, top.X + 0.6f * w, top.Y + 2), Fill(StylePalette.Map(style, dark)));
                    c.DrawRect(new SKRect(top.X - 0.35f * w, top.Y - crown, top.X + 0.35f * w, top.Y - 1), Fill(StylePalette.Map(style, dark)));
                    c.DrawRect(new SKRect(top.X - 0.35f * w, top.Y - 5, top.X + 0.35f * w, top.Y - 2), Fill(StylePalette.Map(style, new SKColor(245, 245, 245))));
                    break;
                }
                case MiniWorld.Accessory.BowTie:
                {
                    var n = local.MapPoint(shape.Neck);
                    float hw = MathF.Max(0.22f * w, 5f), hh = MathF.Max(0.13f * w, 3.5f);
                    var tie = Distance(main, new SKColor(225, 35, 70)) < 160 ? new SKColor(40, 90, 225) : new SKColor(225, 35, 70);
                    using var path = ShapeGeometry.Poly(n.X - hw, n.Y - hh, n.X + hw, n.Y + hh, n.X + hw, n.Y - hh, n.X - hw, n.Y + hh);
                    path.FillType = SKPathFillType.Winding;
                    c.DrawPath(path, Fill(StylePalette.Map(style, tie)));
                    c.DrawRect(new SKRect(n.X - 2, n.Y - 2, n.X + 2, n.Y + 2), Fill(StylePalette.Map(style, StylePalette.Scale(tie, 0.6f))));
                    break;
                }
                case MiniWorld.Accessory.Sunglasses:
                {
                    var eyes = shape.Eyes.Count > 0 ? shape.Eyes.Select(local.MapPoint).ToArray() : InanimateEyes(shape, local);
                    float r = MathF.Max(shape.EyeRadius * s * 1.5f, 4f);
                    var glass = Fill(StylePalette.Map(style, dark));
                    foreach (var e in eyes) c.DrawRect(new SKRect(e.X - r, e.Y - r * 0.75f, e.X + r, e.Y + r * 0.75f), glass);
                    if (eyes.Length == 2) c.DrawRect(new SKRect(Math.Min(eyes[0].X, eyes[1].X), eyes[0].Y - r * 0.6f, Math.Max(eyes[0].X, eyes[1].X), eyes[0].Y - r * 0.6f + 2), glass);
                    else c.DrawRect(new SKRect(eyes[0].X - r - 5, eyes[0].Y - r * 0.6f, eyes[0].X, eyes[0].Y - r * 0.6f + 2), glass);
                    break;
                }
            }
        });
    }

    private static SKPoint[] InanimateEyes(ObjectShape shape, SKMatrix local)
    {
        var mid = new SKPoint(shape.HeadTop.X, shape.HeadTop.Y * 0.45f);
        float dx = 0.28f * shape.HeadWidth;
        return [local.MapPoint(new SKPoint(mid.X - dx, mid.Y)), local.MapPoint(new SKPoint(mid.X + dx, mid.Y))];
    }

    private static float Distance(SKColor a, SKColor b) =>
        MathF.Abs(a.Red - b.Red) + MathF.Abs(a.Green - b.Green) + MathF.Abs(a.Blue - b.Blue);

    internal static SKPaint Fill(SKColor c) => new() { IsAntialias = false, Style = SKPaintStyle.Fill, Color = c };

    internal static SKColor[] Blank() => new SKColor[S * S];

    /// <summary>Runs a drawing into a fresh transparent layer and returns its pixels.</summary>
    internal static SKColor[] Paint(Action<SKCanvas> draw)
    {
        using var bitmap = new SKBitmap(Info);
        using (var canvas = new SKCanvas(bitmap)) { canvas.Clear(SKColors.Transparent); draw(canvas); }
        return bitmap.Pixels;
    }

    /// <summary>Copies the overlay's opaque pixels where the body layer is opaque (pattern/texture clipped to the body).</summary>
    private static void OverlayInside(SKColor[] body, SKColor[] overlay)
    {
        for (int i = 0; i < body.Length; i++)
            if (body[i].Alpha == 255 && overlay[i].Alpha == 255) body[i] = overlay[i];
    }

    /// <summary>A highlight: lightens the body's own colors (whatever the texture) where the overlay is opaque.</summary>
    private static void LightenInside(SKColor[] body, SKColor[] overlay, float amount)
    {
        for (int i = 0; i < body.Length; i++)
            if (body[i].Alpha == 255 && overlay[i].Alpha == 255) body[i] = StylePalette.Mix(body[i], SKColors.White, amount);
    }

    /// <summary>Draws a layer over another: opaque pixels replace, transparent keep; partial alpha is a bug (antialiasing).</summary>
    internal static void Over(SKColor[] target, SKColor[] layer)
    {
        for (int i = 0; i < target.Length; i++)
        {
            byte a = layer[i].Alpha;
            if (a == 255) target[i] = layer[i];
            else if (a != 0) throw new InvalidOperationException($"partially transparent object pixel {i} (alpha {a}): antialiasing must be off");
        }
    }
}
