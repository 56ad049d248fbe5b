using SkiaSharp;

namespace Repro.Experiments.MiniWorld;

/// <summary>
/// Paints the ten backgrounds at 64×64: each has its own layout (horizon, bands, lattice, blobs) so it stays
/// recognisable in the monochrome styles; decorations are at least 3–4 px and placed from the scene's seed.
/// </summary>
public static class BackgroundPainter
{
    private const int S = Scene.Size;

    public static void Paint(SKCanvas canvas, Background background, Style style, int detailSeed)
    {
        var rng = new Random(detailSeed);
        var d = new Drawer(canvas, style);
        switch (background)
        {
            case Background.Grass:
                d.Rect(0, 0, S, S, new(150, 200, 240));
                d.Rect(0, 26, S, S, new(115, 185, 70));
                for (int i = 0; i < 9; i++)
                {
                    float x = rng.Next(0, S), y = rng.Next(32, S);
                    d.Path(ShapeGeometry.Poly(x - 3, y, x, y - 7, x + 3, y), new(70, 140, 45));
                }
                break;
            case Background.Snow:
                d.Rect(0, 0, S, S, new(195, 210, 228));
                d.Path(ShapeGeometry.Poly(-10, 34, 18, 6, 46, 34), new(140, 155, 180));
                d.Path(ShapeGeometry.Poly(24, 34, 48, 12, 74, 34), new(155, 168, 190));
                d.Path(ShapeGeometry.Poly(11, 13, 18, 6, 25, 13), SKColors.White);
                d.Path(ShapeGeometry.Poly(42, 18, 48, 12, 54, 18), SKColors.White);
                d.Rect(0, 34, S, S, new(250, 251, 253));
                for (int i = 0; i < 5; i++) d.Circle(rng.Next(2, S - 2), rng.Next(40, S), 2.5f, new(225, 232, 242));
                break;
            case Background.Beach:
                d.Rect(0, 0, S, S, new(120, 190, 245));
                d.Circle(rng.Next(40, 56), 10, 6, new(255, 225, 80));
                d.Rect(0, 22, S, 36, new(30, 110, 200));
                d.Rect(0, 36, S, S, new(238, 210, 150));
                break;
            case Background.Night:
                d.Rect(0, 0, S, S, new(18, 22, 62));
                d.Circle(rng.Next(8, 56), 10, 6, new(245, 240, 200));
                for (int i = 0; i < 6; i++) d.Rect(rng.Next(2, 60), rng.Next(2, 44), 0, 0, new(230, 230, 170), size: 3);
                d.Rect(0, 50, S, S, new(30, 34, 50));
                break;
            case Background.Brick:
                d.Rect(0, 0, S, S, new(205, 195, 182));
                for (int row = 0; row < 6; row++)
                for (int col = -1; col < 5; col++)
                {
                    float x = col * 16 + (row % 2) * 8 + 3, y = row * 11 + 3;
                    d.Rect(x, y, x + 13, y + 8, row % 3 == 1 ? new(160, 62, 45) : new(178, 72, 50));
                }
                break;
            case Background.Jungle:
                d.Rect(0, 0, S, S, new(22, 80, 38));
                for (int i = 0; i < 3; i++) d.Rect(rng.Next(4, 58), 0, 0, S, new(95, 70, 35), size: 4);
                for (int i = 0; i < 10; i++)
                    d.Ellipse(rng.Next(0, S), rng.Next(0, S), 9, 4, rng.Next(0, 180), i % 2 == 0 ? new(55, 140, 55) : new(90, 170, 60));
                break;
            case Background.Water:
                d.Rect(0, 0, S, S, new(170, 210, 240));
                d.Rect(0, 16, S, S, new(40, 118, 198));
                for (int y = 22 + rng.Next(0, 4); y < S; y += 10)
                    for (int x = -rng.Next(0, 12); x < S; x += 14) d.Rect(x, y, x + 8, y + 3, new(110, 175, 230));
                break;
            case Background.City:
                d.Rect(0, 0, S, S, new(175, 195, 215));
                for (int x = -rng.Next(0, 6); x < S; x += 14)
                {
                    int top = rng.Next(8, 30);
                    d.Rect(x, top, x + 12, 52, new(95, 95, 115));
                    for (int wy = top + 3; wy < 48; wy += 7) { d.Rect(x + 2, wy, x + 5, wy + 3, new(250, 215, 90)); d.Rect(x + 7, wy, x + 10, wy + 3, new(250, 215, 90)); }
                }
                d.Rect(0, 52, S, S, new(60, 60, 66));
                break;
            case Background.Table:
                d.Rect(0, 0, S, S, new(232, 222, 200));
                d.Rect(0, 8, S, 11, new(210, 195, 170));
                d.Rect(0, 36, S, S, new(155, 98, 52));
                for (int y = 44; y < S; y += 9) d.Rect(0, y, S, y + 3, new(125, 78, 40));
                break;
            case Background.Sky:
                d.Rect(0, 0, S, S, new(125, 185, 250));
                for (int i = 0; i < 3; i++)
                {
                    float cx = rng.Next(4, 60), cy = 8 + i * 20 + rng.Next(0, 6);
                    d.Ellipse(cx, cy, 10, 4, 0, SKColors.White);
                    d.Circle(cx - 3, cy - 3, 4.5f, SKColors.White);
                    d.Circle(cx + 4, cy - 2, 3.5f, SKColors.White);
                }
                break;
            default: throw new ArgumentOutOfRangeException(nameof(background));
        }
        if (style == Style.Watercolor) WatercolorWash(d, rng);
    }

    /// <summary>Watercolor: a few large translucent washes and a paper margin (flat, no per-pixel noise).</summary>
    private static void WatercolorWash(Drawer d, Random rng)
    {
        for (int i = 0; i < 4; i++) d.Circle(rng.Next(0, S), rng.Next(0, S), rng.Next(10, 18), StylePalette.Paper.WithAlpha(90), map: false);
        d.Rect(0, 0, S, 3, StylePalette.Paper, map: false); d.Rect(0, S - 3, S, S, StylePalette.Paper, map: false);
        d.Rect(0, 0, 3, S, StylePalette.Paper, map: false); d.Rect(S - 3, 0, S, S, StylePalette.Paper, map: false);
    }

    /// <summary>Non-antialiased fills with every color mapped through the style.</summary>
    private sealed class Drawer(SKCanvas canvas, Style style)
    {
        private readonly SKPaint _paint = new() { IsAntialias = false, Style = SKPaintStyle.Fill };

        private SKPaint With(SKColor c, bool map) { _paint.Color = map ? StylePalette.Map(style, c).WithAlpha(c.Alpha) : c; return _paint; }

        /// <summary>A rectangle; with <paramref name="size"/> &gt; 0 a size×size square (or a size-wide column when b == S).</summary>
        public void Rect(float l, float t, float r, float b, SKColor c, float size = 0, bool map = true)
        {
            if (size > 0) { r = l + size; b = b == S ? S : t + size; }
            canvas.DrawRect(new SKRect(l, t, r, b), With(c, map));
        }

        public void Circle(float x, float y, float r, SKColor c, bool map = true) => canvas.DrawCircle(x, y, r, With(c, map));

        public void Ellipse(float x, float y, float rx, float ry, float degrees, SKColor c)
        {
            canvas.Save();
            canvas.RotateDegrees(degrees, x, y);
            canvas.DrawOval(new SKRect(x - rx, y - ry, x + rx, y + ry), With(c, true));
            canvas.Restore();
        }

        public void Path(SKPath p, SKColor c) { using (p) canvas.DrawPath(p, With(c, true)); }
    }
}
