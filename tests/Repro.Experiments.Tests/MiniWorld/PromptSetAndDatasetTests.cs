using Repro.Experiments.Prompts;
using System.Text.Json;
using Repro.Experiments.MiniWorld;
using Repro.Tests;

namespace Repro.Experiments.Tests.MiniWorld;

public sealed class PromptSetAndDatasetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("repro-miniworld-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string PromptFile(string name) => Path.Combine(FixturePaths.RepoRoot, "paper-configs", "prompts", "miniworld", name);

    [Theory]
    [InlineData("adb_eval_24.txt", 24, 24, 0)]
    [InlineData("core_eval_animate.txt", 20, 20, 5)]
    [InlineData("core_eval_inanimate.txt", 20, 20, 6)]
    [InlineData("core_reg_animate.txt", 90, 110, 0)]
    [InlineData("core_reg_inanimate.txt", 90, 110, 0)]
    public void Prompt_sets_use_only_world_words(string file, int min, int max, int excluded)
    {
        var prompts = PromptSet.Load(PromptFile(file));
        Assert.InRange(prompts.Count, min, max);
        Assert.Equal(prompts.Count, prompts.Select(p => p.Template).Distinct().Count());
        Assert.Equal(excluded, prompts.Count(p => p.ExcludedFromIdentity));
        foreach (var p in prompts)
        {
            Assert.Equal(1, p.Template.Split("{}").Length - 1);
            var unknown = WorldVocabulary.SplitWords(p.Template).Where(w => !WorldVocabulary.AllWords.Contains(w)).ToList();
            Assert.True(unknown.Count == 0, $"{file}: '{p.Template}' has words outside the world: {string.Join(", ", unknown)}");
        }
        if (file.Contains("eval")) Assert.All(prompts, p => Assert.NotNull(p.Mirrors));
    }

    [Fact]
    public void Prompt_loader_rejects_unknown_fields()
    {
        string path = Path.Combine(_dir, "bad.txt");
        File.WriteAllText(path, "# header\na photo of a {}\t#oops\n");
        Assert.Throws<FormatException>(() => PromptSet.Load(path));
        File.WriteAllText(path, "a photo of a {}\t#exclude-identity\t#change=style\n");
        var p = Assert.Single(PromptSet.Load(path));
        Assert.True(p.ExcludedFromIdentity);
        Assert.Equal("a photo of a sks cat", p.Format("sks cat"));
    }

    [Fact]
    public void Dataset_is_written_deterministically_with_captions_and_masks()
    {
        string a = Path.Combine(_dir, "a"), b = Path.Combine(_dir, "b");
        var entries = WorldSampler.WriteDataset(a, 12, seed: 5, WorldSplit.Train);
        WorldSampler.WriteDataset(b, 12, seed: 5, WorldSplit.Train);
        var lines = File.ReadAllLines(Path.Combine(a, "captions.jsonl"));
        Assert.Equal(12, lines.Length);
        Assert.Equal(lines, File.ReadAllLines(Path.Combine(b, "captions.jsonl")));
        using var row = JsonDocument.Parse(lines[3]);
        Assert.Equal(entries[3].Caption, row.RootElement.GetProperty("caption").GetString());
        Assert.Equal("images/000003.png", row.RootElement.GetProperty("file").GetString());
        foreach (var e in entries)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, e.File)), File.ReadAllBytes(Path.Combine(b, e.File)));
            Assert.True(File.Exists(Path.Combine(a, e.Mask)));
        }
        Assert.Empty(Directory.GetFiles(a, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Cli_renders_a_dataset_and_refuses_an_unknown_split()
    {
        string dir = Path.Combine(_dir, "cli");
        Assert.Equal(0, Cli.Run(["miniworld", "render", "--out", dir, "--count", "3", "--seed", "2", "--split", "heldout"]));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(dir, "captions.jsonl")).Length);
        Assert.Equal(1, Cli.Run(["miniworld", "render", "--out", dir, "--count", "3", "--split", "test"]));
    }
}
