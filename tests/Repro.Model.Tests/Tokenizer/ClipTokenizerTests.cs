using Repro.Model.Tokenizers;
using Repro.Tests;

namespace Repro.Model.Tests.Tokenizer;

public class ClipTokenizerTests
{
    private static readonly string VocabDir = FixturePaths.Get("clip-tokenizer");

    private static ClipTokenizer Sd2() => ClipTokenizer.FromFolder(VocabDir, padToken: "!");
    private static ClipTokenizer Sd1() => ClipTokenizer.FromFolder(VocabDir);

    private static readonly int[] PhotoOfACat = [49406, 320, 1125, 539, 320, 2368, 49407];

    [Fact]
    public void Encode_PhotoOfACat_MatchesClipIds()
    {
        Assert.Equal(PhotoOfACat, Sd2().Encode("a photo of a cat"));
        Assert.Equal(PhotoOfACat, Sd1().Encode("A Photo of a CAT"));
    }

    [Fact]
    public void EncodePadded_PadsWithConfiguredPadToken()
    {
        int[] sd2 = Sd2().EncodePadded("a photo of a cat");
        int[] sd1 = Sd1().EncodePadded("a photo of a cat");
        Assert.Equal(77, sd2.Length);
        Assert.Equal(PhotoOfACat, sd2[..7]);
        Assert.All(sd2[7..], id => Assert.Equal(0, id));
        Assert.Equal(PhotoOfACat, sd1[..7]);
        Assert.All(sd1[7..], id => Assert.Equal(49407, id));
    }

    [Fact]
    public void SpecialIds_FollowConfig()
    {
        var sd2 = Sd2();
        Assert.Equal((49406, 49407, 49407, 0), (sd2.BosId, sd2.EosId, sd2.UnkId, sd2.PadId));
        Assert.Equal(49407, Sd1().PadId);
        Assert.Equal(49408, sd2.VocabSize);
        Assert.Equal(77, sd2.ModelMaxLength);
    }

    [Fact]
    public void EncodePadded_Truncates_KeepingFirst75ContentIds()
    {
        var tok = Sd2();
        string text = string.Join(' ', Enumerable.Repeat("dog", 100));
        int[] full = tok.Encode(text);
        int[] padded = tok.EncodePadded(text);
        Assert.Equal(102, full.Length);
        Assert.Equal(77, padded.Length);
        Assert.Equal(full[..76], padded[..76]);
        Assert.Equal(49407, padded[76]);
    }

    [Fact]
    public void AddTokens_NewPlaceholder_GetsFirstFreeId_AndIsMatchedInText()
    {
        var tok = Sd2();
        Assert.Equal([49408], tok.AddTokens("<sks*>"));
        Assert.Equal(49409, tok.VocabSize);
        int[] ids = tok.Encode("a photo of <sks*> dog");
        Assert.Equal([49406, 320, 1125, 539, 49408, 1929, 49407], ids);
        Assert.Equal([4], tok.FindTokenPositions(tok.EncodePadded("a photo of <sks*> dog"), 49408));
        Assert.Equal(["<sks*>"], tok.ConvertIdsToTokens([49408]));
    }

    [Fact]
    public void AddTokens_ExistingToken_ReturnsItsIdWithoutGrowing()
    {
        var tok = Sd2();
        int[] first = tok.AddTokens("new_concept_v0");
        int[] again = tok.AddTokens("new_concept_v0", "cat</w>");
        Assert.Equal(49408, first[0]);
        Assert.Equal(49408, again[0]);
        Assert.Equal(2368, again[1]);
        Assert.Equal(49409, tok.VocabSize);
    }

    [Fact]
    public void AddedToken_IsCaseSensitiveAndSplitInsideWords()
    {
        var tok = Sd1();
        tok.AddTokens("new_concept_v0");
        Assert.DoesNotContain(49408, tok.Encode("a NEW_CONCEPT_V0 dog"));
        Assert.Equal(["<|startoftext|>", "x</w>", "new_concept_v0", "dog</w>", "<|endoftext|>"],
            tok.ConvertIdsToTokens(tok.Encode("xnew_concept_v0dog")));
    }

    [Fact]
    public void Ftfy_UncurlsQuotes_BasicDoesNot()
    {
        var basic = Sd2();
        var ftfy = ClipTokenizer.FromFolder(VocabDir, ClipNormalization.Ftfy, padToken: "!");
        Assert.Contains("'s</w>", ftfy.ConvertIdsToTokens(ftfy.Encode("Van Gogh\u2019s")));
        Assert.DoesNotContain("'s</w>", basic.ConvertIdsToTokens(basic.Encode("Van Gogh\u2019s")));
        Assert.Equal("caf\u00C3\u00A9</w>", ftfy.ConvertIdsToTokens(ftfy.Encode("caf\u00C3\u00A9"))[1]);
    }

    [Fact]
    public void Decode_RoundTripsSimpleText()
    {
        var tok = Sd2();
        tok.AddTokens("<sks*>");
        Assert.Equal("a photo of <sks*> dog", tok.Decode(tok.EncodePadded("a photo of <sks*> dog")[..7]));
    }

    [Fact]
    public void MissingMerges_ThrowsNamingTheFile()
    {
        string dir = Directory.CreateTempSubdirectory("clip-tok-").FullName;
        try
        {
            File.Copy(Path.Combine(VocabDir, "vocab.json"), Path.Combine(dir, "vocab.json"));
            var ex = Assert.Throws<FileNotFoundException>(() => ClipTokenizer.FromFolder(dir));
            Assert.Contains("merges.txt", ex.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void MalformedConfig_ThrowsNamingTheFile()
    {
        string dir = Directory.CreateTempSubdirectory("clip-tok-").FullName;
        try
        {
            File.Copy(Path.Combine(VocabDir, "vocab.json"), Path.Combine(dir, "vocab.json"));
            File.Copy(Path.Combine(VocabDir, "merges.txt"), Path.Combine(dir, "merges.txt"));
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), "{ \"pad_token\": ");
            var ex = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromFolder(dir));
            Assert.Contains("tokenizer_config.json", ex.Message);
            Assert.Contains("malformed JSON", ex.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Config_PadTokenObjectAndMaxLength_AreRead()
    {
        string dir = Directory.CreateTempSubdirectory("clip-tok-").FullName;
        try
        {
            File.Copy(Path.Combine(VocabDir, "vocab.json"), Path.Combine(dir, "vocab.json"));
            File.Copy(Path.Combine(VocabDir, "merges.txt"), Path.Combine(dir, "merges.txt"));
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"),
                "{\"model_max_length\": 64, \"pad_token\": {\"content\": \"!\", \"lstrip\": false}}");
            var tok = ClipTokenizer.FromFolder(dir);
            Assert.Equal(0, tok.PadId);
            Assert.Equal(64, tok.ModelMaxLength);
        }
        finally { Directory.Delete(dir, true); }
    }
}
