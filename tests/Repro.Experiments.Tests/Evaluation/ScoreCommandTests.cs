using System.Globalization;
using Repro.Experiments.Commands;
using Repro.Experiments.Evaluation;
using Repro.Tests;
using static TorchSharp.torch;

namespace Repro.Experiments.Tests.Evaluation;

public sealed class ScoreCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("repro-score-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PromptsFile()
    {
        string path = Path.Combine(_dir, "prompts.txt");
        File.WriteAllText(path, "# test prompts\na photo of a {}\na {} wearing a hat\t#change=outfit\t#exclude-identity\n");
        return path;
    }

    private void Layout()
    {
        using var _ = NewDisposeScope();
        int seed = 0;
        foreach (string concept in new[] { "cat", "dog_toy" })
        {
            for (int r = 0; r < 2; r++) EvalTestData.SavePng(EvalTestData.RandomImage(seed++), Path.Combine(_dir, "real", concept, $"{r:D2}.png"));
            foreach (string method in new[] { "A", "B" })
            for (int p = 0; p < 2; p++)
            for (int k = 0; k < 2; k++)
                EvalTestData.SavePng(EvalTestData.RandomImage(seed++), Path.Combine(_dir, "gen", method, concept, $"{p:D3}_prompt_{k}.png"));
        }
    }

    private ScoreCommand.Settings Settings(EvaluationSettings protocol) =>
        new(Path.Combine(_dir, "gen"), Path.Combine(_dir, "real"), PromptsFile(), EvalTestData.ClipFolderWithTokenizer(Path.Combine(_dir, "clip")),
            EvalTestData.DinoFolder, Path.Combine(_dir, "out"), Protocol: protocol);

    [Fact]
    public void Scores_every_image_writes_both_csv_files_and_a_table_per_method()
    {
        Layout();
        var log = new List<string>();
        var result = ScoreCommand.Run(Settings(new EvaluationSettings { ExcludeTaggedPrompts = true, Resamples = 200 }), log.Add);
        Assert.Equal(16, result.Images.Count);
        Assert.Contains(log, l => l.Contains("no category listed for concept 'dog_toy'") && l.Contains("'dog toy'"));
        var images = File.ReadAllLines(result.ImagesCsv);
        Assert.Equal("method,concept,prompt_index,prompt,image,clip_t,clip_i,dino", images[0]);
        Assert.Equal(17, images.Length);
        var summary = File.ReadAllLines(result.SummaryCsv);
        Assert.StartsWith("level,method,concept,prompt,metric,mean,ci95_low,ci95_high,images", summary[0]);
        // CLIP-T: all 8 images of a method; CLIP-I/DINO: the outfit prompt is excluded, 4 left.
        var methodRows = result.Summary.Where(r => r.Level == "method" && r.Method == "A").ToDictionary(r => r.Metric);
        Assert.Equal(8, methodRows[Metric.ClipT].Estimate.Count);
        Assert.Equal(4, methodRows[Metric.ClipI].Estimate.Count);
        Assert.Equal(4, methodRows[Metric.Dino].Estimate.Count);
        // The method mean is the mean of concept means of prompt means.
        var a = result.Images.Where(s => s.Method == "A").ToList();
        double expected = a.GroupBy(s => s.Concept).Average(c => c.GroupBy(s => s.PromptIndex).Average(p => p.Average(s => s.ClipT)));
        Assert.Equal(expected, methodRows[Metric.ClipT].Estimate.Mean, 12);
        string table = ScoreCommand.FormatTable(result.Summary, 0.95);
        Assert.Contains(methodRows[Metric.ClipI].Estimate.Mean.ToString("F4", CultureInfo.InvariantCulture), table);
        Assert.Equal(3, table.Split(Environment.NewLine).Length);

        var again = ScoreCommand.Run(Settings(new EvaluationSettings { ExcludeTaggedPrompts = true, Resamples = 200 }), _ => { });
        Assert.Equal(0, again.CacheMisses);
        Assert.Equal(File.ReadAllText(result.SummaryCsv), File.ReadAllText(again.SummaryCsv));
    }

    [Fact]
    public void Cli_refuses_a_truncated_image_naming_it_and_masking_without_mask_folders()
    {
        Layout();
        string bad = Path.Combine(_dir, "gen", "A", "cat", "000_prompt_0.png");
        File.WriteAllBytes(bad, File.ReadAllBytes(bad)[..200]);
        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        try
        {
            string[] args = ["score", "--images", Path.Combine(_dir, "gen"), "--real", Path.Combine(_dir, "real"), "--prompts", PromptsFile(),
                             "--clip", EvalTestData.ClipFolderWithTokenizer(Path.Combine(_dir, "clip")), "--out", Path.Combine(_dir, "out")];
            Assert.Equal(1, Cli.Run(args));
            Assert.Contains(bad, error.ToString());
            Assert.Equal(1, Cli.Run([.. args, "--mask"]));
            Assert.Contains("--image-masks", error.ToString());
        }
        finally { Console.SetError(previous); }
    }

    [Fact]
    public void Generated_file_with_a_prompt_index_past_the_prompt_file_is_refused()
    {
        Layout();
        using (NewDisposeScope())
            EvalTestData.SavePng(EvalTestData.RandomImage(99), Path.Combine(_dir, "gen", "A", "cat", "007_x.png"));
        var e = Assert.Throws<FormatException>(() => ScoreCommand.Run(Settings(new EvaluationSettings()), _ => { }));
        Assert.Contains("007_x.png", e.Message);
        Assert.Contains("2 prompts", e.Message);
    }
}
