using System.Collections.Concurrent;
using System.Text;

namespace Repro.Model.Tokenizers;

/// <summary>
/// CLIP's byte-level BPE over one pre-tokenized word: the word's UTF-8 bytes are mapped to printable
/// characters (GPT-2 byte-to-unicode table), the last symbol gets the <c>&lt;/w&gt;</c> end-of-word
/// marker, then merges are applied exactly like <c>CLIPTokenizer.bpe</c>: repeatedly take the
/// lowest-ranked adjacent pair and merge all its occurrences left to right. Results are cached per word.
/// </summary>
internal sealed class ClipBpe
{
    public const string EndOfWord = "</w>";

    private static readonly string[] ByteToUnicode = BuildByteToUnicode();
    private static readonly Dictionary<char, byte> UnicodeToByte = BuildUnicodeToByte();

    private readonly Dictionary<(string, string), int> _ranks;
    private readonly ConcurrentDictionary<string, string[]> _cache = new(StringComparer.Ordinal);

    public ClipBpe(IReadOnlyList<(string Left, string Right)> merges)
    {
        _ranks = new Dictionary<(string, string), int>(merges.Count);
        for (int i = 0; i < merges.Count; i++)
            _ranks.TryAdd(merges[i], i);
        // CLIPTokenizer seeds its cache with the two specials: they never go through the merge loop.
        _cache["<|startoftext|>"] = ["<|startoftext|>"];
        _cache["<|endoftext|>"] = ["<|endoftext|>"];
    }

    public int MergeCount => _ranks.Count;

    /// <summary>Maps a word's UTF-8 bytes to the byte-level alphabet.</summary>
    public static string ByteEncode(string word)
    {
        var sb = new StringBuilder(word.Length * 2);
        foreach (byte b in Encoding.UTF8.GetBytes(word))
            sb.Append(ByteToUnicode[b]);
        return sb.ToString();
    }

    /// <summary>Inverse of <see cref="ByteEncode"/> (invalid UTF-8 becomes U+FFFD, like errors="replace").</summary>
    public static string ByteDecode(string symbols)
    {
        var bytes = new List<byte>(symbols.Length);
        foreach (char c in symbols)
        {
            if (UnicodeToByte.TryGetValue(c, out byte b)) bytes.Add(b);
            else bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>BPE symbols of one byte-encoded word (the last one ends with &lt;/w&gt;).</summary>
    public string[] Encode(string token) => _cache.GetOrAdd(token, Merge);

    private string[] Merge(string token)
    {
        var word = new List<string>(token.Length);
        // Python iterates code points; byte-encoded text is all BMP, so chars are code points.
        for (int i = 0; i < token.Length; i++) word.Add(token[i].ToString());
        if (word.Count == 0) return [];
        word[^1] += EndOfWord;
        if (word.Count == 1) return [.. word];

        while (word.Count > 1)
        {
            int bestRank = int.MaxValue;
            (string, string) best = default;
            for (int i = 0; i < word.Count - 1; i++)
            {
                if (_ranks.TryGetValue((word[i], word[i + 1]), out int r) && r < bestRank)
                {
                    bestRank = r;
                    best = (word[i], word[i + 1]);
                }
            }
            if (bestRank == int.MaxValue) break;

            var merged = new List<string>(word.Count);
            for (int i = 0; i < word.Count;)
            {
                if (i < word.Count - 1 && word[i] == best.Item1 && word[i + 1] == best.Item2)
                {
                    merged.Add(best.Item1 + best.Item2);
                    i += 2;
                }
                else merged.Add(word[i++]);
            }
            word = merged;
        }
        return [.. word];
    }

    private static string[] BuildByteToUnicode()
    {
        var map = new string[256];
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = ((char)(printable ? b : 256 + n++)).ToString();
        }
        return map;
    }

    private static Dictionary<char, byte> BuildUnicodeToByte()
    {
        var inverse = new Dictionary<char, byte>(256);
        for (int b = 0; b < 256; b++) inverse[ByteToUnicode[b][0]] = (byte)b;
        return inverse;
    }
}
