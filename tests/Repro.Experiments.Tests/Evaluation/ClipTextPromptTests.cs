using Repro.Experiments.Prompts;
using Repro.Experiments.Evaluation;
using Repro.Tests;

namespace Repro.Experiments.Tests.Evaluation;

public sealed class ClipTextPromptTests
{
    private static readonly string Golden = Path.Combine(FixturePaths.RepoRoot, "tests", "Repro.Experiments.Tests", "Evaluation", "Golden", "clip_t_texts.tsv");

    /// <summary>
    /// Every prompt of shared/spec/prompts (eval and reg files, through our copies in paper-configs/prompts and the
    /// prompt-file parser) gives the texts an independent sed script wrote, under both removal rules.
    /// </summary>
    [Fact]
    public void Removal_rules_give_the_expected_text_for_every_spec_prompt()
    {
        var rows = File.ReadAllLines(Golden).Where(l => !l.StartsWith('#')).Select(l => l.Split('\t')).ToList();
        int checkedCount = 0;
        foreach (var file in rows.GroupBy(r => r[0]))
        {
            var prompts = PromptSet.Load(Path.Combine(FixturePaths.RepoRoot, "paper-configs", "prompts", file.Key));
            var expected = file.ToList();
            Assert.Equal(expected.Count, prompts.Count);
            for (int i = 0; i < prompts.Count; i++)
            {
                Assert.Equal(expected[i][1], ClipTextPrompt.Strip(prompts[i].Template, "teddy bear", ConceptRemoval.TokenOnly));
                Assert.Equal(expected[i][2], ClipTextPrompt.Strip(prompts[i].Template, "teddy bear", ConceptRemoval.TokenAndCategory));
                checkedCount++;
            }
        }
        Assert.Equal(24 + 20 + 20 + 97 + 103 + 50, checkedCount);
    }

    [Fact]
    public void Examples_of_both_rules()
    {
        Assert.Equal("a photo of two dog on a table", ClipTextPrompt.Strip("a photo of two {} on a table", "dog", ConceptRemoval.TokenOnly));
        Assert.Equal("a photo of two on a table", ClipTextPrompt.Strip("a photo of two {} on a table", "dog", ConceptRemoval.TokenAndCategory));
        Assert.Equal("pencil drawing of a", ClipTextPrompt.Strip("pencil drawing of a {}", "dog", ConceptRemoval.TokenAndCategory));
        Assert.Equal(ConceptRemoval.TokenOnly, ClipTextPrompt.Parse("token"));
        Assert.Equal(ConceptRemoval.TokenAndCategory, ClipTextPrompt.Parse("mention"));
        var e = Assert.Throws<ArgumentException>(() => ClipTextPrompt.Parse("everything"));
        Assert.Contains("everything", e.Message);
    }

    [Fact]
    public void Tagged_prompts_are_the_published_subset_of_ours()
    {
        var animate = PromptSet.Load(Path.Combine(FixturePaths.RepoRoot, "paper-configs", "prompts", "core_eval_animate.txt"));
        var excluded = animate.Where(p => p.ExcludedFromIdentity).Select(p => p.Index).ToArray();
        Assert.Equal(new[] { 14, 15, 16, 17, 18, 19 }, excluded);
        Assert.Equal("outfit", animate[16].Change);
        var inanimate = PromptSet.Load(Path.Combine(FixturePaths.RepoRoot, "paper-configs", "prompts", "core_eval_inanimate.txt"));
        Assert.Equal(6, inanimate.Count(p => p.ExcludedFromIdentity));
        Assert.All(inanimate.Where(p => p.ExcludedFromIdentity), p => Assert.Equal("style", p.Change));
    }

    [Fact]
    public void Prompt_file_without_placeholder_is_refused_naming_the_file_and_line()
    {
        string path = Path.Combine(Path.GetTempPath(), $"repro-prompts-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, "# header\na photo of a {}\na photo of nothing\n");
        try
        {
            var e = Assert.Throws<FormatException>(() => PromptSet.Load(path));
            Assert.Contains(path, e.Message);
            Assert.Contains(":3:", e.Message);
        }
        finally { File.Delete(path); }
    }
}
