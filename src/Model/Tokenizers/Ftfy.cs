using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Repro.Model.Tokenizers;

/// <summary>
/// The subset of ftfy 5.8 <c>fix_text</c> (default options) that CLIP prompts meet: terminal escapes,
/// UTF-8-read-as-Latin-1/Windows-1252 mojibake, HTML entities (only when a line does not contain both
/// '&lt;' and '&gt;'), Latin ligatures, fullwidth forms, curly quotes, line breaks, surrogates, control
/// characters, NFC. Not reproduced: ftfy's "badness" cost model and its rarer code pages (1250/1251/1253/
/// 1254, ISO-8859-2, MacRoman, cp437) and partial-mojibake repairs; a whole-line UTF-8 re-decode is
/// accepted whenever it succeeds.
/// </summary>
internal static partial class Ftfy
{
    private static readonly Encoding Utf8Strict = new UTF8Encoding(false, throwOnInvalidBytes: true);

    // Windows-1252 bytes 0x80-0x9F; the five undefined bytes map to themselves ("sloppy" codec).
    private const string Cp1252High =
        "\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F" +
        "\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178";

    private static readonly Dictionary<char, string> Ligatures = new()
    {
        ['\u0132'] = "IJ", ['\u0133'] = "ij", ['\u0149'] = "\u02BCn", ['\u01F1'] = "DZ", ['\u01F2'] = "Dz",
        ['\u01F3'] = "dz", ['\u01C4'] = "D\u017D", ['\u01C5'] = "D\u017E", ['\u01C6'] = "d\u017E",
        ['\u01C7'] = "LJ", ['\u01C8'] = "Lj", ['\u01C9'] = "lj", ['\u01CA'] = "NJ", ['\u01CB'] = "Nj",
        ['\u01CC'] = "nj", ['\uFB00'] = "ff", ['\uFB01'] = "fi", ['\uFB02'] = "fl", ['\uFB03'] = "ffi",
        ['\uFB04'] = "ffl", ['\uFB05'] = "\u017Ft", ['\uFB06'] = "st",
    };

    [GeneratedRegex(@"\x1b\[((?:\d|;)*)([a-zA-Z])")]
    private static partial Regex AnsiEscape();

    [GeneratedRegex(@"&#?\w{0,8};")]
    private static partial Regex HtmlEntity();

    /// <summary><c>ftfy.fix_text(text)</c> (ftfy 5.8 defaults), line by line.</summary>
    public static string FixText(string text)
    {
        var sb = new StringBuilder(text.Length);
        bool fixEntities = true;
        int pos = 0;
        while (pos < text.Length)
        {
            int brk = text.IndexOf('\n', pos) + 1;
            if (brk == 0) brk = text.Length;
            string line = text[pos..brk];
            // fix_entities='auto': once a line has both angle brackets, HTML is left alone from there on.
            if (line.Contains('<') && line.Contains('>')) fixEntities = false;
            sb.Append(FixSegment(line, fixEntities));
            pos = brk;
        }
        return sb.ToString();
    }

    private static string FixSegment(string text, bool fixEntities)
    {
        for (int guard = 0; guard < 16; guard++)
        {
            string orig = text;
            text = AnsiEscape().Replace(text, "");
            text = FixEncoding(text);
            if (fixEntities) text = UnescapeHtml(text);
            text = MapChars(text);
            text = FixLineBreaks(text);
            text = FixSurrogatesAndControls(text);
            text = text.Normalize(NormalizationForm.FormC);
            if (text == orig) break;
        }
        return text;
    }

    /// <summary>Repairs UTF-8 that was decoded as Latin-1 or (sloppy) Windows-1252, repeatedly.</summary>
    internal static string FixEncoding(string text)
    {
        for (int guard = 0; guard < 8; guard++)
        {
            if (text.All(c => c < 0x80)) return text;
            string? fixedText = null;
            byte[]? latin1 = TryEncode(text, sloppy1252: false);
            byte[]? cp1252 = TryEncode(text, sloppy1252: true);
            foreach (var bytes in new[] { latin1, cp1252 })
            {
                if (bytes is null) continue;
                try { fixedText = Utf8Strict.GetString(bytes); break; }
                catch (DecoderFallbackException) { }
            }
            // Latin-1 text with C1 controls: read those bytes as (strict) Windows-1252 instead.
            if (fixedText is null && latin1 is not null && cp1252 is null)
                fixedText = DecodeStrict1252(latin1);
            if (fixedText is null || fixedText == text) return text;
            text = fixedText;
        }
        return text;
    }

    private static byte[]? TryEncode(string text, bool sloppy1252)
    {
        var bytes = new byte[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c < 0x80 || (c >= 0xA0 && c <= 0xFF) || (!sloppy1252 && c <= 0xFF)) { bytes[i] = (byte)c; continue; }
            int k = sloppy1252 ? Cp1252High.IndexOf(c) : -1;
            if (k < 0) return null;
            bytes[i] = (byte)(0x80 + k);
        }
        return bytes;
    }

    private static string? DecodeStrict1252(byte[] bytes)
    {
        var sb = new StringBuilder(bytes.Length);
        foreach (byte b in bytes)
        {
            if (b < 0x80 || b >= 0xA0) { sb.Append((char)b); continue; }
            if (b is 0x81 or 0x8D or 0x8F or 0x90 or 0x9D) return null;
            sb.Append(Cp1252High[b - 0x80]);
        }
        return sb.ToString();
    }

    /// <summary>ftfy 5.8 <c>unescape_html</c>: HTML4 named entities and numeric references.</summary>
    internal static string UnescapeHtml(string text) => HtmlEntity().Replace(text, m =>
    {
        string s = m.Value;
        if (!s.StartsWith("&#", StringComparison.Ordinal))
            return s == "&apos;" ? s : WebUtility.HtmlDecode(s);   // Python's name2codepoint has no "apos"
        bool hex = s.StartsWith("&#x", StringComparison.Ordinal);
        string digits = hex ? s[3..^1] : s[2..^1];
        if (!int.TryParse(digits, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None,
                CultureInfo.InvariantCulture, out int cp) || cp > 0x10FFFF)
            return s;
        if (cp >= 0x80 && cp < 0xA0) return Cp1252High[cp - 0x80].ToString();
        return cp <= 0xFFFF ? ((char)cp).ToString() : char.ConvertFromUtf32(cp);
    });

    // Ligatures, fullwidth/halfwidth folding (NFKC of U+FF01-U+FFEF, U+3000 -> ' ') and curly quotes.
    private static string MapChars(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (Ligatures.TryGetValue(c, out string? lig)) sb.Append(lig);
            else if (c == '\u3000') sb.Append(' ');
            else if (c >= '\uFF01' && c < '\uFFF0') sb.Append(c.ToString().Normalize(NormalizationForm.FormKC));
            else sb.Append(c);
        }
        var quotes = new StringBuilder(sb.Length);
        foreach (char c in sb.ToString())
        {
            if (c == '\u02BC' || (c >= '\u2018' && c <= '\u201B')) quotes.Append('\'');
            else if (c >= '\u201C' && c <= '\u201F') quotes.Append('"');
            else quotes.Append(c);
        }
        return quotes.ToString();
    }

    private static string FixLineBreaks(string text) => text.Replace("\r\n", "\n")
        .Replace('\r', '\n').Replace('\u2028', '\n').Replace('\u2029', '\n').Replace('\u0085', '\n');

    // Lone surrogates become U+FFFD; ftfy's control-character ranges are deleted (BOM included).
    private static string FixSurrogatesAndControls(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i += ClipPreTokenizer.CharLength(text, i))
        {
            int len = ClipPreTokenizer.CharLength(text, i);
            int cp = ClipPreTokenizer.CodePointAt(text, i);
            if (len == 1 && char.IsSurrogate(text[i])) { sb.Append('\uFFFD'); continue; }
            if (IsFtfyControl(cp)) continue;
            sb.Append(text, i, len);
        }
        return sb.ToString();
    }

    private static bool IsFtfyControl(int cp) =>
        cp < 0x09 || cp == 0x0B || (cp >= 0x0E && cp < 0x20) || cp == 0x7F || (cp >= 0x206A && cp < 0x2070)
        || cp == 0xFEFF || (cp >= 0xFFF9 && cp < 0xFFFD) || (cp >= 0x1D173 && cp < 0x1D17B)
        || (cp >= 0xE0000 && cp < 0xE0080);
}
