using Repro.Model.Tokenizers;

namespace Repro.Model.Tests.Tokenizer;

public class ClipTextNormalizerTests
{
    [Theory]
    [InlineData("A  Photo\tOF\r\na Dog ", "a photo of a dog")]
    [InlineData("zero\u200bwidth", "zerowidth")]          // Cf dropped
    [InlineData("a\u00a0b", "a b")]                       // Zs -> space
    [InlineData("a\u2028b", "a b")]                       // kept by _clean_text, split by str.split()
    [InlineData("\u72d7\u5728x", "\u72d7 \u5728 x")]     // CJK ideographs spaced
    [InlineData("cafe\u0301", "caf\u00e9")]              // NFC
    [InlineData("\u00c9T\u00c9", "\u00e9t\u00e9")]       // lower-cased, accents kept
    public void Basic_MatchesBasicTokenizer(string input, string expected) =>
        Assert.Equal(expected, ClipTextNormalizer.Normalize(input, ClipNormalization.Basic));

    [Theory]
    [InlineData("Tom &amp; Jerry &#39;x&#39;", "tom & jerry 'x'")]
    [InlineData("<b>x</b> &amp;", "<b>x</b> &amp;")]     // both brackets on the line: entities kept
    [InlineData("caf\u00c3\u00a9", "caf\u00e9")]          // UTF-8 read as Latin-1
    [InlineData("\uff46\uff55\uff4c\uff4c", "full")]       // fullwidth folded
    [InlineData("\ufb02oats", "floats")]                  // ligature
    [InlineData("\u201cq\u201d \u2018s\u2019", "\"q\" 's'")]
    [InlineData("caf\u00e9 na\u00efve", "caf\u00e9 na\u00efve")]   // legitimate Latin-1 left alone
    public void Ftfy_FixesLikeFtfy58(string input, string expected) =>
        Assert.Equal(expected, ClipTextNormalizer.Normalize(input, ClipNormalization.Ftfy));

    [Fact]
    public void PreTokenizer_FollowsClipRegex()
    {
        Assert.Equal(["it", "'s", "a", "dog", "!!!", "1", "2", "<|endoftext|>"],
            ClipPreTokenizer.Split("it's a dog!!! 12 <|endoftext|>"));
    }
}
