using System.Globalization;
using System.Text;

namespace Repro.Model.Tokenizers;

/// <summary>How text is cleaned before CLIP's regex and BPE.</summary>
public enum ClipNormalization
{
    /// <summary>transformers' fallback when ftfy is not installed: BasicTokenizer (clean, CJK spacing, NFC,
    /// whitespace split, lower-case; no accent stripping, no punctuation split).</summary>
    Basic,

    /// <summary>The official CLIP path with ftfy 5.8 installed: <c>whitespace_clean(ftfy.fix_text(text)).lower()</c>.</summary>
    Ftfy,
}

/// <summary>The per-chunk text normalisation of transformers' <c>CLIPTokenizer._tokenize</c>.</summary>
internal static class ClipTextNormalizer
{
    public static string Normalize(string text, ClipNormalization mode) => mode switch
    {
        ClipNormalization.Ftfy => PyLower(WhitespaceClean(Ftfy.FixText(text))),
        _ => Basic(text),
    };

    /// <summary><c>" ".join(BasicTokenizer(strip_accents=False, do_split_on_punc=False).tokenize(text))</c>.</summary>
    public static string Basic(string text)
    {
        var sb = new StringBuilder(text.Length + 8);
        for (int i = 0; i < text.Length; i += ClipPreTokenizer.CharLength(text, i))
        {
            int cp = ClipPreTokenizer.CodePointAt(text, i);
            var cat = CharUnicodeInfo.GetUnicodeCategory(text, i);
            bool ws = cp is ' ' or '\t' or '\n' or '\r' || cat == UnicodeCategory.SpaceSeparator;
            // _clean_text: drop NUL, U+FFFD and category C* (except \t \n \r), map whitespace to ' '.
            if (cp == 0 || cp == 0xFFFD || (!ws && IsCategoryC(cat))) continue;
            if (ws) { sb.Append(' '); continue; }
            // _tokenize_chinese_chars: spaces around CJK ideographs.
            bool cjk = IsCjk(cp);
            if (cjk) sb.Append(' ');
            sb.Append(text, i, ClipPreTokenizer.CharLength(text, i));
            if (cjk) sb.Append(' ');
        }
        string nfc = sb.ToString().Normalize(NormalizationForm.FormC);
        return string.Join(' ', PySplit(nfc).Select(PyLower));
    }

    /// <summary><c>re.sub(r"\s+", " ", text).strip()</c>.</summary>
    public static string WhitespaceClean(string text) => string.Join(' ', PySplit(text));

    /// <summary>Python <c>str.split()</c>: split on <c>str.isspace</c> characters, drop empty pieces.</summary>
    public static IEnumerable<string> PySplit(string text)
    {
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            bool sep = i == text.Length || PyIsSpace(text[i]);
            if (sep && start >= 0) { yield return text[start..i]; start = -1; }
            else if (!sep && start < 0) start = i;
        }
    }

    /// <summary>Python <c>str.isspace</c> (White_Space plus the \x1c-\x1f separators).</summary>
    public static bool PyIsSpace(char c) => char.IsWhiteSpace(c) || (c >= '\x1c' && c <= '\x1f');

    /// <summary>Python <c>str.lower()</c>: full mapping of U+0130 and the final-sigma rule on top of simple lower-casing.</summary>
    public static string PyLower(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\u0130') sb.Append("i\u0307");
            else if (c == '\u03A3') sb.Append(IsFinalSigma(text, i) ? '\u03C2' : '\u03C3');
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(text.Substring(i, 2).ToLowerInvariant());
                i++;
            }
            else sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    private static bool IsFinalSigma(string text, int i)
    {
        bool before = i > 0 && char.IsLetter(text[i - 1]);
        bool after = i + 1 < text.Length && char.IsLetter(text[i + 1]);
        return before && !after;
    }

    private static bool IsCategoryC(UnicodeCategory cat) => cat is UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned;

    private static bool IsCjk(int cp) =>
        (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
        || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF)
        || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}
