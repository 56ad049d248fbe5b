using Repro.Model.IO;
using System.Text;
using System.Text.Json;

namespace Repro.Experiments.MiniWorld;

/// <summary>Dataset splits; each split draws from its own seed stream, so held-out scenes are never training scenes' draws.</summary>
public enum WorldSplit { Train, Heldout }

/// <summary>One written dataset row (captions.jsonl).</summary>
public sealed record DatasetEntry(string File, string Mask, string Caption, string Category, bool Animate, string Color,
    bool ColorVisible, string Pattern, string Background, string Style, string Accessory, string? Companion,
    float X, float Y, float Scale, bool Mirror);

/// <summary>
/// The pretraining distribution: uniform over category, color, pattern, background and style, with an accessory
/// (25%) and a companion object (20%). Only generic shapes and single-hue patterns: never a personal concept.
/// Every image has its own <see cref="Random"/>, seeded from (seed, split, index): deterministic and order-free.
/// </summary>
public static class WorldSampler
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>A stable (process-independent) seed for one image: splitmix64 over the parts.</summary>
    public static int SeedFor(long seed, WorldSplit split, long index)
    {
        ulong h = 0x9E3779B97F4A7C15UL;
        foreach (ulong part in new[] { (ulong)seed, (ulong)split + 0x51ED, (ulong)index })
        {
            h ^= part + 0x9E3779B97F4A7C15UL + (h << 6) + (h >> 2);
            h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
            h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
            h ^= h >> 31;
        }
        return (int)(h & 0x7FFFFFFF);
    }

    public static Scene Sample(long seed, WorldSplit split, long index) => Sample(new Random(SeedFor(seed, split, index)));

    /// <summary>A scene of the pretraining distribution.</summary>
    public static Scene Sample(Random rng)
    {
        var category = Pick(rng, WorldVocabulary.Categories);
        var color = Pick(rng, WorldVocabulary.Colors);
        var pattern = Pick(rng, WorldVocabulary.Patterns);
        var background = Pick(rng, WorldVocabulary.Backgrounds);
        var style = Pick(rng, WorldVocabulary.Styles);
        var accessory = rng.NextDouble() < 0.25 ? WorldVocabulary.Accessories[1 + rng.Next(WorldVocabulary.Accessories.Count - 1)] : Accessory.None;
        Category? companion = rng.NextDouble() < 0.2 ? Pick(rng, WorldVocabulary.Categories.Where(c => c != category).ToArray()) : null;
        var companionColor = Pick(rng, WorldVocabulary.Colors);
        var (x, y, s) = Place(rng, accessory == Accessory.Hat, companion is not null);
        return new Scene(category, color, pattern, background, style, x, y, s, rng.Next(2) == 1, accessory,
            companion, companionColor, rng.Next());
    }

    /// <summary>Center and half-size keeping the object (and a hat) inside the frame; with a companion, one side.</summary>
    public static (float X, float Y, float Scale) Place(Random rng, bool hat, bool companion)
    {
        const float margin = 4;
        float s = companion ? 11 + rng.Next(9) * 0.5f : 12 + rng.Next(17) * 0.5f;
        float lo = s + margin, hi = Scene.Size - s - margin;
        if (companion) { if (rng.Next(2) == 0) hi = 30; else lo = 34; }
        float x = lo + (float)rng.NextDouble() * (hi - lo);
        float top = s + margin + (hat ? 0.5f * s : 0), bottom = Scene.Size - s - margin;
        float y = top + (float)rng.NextDouble() * Math.Max(0, bottom - top);
        return (MathF.Round(x * 2) / 2, MathF.Round(y * 2) / 2, s);
    }

    public static T Pick<T>(Random rng, IReadOnlyList<T> values) => values[rng.Next(values.Count)];

    /// <summary>Scene, its rendering and a sampled caption for image <paramref name="index"/>.</summary>
    public static (Scene Scene, string Caption) Captioned(long seed, WorldSplit split, long index)
    {
        var rng = new Random(SeedFor(seed, split, index));
        var scene = Sample(rng);
        return (scene, CaptionGrammar.Sample(scene, rng));
    }

    /// <summary>
    /// Writes <c>images/NNNNNN.png</c>, <c>masks/NNNNNN.png</c> and <c>captions.jsonl</c> (written last, atomically).
    /// </summary>
    public static IReadOnlyList<DatasetEntry> WriteDataset(string dir, int count, long seed, WorldSplit split, Action<string>? log = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var entries = new DatasetEntry[count];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount / 2) }, i =>
        {
            var (scene, caption) = Captioned(seed, split, i);
            var image = SceneRenderer.Render(scene);
            string file = $"images/{i:D6}.png", mask = $"masks/{i:D6}.png";
            image.SavePng(Path.Combine(dir, file));
            image.SaveMaskPng(Path.Combine(dir, mask));
            entries[i] = new DatasetEntry(file, mask, caption, WorldVocabulary.Word(scene.Category), WorldVocabulary.IsAnimate(scene.Category),
                WorldVocabulary.Word(scene.Color!.Value), WorldVocabulary.KeepsColor(scene.Style), scene.Pattern.ToString().ToLowerInvariant(),
                scene.Background.ToString().ToLowerInvariant(), scene.Style.ToString().ToLowerInvariant(),
                scene.Accessory.ToString().ToLowerInvariant(), scene.Companion is { } c ? WorldVocabulary.Word(c) : null,
                scene.X, scene.Y, scene.Scale, scene.Mirror);
            if ((i + 1) % 5000 == 0) log?.Invoke($"rendered {i + 1}/{count}");
        });
        var text = new StringBuilder();
        foreach (var e in entries) text.Append(JsonSerializer.Serialize(e, Json)).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(dir, "captions.jsonl"), text.ToString());
        log?.Invoke($"wrote {count} images, masks and captions.jsonl to {dir}");
        return entries;
    }

    /// <summary>Tiles images into one picture (gap pixels white, optional nearest-neighbour zoom); mask left empty.</summary>
    public static RenderedImage ContactSheet(IReadOnlyList<RenderedImage> images, int columns, int zoom = 1, int gap = 2)
    {
        int cell = Scene.Size * zoom + gap, rows = (images.Count + columns - 1) / columns;
        int w = columns * cell + gap, h = rows * cell + gap;
        var rgb = Enumerable.Repeat((byte)255, w * h * 3).ToArray();
        for (int k = 0; k < images.Count; k++)
        {
            int ox = gap + k % columns * cell, oy = gap + k / columns * cell;
            var img = images[k];
            for (int y = 0; y < img.Height * zoom; y++)
            for (int x = 0; x < img.Width * zoom; x++)
            {
                int src = ((y / zoom) * img.Width + x / zoom) * 3, dst = ((oy + y) * w + ox + x) * 3;
                rgb[dst] = img.Rgb[src]; rgb[dst + 1] = img.Rgb[src + 1]; rgb[dst + 2] = img.Rgb[src + 2];
            }
        }
        return new RenderedImage(w, h, rgb, new byte[w * h]);
    }
}
