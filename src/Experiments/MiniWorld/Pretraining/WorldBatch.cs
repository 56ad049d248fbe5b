using Repro.Model.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.MiniWorld.Pretraining;

/// <summary>One rendered example: the scene, its caption (phrasing choices kept so variants can reuse them) and the image.</summary>
public sealed record WorldExample(Scene Scene, string Caption, int Phrasing, int BackgroundPhrase, bool IncludeBackground, RenderedImage Image)
{
    /// <summary>The same caption for a changed scene (same phrasing and background phrase).</summary>
    public string CaptionOf(Scene changed) => CaptionGrammar.Caption(changed, Phrasing, BackgroundPhrase, IncludeBackground);
}

/// <summary>
/// Streams the pretraining distribution: example <c>i</c> of a split is rendered on the fly from
/// <see cref="WorldSampler.SeedFor"/>(seed, split, i), so a batch depends only on (seed, split, step) and
/// resuming needs no data state. Step s of a stage uses examples [s·B, (s+1)·B).
/// </summary>
public static class WorldBatch
{
    public const long WorldSeed = 0;

    /// <summary>Offset of the seed of the instance variations' own stream (a varied example keeps its scene and caption).</summary>
    public const long VariationSeedOffset = 7919;

    /// <summary>
    /// Example <paramref name="index"/>; the caption draws exactly as <see cref="WorldSampler.Captioned"/>. With
    /// <paramref name="varied"/>, the same scene and caption with the subject made one instance of its category.
    /// </summary>
    public static WorldExample Example(long seed, WorldSplit split, long index, bool varied = false)
    {
        var rng = new Random(WorldSampler.SeedFor(seed, split, index));
        var scene = WorldSampler.Sample(rng);
        int phrasing = rng.Next(3), bg = rng.Next(3);
        bool includeBg = rng.NextDouble() >= 0.1;
        string caption = CaptionGrammar.Caption(scene, phrasing, bg, includeBg);
        if (varied)
            scene = scene with { Variation = InstanceVariation.Sample(new Random(WorldSampler.SeedFor(seed + VariationSeedOffset, split, index)), scene.Color!.Value) };
        return new WorldExample(scene, caption, phrasing, bg, includeBg, SceneRenderer.Render(scene));
    }

    /// <summary>Offset of the seed of the instance views' stream (<see cref="InstanceViews"/>).</summary>
    public const long InstanceSeedOffset = 104729;

    /// <summary>
    /// Three scenes for learning an instance's identity: <c>Anchor</c>, a varied instance in its scene; <c>Same</c>, that
    /// instance (category, color, pattern, variation, style) in another scene (background, place, size, mirror,
    /// accessory, companion); <c>Sibling</c>, another instance of the same category, color and pattern in <c>Same</c>'s scene.
    /// </summary>
    public static (Scene Anchor, Scene Same, Scene Sibling) InstanceViews(long seed, WorldSplit split, long index)
    {
        var rng = new Random(WorldSampler.SeedFor(seed + InstanceSeedOffset, split, index));
        var anchor = WorldSampler.Sample(rng);
        anchor = anchor with { Variation = InstanceVariation.Sample(rng, anchor.Color!.Value) };
        var context = WorldSampler.Sample(rng);
        var same = context with
        {
            Category = anchor.Category, Color = anchor.Color, Pattern = anchor.Pattern, Variation = anchor.Variation, Style = anchor.Style,
            Companion = context.Companion == anchor.Category ? null : context.Companion,
        };
        var variation = InstanceVariation.Sample(rng, anchor.Color!.Value);
        while (!Distinct(variation, anchor.Variation!)) variation = InstanceVariation.Sample(rng, anchor.Color!.Value);
        return (anchor, same, same with { Variation = variation });
    }

    /// <summary>Whether two instances look different: other further colors, or proportions more than 10% apart.</summary>
    private static bool Distinct(InstanceVariation a, InstanceVariation b) =>
        a.Second != b.Second || a.Third != b.Third || MathF.Abs(a.AspectX - b.AspectX) > 0.1f || MathF.Abs(a.AspectY - b.AspectY) > 0.1f;

    public static WorldExample[] Examples(long seed, WorldSplit split, long start, int count, bool varied = false)
    {
        var result = new WorldExample[count];
        for (int i = 0; i < count; i++) result[i] = Example(seed, split, start + i, varied);
        return result;
    }

    /// <summary>Images as (B, 3, H, W) float32 in [-1, 1] (the VAE/UNet convention).</summary>
    public static Tensor Pixels(IReadOnlyList<RenderedImage> images)
    {
        int h = images[0].Height, w = images[0].Width, plane = h * w;
        var data = new float[images.Count * 3 * plane];
        for (int b = 0; b < images.Count; b++)
        {
            var rgb = images[b].Rgb;
            for (int p = 0; p < plane; p++)
                for (int c = 0; c < 3; c++)
                    data[(b * 3 + c) * plane + p] = rgb[3 * p + c] / 127.5f - 1f;
        }
        return torch.tensor(data, [images.Count, 3, h, w]);
    }

    /// <summary>CLIP pixel values from [-1, 1] images: (x+1)/2 normalised by CLIP's mean and std (images are already 64×64, the ViT size).</summary>
    public static Tensor ClipPixels(Tensor minusOneToOne)
    {
        // ((x + 1) / 2 - mean) / std = x·a + b with per-channel tensors (no implicit Scalars: see PretrainRunner).
        using var _ = torch.NewDisposeScope();
        var a = torch.tensor(Evaluation.ImagePreprocessor.ClipStd.Select(s => 0.5f / s).ToArray()).reshape(1, 3, 1, 1);
        var b = torch.tensor(Evaluation.ImagePreprocessor.ClipMean.Zip(Evaluation.ImagePreprocessor.ClipStd, (m, s) => (0.5f - m) / s).ToArray()).reshape(1, 3, 1, 1);
        return (minusOneToOne * a + b).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Token ids (N, maxLength) padded as the pipelines pad. With <paramref name="trim"/>, columns after the last EOS of
    /// the batch are dropped: under the causal mask they cannot change the pooled (first-EOS) state, so CLIP features are
    /// the same, ~3× cheaper (not for the UNet, whose cross-attention sees every position).
    /// </summary>
    public static Tensor Tokens(ClipTokenizer tokenizer, IReadOnlyList<string> texts, bool trim = false)
    {
        int length = tokenizer.ModelMaxLength;
        if (trim) length = Math.Min(length, texts.Max(t => tokenizer.Encode(t).Length) + 2);
        var ids = new long[texts.Count * length];
        for (int i = 0; i < texts.Count; i++)
        {
            var row = tokenizer.EncodePadded(texts[i], length);
            for (int j = 0; j < length; j++) ids[i * length + j] = row[j];
        }
        return torch.tensor(ids, [texts.Count, length], dtype: ScalarType.Int64);
    }

    /// <summary>The attributes a caption can state and a model is judged on.</summary>
    public static readonly string[] Attributes = ["shape", "color", "background", "style"];

    /// <summary>Whether the caption of <paramref name="scene"/> states <paramref name="attribute"/> (color is unstated in monochrome styles).</summary>
    public static bool States(WorldExample e, string attribute) => attribute switch
    {
        "color" => WorldVocabulary.KeepsColor(e.Scene.Style),
        "background" => e.IncludeBackground,
        _ => true,
    };

    /// <summary>
    /// Every value of <paramref name="attribute"/> substituted into the scene (index of the true value returned):
    /// the captions differ from the true one in that attribute only.
    /// </summary>
    public static (Scene[] Variants, int TrueIndex) Variants(Scene s, string attribute) => attribute switch
    {
        "shape" => (WorldVocabulary.Categories.Select(c => s with { Category = c, Companion = s.Companion == c ? null : s.Companion }).ToArray(),
                    IndexOf(WorldVocabulary.Categories, s.Category)),
        "color" => (WorldVocabulary.Colors.Select(c => s with { Color = c }).ToArray(), IndexOf(WorldVocabulary.Colors, s.Color!.Value)),
        "background" => (WorldVocabulary.Backgrounds.Select(b => s with { Background = b }).ToArray(), IndexOf(WorldVocabulary.Backgrounds, s.Background)),
        "style" => (WorldVocabulary.Styles.Select(st => s with { Style = st }).ToArray(), IndexOf(WorldVocabulary.Styles, s.Style)),
        _ => throw new ArgumentException($"unknown attribute '{attribute}'"),
    };

    private static int IndexOf<T>(IReadOnlyList<T> values, T value) => values.ToList().IndexOf(value);

    /// <summary>
    /// <paramref name="count"/> hard negatives: the caption with one stated attribute changed to another value
    /// (shape twice as often: random batches already separate background and style).
    /// </summary>
    public static List<string> HardNegatives(WorldExample e, int count, Random rng)
    {
        string[] pool = ["shape", "shape", "color", "background", "style"];
        var result = new List<string>();
        while (result.Count < count)
        {
            string a = pool[rng.Next(pool.Length)];
            if (!States(e, a)) a = "shape";
            var (variants, truth) = Variants(e.Scene, a);
            int pick = rng.Next(variants.Length - 1);
            if (pick >= truth) pick++;
            result.Add(e.CaptionOf(variants[pick]));
        }
        return result;
    }
}
