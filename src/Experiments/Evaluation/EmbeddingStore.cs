using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.Evaluation;

/// <summary>
/// Computes the embeddings of many images with one <see cref="IImageEmbedder"/>, in batches, reading and filling an
/// optional <see cref="EmbeddingCache"/> keyed by the image (+ mask) content hash and the scorer id (which includes
/// the masking and EXIF settings).
/// </summary>
public sealed class EmbeddingStore(IImageEmbedder embedder, EmbeddingCache? cache, ForegroundMask? masking,
                                   bool applyExifOrientation, int batchSize = 16)
{
    /// <summary>The cache id: the embedder's id plus the image-loading settings.</summary>
    public string Id { get; } = $"{embedder.Id}|exif={applyExifOrientation}|{masking?.Describe() ?? "unmasked"}";

    /// <summary>Embeds every image (each row L2-normalised), in order.</summary>
    public float[][] Embed(IReadOnlyList<EvalImage> images)
    {
        var result = new float[images.Count][];
        var missing = new List<(int Index, string Hash)>();
        for (int i = 0; i < images.Count; i++)
        {
            string hash = images[i].ContentHash();
            var cached = cache?.TryGet(Id, hash);
            if (cached is not null) result[i] = cached;
            else missing.Add((i, hash));
        }
        for (int start = 0; start < missing.Count; start += batchSize)
        {
            var batch = missing.Skip(start).Take(batchSize).ToList();
            // Decoding and PIL resampling run on all cores (plain byte arrays); tensors are built on this thread.
            var resized = InParallel(batch, b => ResizeAndCrop(images[b.Index]));
            using var _ = NewDisposeScope();
            var pixels = torch.stack(resized.Select(r => embedder.Preprocessor.Normalize(r.Pixels, r.Height, r.Width)).ToArray());
            var embeds = embedder.EmbedPixels(pixels).contiguous();
            for (int j = 0; j < batch.Count; j++)
            {
                float[] row = embeds[j].data<float>().ToArray();
                result[batch[j].Index] = row;
                cache?.Put(Id, batch[j].Hash, row);
            }
        }
        return result;
    }

    /// <summary>PLINQ, rethrowing the first failure itself (its message names the file), not an AggregateException.</summary>
    private static List<TOut> InParallel<TIn, TOut>(List<TIn> items, Func<TIn, TOut> work)
    {
        try
        {
            return items.AsParallel().AsOrdered().Select(work).ToList();
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            throw;
        }
    }

    private (byte[] Pixels, int Height, int Width) ResizeAndCrop(EvalImage image)
    {
        using var rgb = image.Load(masking, applyExifOrientation);
        return embedder.Preprocessor.ResizeAndCrop(rgb.data<byte>().ToArray(), (int)rgb.shape[1], (int)rgb.shape[2]);
    }

    /// <summary>Text embeddings through the same cache (key: SHA-256 of the UTF-8 text).</summary>
    public static float[][] EmbedTexts(ClipScorer scorer, EmbeddingCache? cache, IReadOnlyList<string> texts)
    {
        var result = new float[texts.Count][];
        var hashes = texts.Select(t => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(t))).ToLowerInvariant()).ToArray();
        var missing = new List<int>();
        for (int i = 0; i < texts.Count; i++)
        {
            var cached = cache?.TryGet(scorer.TextId, hashes[i]);
            if (cached is not null) result[i] = cached;
            else missing.Add(i);
        }
        if (missing.Count == 0) return result;
        using var _ = NewDisposeScope();
        var embeds = scorer.EmbedTexts(missing.Select(i => texts[i]).ToList()).contiguous();
        for (int j = 0; j < missing.Count; j++)
        {
            float[] row = embeds[j].data<float>().ToArray();
            result[missing[j]] = row;
            cache?.Put(scorer.TextId, hashes[missing[j]], row);
        }
        return result;
    }
}
