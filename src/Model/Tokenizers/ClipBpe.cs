using System.Text;
using Microsoft.ML.Tokenizers;

namespace Repro.Model.Tokenizers;

/// <summary>
/// CLIP's byte-level BPE, run by Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>: the CLIP regex
/// (<see cref="ClipPreTokenizer"/>) cuts the normalised text into words, each word's UTF-8 bytes are mapped to
/// the GPT-2 byte alphabet (<c>ByteLevel</c>), the last symbol carries the <c>&lt;/w&gt;</c> end-of-word suffix
/// and merges are applied by rank; the library caches words. <c>&lt;|startoftext|&gt;</c>/<c>&lt;|endoftext|&gt;</c>
/// are special tokens there, like the seeded cache of <c>CLIPTokenizer.bpe</c> (they never get merged).
/// The parity tests check this against all transformers reference cases.
/// </summary>
internal sealed class ClipBpe
{
    public const string EndOfWord = "</w>";

    private static readonly Dictionary<char, byte> UnicodeToByte = BuildUnicodeToByte();
    private readonly BpeTokenizer _bpe;

    public ClipBpe(IReadOnlyDictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges,
        IEnumerable<string> specials, string unkToken)
    {
        var specialIds = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string s in specials)
            if (vocab.TryGetValue(s, out int id)) specialIds[s] = id;
        var options = new BpeOptions(vocab)
        {
            Merges = merges.Select(m => m.Left + " " + m.Right),
            PreTokenizer = ClipPreTokenizer.Instance,
            ByteLevel = true,
            EndOfWordSuffix = EndOfWord,
            SpecialTokens = specialIds,
            UnknownToken = vocab.ContainsKey(unkToken) ? unkToken : null,
        };
        _bpe = BpeTokenizer.Create(options);
    }

    /// <summary>BPE token strings of already-normalised text (word ends carry &lt;/w&gt;).</summary>
    public IEnumerable<string> Encode(string normalizedText) =>
        normalizedText.Length == 0 ? [] : _bpe.EncodeToTokens(normalizedText, out _).Select(t => t.Value);

    /// <summary>Maps byte-alphabet symbols back to text (invalid UTF-8 becomes U+FFFD, like errors="replace").</summary>
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

    // GPT-2 bytes_to_unicode: printable Latin-1 bytes map to themselves, the others to U+0100 upwards.
    private static Dictionary<char, byte> BuildUnicodeToByte()
    {
        var inverse = new Dictionary<char, byte>(256);
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            inverse[(char)(printable ? b : 256 + n++)] = (byte)b;
        }
        return inverse;
    }
}
