using System.Text.Json;
using Repro.Model.Tokenizers;
using Repro.Tests;

namespace Repro.Model.Tests.Tokenizer;

/// <summary>All 2160 cases of tokenizer_clip/cases.json (transformers 4.38 slow CLIPTokenizer) must match exactly.</summary>
[Trait("Category", "Parity")]
public class ClipTokenizerParityTests
{
    private sealed record Case(string Config, string Placeholder, string Source, string Text,
        int[] InputIds, int[] Ids, string[] Tokens, bool Truncated);

    private static readonly Lazy<List<Case>> Cases = new(LoadCases);

    public static TheoryData<string, string> Configurations() => new()
    {
        { "sd2", "new_concept_v0" }, { "sd2", "<sks*>" },
        { "sd1", "new_concept_v0" }, { "sd1", "<sks*>" },
        { "sd2_ftfy", "new_concept_v0" }, { "sd2_ftfy", "<sks*>" },
    };

    [Fact]
    public void Fixture_Has2160CasesOverSixConfigurations()
    {
        Assert.Equal(2160, Cases.Value.Count);
        Assert.Equal(6, Cases.Value.Select(c => (c.Config, c.Placeholder)).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void AllCases_MatchTransformers(string config, string placeholder)
    {
        var tok = Create(config);
        Assert.Equal([49408], tok.AddTokens(placeholder));
        Assert.Equal(49409, tok.VocabSize);

        var cases = Cases.Value.Where(c => c.Config == config && c.Placeholder == placeholder).ToList();
        Assert.Equal(360, cases.Count);
        var failures = new List<string>();
        foreach (var c in cases)
        {
            int[] ids = tok.Encode(c.Text);
            int[] padded = tok.EncodePadded(c.Text, 77);
            string[] tokens = tok.ConvertIdsToTokens(ids);
            var problems = new List<string>();
            if (!ids.SequenceEqual(c.Ids)) problems.Add($"ids\n      expected {Fmt(c.Ids)}\n      actual   {Fmt(ids)}");
            if (!padded.SequenceEqual(c.InputIds)) problems.Add($"input_ids\n      expected {Fmt(c.InputIds)}\n      actual   {Fmt(padded)}");
            if (!tokens.SequenceEqual(c.Tokens)) problems.Add($"tokens\n      expected {Fmt(c.Tokens)}\n      actual   {Fmt(tokens)}");
            if ((ids.Length > 77) != c.Truncated) problems.Add($"truncated: expected {c.Truncated}");
            if (problems.Count > 0)
                failures.Add($"[{c.Config} | {c.Placeholder} | {c.Source}] text={JsonSerializer.Serialize(c.Text)}\n    "
                    + string.Join("\n    ", problems));
        }

        Assert.True(failures.Count == 0,
            $"{failures.Count}/{cases.Count} cases differ for {config}/{placeholder}:\n" + string.Join("\n", failures));
    }

    private static ClipTokenizer Create(string config)
    {
        string dir = FixturePaths.Get("clip-tokenizer");
        return config switch
        {
            "sd2" => ClipTokenizer.FromFolder(dir, ClipNormalization.Basic, padToken: "!"),
            "sd1" => ClipTokenizer.FromFolder(dir, ClipNormalization.Basic, padToken: "<|endoftext|>"),
            "sd2_ftfy" => ClipTokenizer.FromFolder(dir, ClipNormalization.Ftfy, padToken: "!"),
            _ => throw new ArgumentException($"unknown config {config}"),
        };
    }

    private static string Fmt<T>(IEnumerable<T> xs) => "[" + string.Join(", ", xs) + "]";

    private static List<Case> LoadCases()
    {
        string path = FixturePaths.Get("tokenizer_clip", "cases.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var cases = new List<Case>();
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            cases.Add(new Case(
                e.GetProperty("config").GetString()!,
                e.GetProperty("placeholder").GetString()!,
                e.GetProperty("source").GetString()!,
                e.GetProperty("text").GetString()!,
                e.GetProperty("input_ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                e.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                e.GetProperty("tokens").EnumerateArray().Select(x => x.GetString()!).ToArray(),
                e.GetProperty("truncated").GetBoolean()));
        }
        return cases;
    }
}
