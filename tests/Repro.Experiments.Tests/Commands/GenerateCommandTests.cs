using Repro.Experiments.Commands;
using Repro.Model.Pipeline;

namespace Repro.Experiments.Tests.Commands;

public sealed class GenerateCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("repro-gen-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private GenerateCommand.Settings Settings(string sampler = "dpm++", long seed = 3) =>
        new(null, ["a photo of a cat", "a red cube on the beach"], _dir, 4, 7.5, 2, seed, null, null, sampler, "cpu", null);

    [Fact]
    public void Tiny_random_model_generates_pngs_through_the_real_loaders()
    {
        var log = new List<string>();
        var files = GenerateCommand.Run(Settings(), log.Add);
        Assert.Equal(4, files.Count);
        foreach (string file in files)
        {
            using var image = ImageIO.LoadRgbBytes(file, applyExifOrientation: false);
            Assert.Equal(new long[] { 3, 32, 32 }, image.shape);
        }
        Assert.True(File.Exists(Path.Combine(_dir, ".tiny-random-sd", "model_index.json")));
        Assert.Contains(log, l => l.StartsWith("step 4/4"));
    }

    [Fact]
    public void Same_seed_gives_identical_images_and_per_prompt_reseeding_repeats_the_noise()
    {
        var first = GenerateCommand.Run(Settings(), _ => { }).Select(File.ReadAllBytes).ToList();
        var second = GenerateCommand.Run(Settings(), _ => { }).Select(File.ReadAllBytes).ToList();
        Assert.Equal(first, second);
        var other = GenerateCommand.Run(Settings(seed: 4), _ => { }).Select(File.ReadAllBytes).ToList();
        Assert.NotEqual(first[0], other[0]);
    }

    [Fact]
    public void Unknown_sampler_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => GenerateCommand.Run(Settings(sampler: "plms"), _ => { }));
        Assert.Contains("plms", e.Message);
    }
}
