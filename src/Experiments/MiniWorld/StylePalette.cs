using SkiaSharp;

namespace Repro.Experiments.MiniWorld;

/// <summary>
/// How each style changes colors. Every color the renderer draws goes through <see cref="Map"/>, so a style
/// changes the whole image (background included) without per-pixel noise: photo keeps colors, vector art
/// saturates them, watercolor makes them pale, pencil is light gray on paper, manga is black / gray / white.
/// </summary>
public static class StylePalette
{
    public static readonly SKColor Paper = new(250, 247, 238);

    public static SKColor Rgb(WorldColor c) => c switch
    {
        WorldColor.Red => new(215, 35, 35),
        WorldColor.Orange => new(245, 140, 20),
        WorldColor.Yellow => new(245, 215, 30),
        WorldColor.Green => new(30, 150, 50),
        WorldColor.Blue => new(40, 90, 225),
        WorldColor.Purple => new(130, 50, 185),
        WorldColor.Pink => new(250, 125, 195),
        WorldColor.White => new(245, 245, 245),
        WorldColor.Black => new(30, 30, 30),
        _ => throw new ArgumentOutOfRangeException(nameof(c)),
    };

    /// <summary>Pattern ink: a darker shade of the same hue (a lighter one for dark colors), never another hue.</summary>
    public static SKColor Ink(SKColor c) => Luma(c) < 90 ? Mix(c, SKColors.White, 0.5f) : Scale(c, 0.55f);

    public static SKColor Map(Style style, SKColor c)
    {
        switch (style)
        {
            case Style.Photo: return c;
            case Style.Vector:
            {
                c.ToHsv(out float h, out float s, out float v);
                return SKColor.FromHsv(h, Math.Min(100, s * 1.35f), Math.Min(100, v * 1.1f));
            }
            case Style.Watercolor:
            {
                c.ToHsv(out float h, out float s, out float v);
                return Mix(SKColor.FromHsv(h, s * 0.8f, v), Paper, 0.28f);
            }
            case Style.Pencil:
            {
                byte g = (byte)(125 + Luma(c) * 0.48f);
                return new SKColor(g, g, (byte)Math.Max(0, g - 8));
            }
            case Style.Manga:
            {
                float l = Luma(c);
                return l < 80 ? new SKColor(15, 15, 15) : l < 175 ? new SKColor(150, 150, 150) : new SKColor(252, 252, 252);
            }
            default: throw new ArgumentOutOfRangeException(nameof(style));
        }
    }

    /// <summary>Outline color of an object whose main (style-mapped) color is <paramref name="fill"/>.</summary>
    public static SKColor Outline(Style style, SKColor fill) => style switch
    {
        Style.Photo => Scale(fill, 0.6f),
        Style.Watercolor => Scale(fill, 0.72f),
        Style.Pencil => new SKColor(70, 70, 72),
        Style.Manga => new SKColor(10, 10, 10),
        _ => new SKColor(20, 20, 35),
    };

    /// <summary>Outline width in pixels (thick enough to survive a 64×64 autoencoder).</summary>
    public static float OutlineWidth(Style style) => style switch
    {
        Style.Photo or Style.Watercolor => 2f,
        _ => 3f,
    };

    public static float Luma(SKColor c) => 0.299f * c.Red + 0.587f * c.Green + 0.114f * c.Blue;

    public static SKColor Scale(SKColor c, float f) =>
        new(Clamp(c.Red * f), Clamp(c.Green * f), Clamp(c.Blue * f));

    public static SKColor Mix(SKColor a, SKColor b, float t) =>
        new(Clamp(a.Red + (b.Red - a.Red) * t), Clamp(a.Green + (b.Green - a.Green) * t), Clamp(a.Blue + (b.Blue - a.Blue) * t));

    private static byte Clamp(float v) => (byte)Math.Clamp(MathF.Round(v), 0, 255);
}
