using Repro.Model.IO;
using Repro.Model.Pipeline;
using SkiaSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.Sampling;

/// <summary>
/// Draws <see cref="TokenHeatmaps"/> as the papers' attention figures: the generated image, then one column per prompt
/// token with its map (jet colours) blended over the image, the token written under each column. One row per prompt.
/// </summary>
public static class HeatmapFigure
{
    private const int LabelHeight = 22;

    public static void Save(IReadOnlyList<TokenHeatmaps> rows, string path, int cell = 160)
    {
        if (rows.Count == 0) throw new ArgumentException("no heatmaps to draw");
        int columns = rows.Max(r => r.Tokens.Count) + 1;
        using var surface = SKSurface.Create(new SKImageInfo(columns * cell, rows.Count * (cell + LabelHeight)));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var font = new SKFont(SKTypeface.Default, 13);
        using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        for (int r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            var rgb = ImageIO.ToRgbBytes(row.Image);
            float top = r * (cell + LabelHeight);
            Draw(canvas, Bitmap(rgb, null), 0, top, cell);
            canvas.DrawText("image", 4, top + cell + 16, font, paint);
            for (int t = 0; t < row.Tokens.Count; t++)
            {
                var heat = row.Maps[t].contiguous().data<float>().ToArray();
                Draw(canvas, Bitmap(rgb, heat), (t + 1) * cell, top, cell);
                canvas.DrawText(row.Tokens[t], (t + 1) * cell + 4, top + cell + 16, font, paint);
            }
        }
        using var png = surface.Snapshot().Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.WriteStream(path, png.SaveTo);
    }

    private static void Draw(SKCanvas canvas, SKBitmap bitmap, float x, float y, int cell)
    {
        using (bitmap)
        using (var image = SKImage.FromBitmap(bitmap))
            canvas.DrawImage(image, new SKRect(x, y, x + cell, y + cell), new SKSamplingOptions(SKFilterMode.Linear));
    }

    /// <summary>The image, or 50 % image + 50 % jet(heat) when a heatmap is given.</summary>
    private static SKBitmap Bitmap(byte[,,] rgb, float[]? heat)
    {
        int h = rgb.GetLength(0), w = rgb.GetLength(1);
        var bitmap = new SKBitmap(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque);
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            var (r, g, b) = (rgb[y, x, 0], rgb[y, x, 1], rgb[y, x, 2]);
            if (heat is not null)
            {
                var (jr, jg, jb) = Jet(heat[y * w + x]);
                (r, g, b) = ((byte)((r + jr) / 2), (byte)((g + jg) / 2), (byte)((b + jb) / 2));
            }
            bitmap.SetPixel(x, y, new SKColor(r, g, b));
        }
        return bitmap;
    }

    /// <summary>The jet colour map (blue → cyan → yellow → red) at v ∈ [0, 1].</summary>
    public static (byte R, byte G, byte B) Jet(float v)
    {
        static byte C(double x) => (byte)Math.Round(255 * Math.Clamp(x, 0, 1));
        double t = Math.Clamp(v, 0, 1);
        return (C(1.5 - Math.Abs(4 * t - 3)), C(1.5 - Math.Abs(4 * t - 2)), C(1.5 - Math.Abs(4 * t - 1)));
    }
}
