using System.Globalization;
using Microsoft.ML.Tokenizers;

namespace Repro.Model.Tokenizers;

/// <summary>
/// CLIP's pre-tokenization regex, hand-written over code points so that supplementary-plane letters and
/// digits are classified like Python's <c>regex</c> module (.NET's Regex sees UTF-16 surrogates instead):
/// <code>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</code>
/// with IGNORECASE; alternatives are tried in order at each position, whitespace is skipped.
/// It plugs into Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> as its pre-tokenizer.
/// </summary>
internal sealed class ClipPreTokenizer : PreTokenizer
{
    public static readonly ClipPreTokenizer Instance = new();

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => Ranges(text ?? "");

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => Ranges(text.ToString());

    private static readonly string[] Specials = ["<|startoftext|>", "<|endoftext|>"];
    private static readonly string[] Contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];

    /// <summary>The matched pieces of <paramref name="text"/>.</summary>
    public static List<string> Split(string text) => Ranges(text).Select(r => text.Substring(r.Offset, r.Length)).ToList();

    private static List<(int Offset, int Length)> Ranges(string text)
    {
        var pieces = new List<(int, int)>();
        int i = 0;
        while (i < text.Length)
        {
            int len = MatchAt(text, i);
            if (len == 0) { i += CharLength(text, i); continue; }   // whitespace: no alternative matches
            pieces.Add((i, len));
            i += len;
        }
        return pieces;
    }

    private static int MatchAt(string text, int i)
    {
        foreach (string s in Specials)
            if (i + s.Length <= text.Length
                && string.Compare(text, i, s, 0, s.Length, StringComparison.OrdinalIgnoreCase) == 0)
                return s.Length;
        foreach (string c in Contractions)
            if (MatchesIgnoreCase(text, i, c))
                return c.Length;

        var kind = Classify(text, i);
        if (kind == CharKind.Space) return 0;
        if (kind == CharKind.Number) return CharLength(text, i);
        int j = i;
        while (j < text.Length && Classify(text, j) == kind)
            j += CharLength(text, j);
        return j - i;
    }

    // Simple case folding as IGNORECASE does it; U+017F (long s) folds to 's'.
    private static bool MatchesIgnoreCase(string text, int i, string pattern)
    {
        if (i + pattern.Length > text.Length) return false;
        for (int k = 0; k < pattern.Length; k++)
        {
            char c = text[i + k];
            char p = pattern[k];
            if (c == p || char.ToLowerInvariant(c) == p || (p == 's' && c == '\u017F')) continue;
            return false;
        }
        return true;
    }

    private enum CharKind { Letter, Number, Space, Other }

    private static CharKind Classify(string text, int i)
    {
        if (char.IsWhiteSpace(text[i])) return CharKind.Space;   // Unicode White_Space, like regex's \s
        var cat = CharUnicodeInfo.GetUnicodeCategory(text, i);
        return cat switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharKind.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber
                => CharKind.Number,
            _ => CharKind.Other,
        };
    }

    internal static int CharLength(string text, int i) =>
        char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;

    /// <summary>The code point at <paramref name="i"/>; a lone surrogate is returned as itself.</summary>
    internal static int CodePointAt(string text, int i) =>
        CharLength(text, i) == 2 ? char.ConvertToUtf32(text[i], text[i + 1]) : text[i];
}
