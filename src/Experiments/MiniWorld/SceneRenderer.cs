using Repro.Model.IO;
using SkiaSharp;

namespace Repro.Experiments.MiniWorld;

/// <summary>A rendered 64×64 scene: RGB bytes (row-major, 3 per pixel) and the subject's exact mask (0 or 255).</summary>
public sealed record RenderedImage(int Width, int Height, byte[] Rgb, byte[] Mask)
{
    public byte[] EncodePng() => Encode(Rgb, 3);

    public byte[] EncodeMaskPng() => Encode(Mask, 1);

    public void SavePng(string path) => AtomicFile.WriteAllBytes(path, EncodePng());

    public void SaveMaskPng(string path) => AtomicFile.WriteAllBytes(path, EncodeMaskPng());

    private byte[] Encode(byte[] data, int channels)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = new SKColor[Width * Height];
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = channels == 3 ? new SKColor(data[3 * i], data[3 * i + 1], data[3 * i + 2]) : new SKColor(data[i], data[i], data[i]);
        bitmap.Pixels = pixels;
        using var encoded = bitmap.Encode(SKEncodedImageFormat.Png, 100) ?? throw new IOException("PNG encoding failed");
        return encoded.ToArray();
    }
}

/// <summary>
/// Renders a <see cref="Scene"/>: background, optional companion object, the subject (generic or concept), then
/// its accessory. The mask is the subject's own layer (antialiasing off), minus the accessory drawn over it.
/// </summary>
public static class SceneRenderer
{
    private const int S = Scene.Size;

    public static RenderedImage Render(Scene scene) => Render(scene, drawSubject: true);

    /// <summary>With <paramref name="drawSubject"/> false: the same image without the subject (tests, masks).</summary>
    public static RenderedImage Render(Scene scene, bool drawSubject)
    {
        SKColor[] image;
        using (var bg = new SKBitmap(new SKImageInfo(S, S, SKColorType.Rgba8888, SKAlphaType.Premul)))
        {
            using (var canvas = new SKCanvas(bg)) { canvas.Clear(SKColors.White); BackgroundPainter.Paint(canvas, scene.Background, scene.Style, scene.DetailSeed); }
            image = bg.Pixels;
        }
        if (scene.Companion is { } companion)
        {
            float cs = scene.Scale * 0.55f;
            bool right = scene.X < S / 2f;
            float cx = Math.Clamp(scene.X + (right ? 1 : -1) * (scene.Scale + cs * 0.8f), cs + 2, S - cs - 2);
            float cy = Math.Clamp(scene.Y + scene.Scale - cs, cs + 2, S - cs - 2);
            var look = new ObjectPainter.Look([StylePalette.Rgb(scene.CompanionColor)], Pattern.Plain, null);
            ObjectPainter.Over(image, ObjectPainter.Draw(ShapeGeometry.Generic(companion), look, scene.Style, Frame(cx, cy, cs, !right)));
        }
        var mask = new byte[S * S];
        var shape = SubjectShape(scene);
        var subjectLook = SubjectLook(scene);
        var local = Frame(scene.X, scene.Y, scene.Scale, scene.Mirror);
        if (scene.Variation is { } variation) local = local.PreConcat(SKMatrix.CreateScale(variation.AspectX, variation.AspectY));
        if (drawSubject)
        {
            var subject = ObjectPainter.Draw(shape, subjectLook, scene.Style, local);
            ObjectPainter.Over(image, subject);
            for (int i = 0; i < mask.Length; i++) if (subject[i].Alpha == 255) mask[i] = 255;
        }
        if (scene.Accessory != Accessory.None)
        {
            var accessory = ObjectPainter.Accessory(scene.Accessory, shape, local, scene.Style, subjectLook.Palette[0]);
            ObjectPainter.Over(image, accessory);
            for (int i = 0; i < mask.Length; i++) if (accessory[i].Alpha == 255) mask[i] = 0;
        }
        foreach (var part in shape.Parts) part.Path.Dispose();
        var rgb = new byte[S * S * 3];
        for (int i = 0; i < image.Length; i++) { rgb[3 * i] = image[i].Red; rgb[3 * i + 1] = image[i].Green; rgb[3 * i + 2] = image[i].Blue; }
        return new RenderedImage(S, S, rgb, mask);
    }

    /// <summary>The local-to-pixel transform: center (x, y), half-size s, optionally mirrored left-right.</summary>
    public static SKMatrix Frame(float x, float y, float s, bool mirror) => SKMatrix.CreateScaleTranslation(mirror ? -s : s, s, x, y);

    private static ObjectShape SubjectShape(Scene scene) =>
        scene.Concept is { } concept ? concept.Shape() : ShapeGeometry.Generic(scene.Category);

    private static ObjectPainter.Look SubjectLook(Scene scene)
    {
        if (scene.Concept is { } concept)
        {
            var palette = concept.Palette.ToArray();
            if (scene.Color is { } recolor) palette[0] = StylePalette.Rgb(recolor);
            return new ObjectPainter.Look(palette, Pattern.Plain, concept.Texture);
        }
        var color = scene.Color ?? throw new ArgumentException("a generic scene needs a color", nameof(scene));
        return scene.Variation is { } variation
            ? new ObjectPainter.Look(variation.Palette(color), scene.Pattern, variation.Texture)
            : new ObjectPainter.Look([StylePalette.Rgb(color)], scene.Pattern, null);
    }
}
