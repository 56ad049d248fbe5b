using Repro.Model.IO;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Repro.Experiments.Evaluation;

/// <summary>
/// Per-image score cache: the embedding every CLIP-I/CLIP-T/DINO score of an image is a dot product of, stored
/// one file per (scorer id, content hash) as <c>DIR/&lt;sha256(scorer id)[..16]&gt;/&lt;content hash&gt;.emb</c>
/// (magic "REMB", int32 dim, dim float32, little-endian). Writes go to a temp file renamed into place, so a
/// killed run leaves no partial entry; a file of the wrong length is ignored and rewritten.
/// </summary>
public sealed class EmbeddingCache(string directory)
{
    private static readonly byte[] Magic = "REMB"u8.ToArray();

    public string Directory { get; } = Path.GetFullPath(directory);

    /// <summary>Cache hits and misses since construction (a re-run should show no misses).</summary>
    public int Hits { get; private set; }
    public int Misses { get; private set; }

    public float[]? TryGet(string scorerId, string contentHash)
    {
        string path = PathOf(scorerId, contentHash);
        if (!File.Exists(path)) { Misses++; return null; }
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8 || !bytes.AsSpan(0, 4).SequenceEqual(Magic)) { Misses++; return null; }
        int dim = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4));
        if (dim <= 0 || bytes.Length != 8 + 4 * dim) { Misses++; return null; }
        var values = new float[dim];
        for (int i = 0; i < dim; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + 4 * i));
        Hits++;
        return values;
    }

    public void Put(string scorerId, string contentHash, float[] embedding)
    {
        string path = PathOf(scorerId, contentHash);
        string idFile = Path.Combine(Path.GetDirectoryName(path)!, "scorer.txt");
        if (!File.Exists(idFile)) AtomicFile.WriteAllText(idFile, scorerId + "\n");
        var bytes = new byte[8 + 4 * embedding.Length];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), embedding.Length);
        for (int i = 0; i < embedding.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(8 + 4 * i), embedding[i]);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    public string PathOf(string scorerId, string contentHash)
    {
        string scorer = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(scorerId)))[..16].ToLowerInvariant();
        return Path.Combine(Directory, scorer, contentHash + ".emb");
    }
}
