using Repro.Experiments.Prompts;
using Repro.Experiments.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.Tests.Evaluation;

/// <summary>End-to-end scoring with the tiny evaluation models on synthetic layouts.</summary>
public sealed class EvaluatorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("repro-eval-").FullName;
    private static readonly IReadOnlyList<PromptTemplate> Prompts =
        [new(0, "a photo of a {}"), new(1, "a watercolor painting of a {}", ExcludedFromIdentity: true, Change: "style")];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Gen(string concept, string name) => Path.Combine(_dir, "gen", "m", concept, name);
    private string Real(string concept, string name) => Path.Combine(_dir, "real", concept, name);

    private IReadOnlyList<ImageScore> Score(EvaluationSettings settings, EmbeddingCache? cache = null, bool masks = false)
    {
        var layout = EvaluationLayout.Discover(Path.Combine(_dir, "gen"), Path.Combine(_dir, "real"), Prompts.Count, null,
                                               masks ? Path.Combine(_dir, "gen-masks") : null, masks ? Path.Combine(_dir, "real-masks") : null);
        using var clip = ClipScorer.FromPretrained(EvalTestData.ClipFolderWithTokenizer(Path.Combine(_dir, "clip")));
        using var dino = DinoScorer.FromPretrained(EvalTestData.DinoFolder);
        return new Evaluator(clip, dino, cache, settings).Score(layout, Prompts, ConceptCategories.Empty);
    }

    [Fact]
    public void Identical_images_give_clip_i_and_dino_of_one()
    {
        using var _ = NewDisposeScope();
        var image = EvalTestData.RandomImage(1);
        EvalTestData.SavePng(image, Real("cat", "00.png"));
        EvalTestData.SavePng(image, Gen("cat", "000_a.png"));
        var s = Assert.Single(Score(new EvaluationSettings()));
        Assert.Equal(1.0, s.ClipI, 6);
        Assert.Equal(1.0, s.Dino, 6);
        Assert.InRange(s.ClipT, -1, 1);
    }

    [Fact]
    public void Different_images_score_below_one_and_clip_i_is_the_mean_over_real_images()
    {
        using var _ = NewDisposeScope();
        var a = EvalTestData.RandomImage(1);
        EvalTestData.SavePng(a, Real("cat", "00.png"));
        EvalTestData.SavePng(EvalTestData.RandomImage(2), Real("cat", "01.png"));
        EvalTestData.SavePng(a, Gen("cat", "000_a.png"));
        var s = Assert.Single(Score(new EvaluationSettings()));
        Assert.True(s.ClipI < 0.9999, $"CLIP-I {s.ClipI}");
        // Mean of cos(a, a) = 1 and cos(a, b) < 1.
        Assert.True(s.ClipI > 0.5 * (1 + -1), $"CLIP-I {s.ClipI}");
        using var clip = ClipScorer.FromPretrained(EvalTestData.ClipFolder);
        var e = new EmbeddingStore(clip, null, null, false).Embed([new EvalImage(Real("cat", "00.png"), null), new EvalImage(Real("cat", "01.png"), null)]);
        Assert.Equal(0.5 * (1 + Evaluator.Dot(e[0], e[1])), s.ClipI, 6);
    }

    /// <summary>Real image = foreground square on background X. Generated: same square on background Y, and an exact copy.</summary>
    [Fact]
    public void Masks_change_clip_i_when_the_background_differs_and_not_when_it_is_identical()
    {
        using var _ = NewDisposeScope();
        var foreground = EvalTestData.RandomImage(5, 16, 16);
        Tensor Compose(int backgroundSeed)
        {
            var img = EvalTestData.RandomImage(backgroundSeed).clone();
            img[.., 12..28, 16..32] = foreground;
            return img;
        }
        var mask = torch.zeros([3, 40, 48], dtype: ScalarType.Byte);
        mask[.., 12..28, 16..32] = torch.tensor((byte)255);
        var real = Compose(10);
        EvalTestData.SavePng(real, Real("toy", "00.png"));
        EvalTestData.SavePng(Compose(11), Gen("toy", "000_other_background.png"));
        EvalTestData.SavePng(real, Gen("toy", "000_same_background.png"));
        EvalTestData.SavePng(mask, Path.Combine(_dir, "real-masks", "toy", "00.png"));
        EvalTestData.SavePng(mask, Path.Combine(_dir, "gen-masks", "m", "toy", "000_other_background.png"));
        EvalTestData.SavePng(mask, Path.Combine(_dir, "gen-masks", "m", "toy", "000_same_background.png"));
        var plain = Score(new EvaluationSettings()).ToDictionary(s => Path.GetFileName(s.Image));
        var masked = Score(new EvaluationSettings { Masking = new ForegroundMask() }, masks: true).ToDictionary(s => Path.GetFileName(s.Image));
        Assert.True(plain["000_other_background.png"].ClipI < 0.999, $"unmasked CLIP-I {plain["000_other_background.png"].ClipI}");
        Assert.Equal(1.0, masked["000_other_background.png"].ClipI, 6);
        Assert.Equal(1.0, masked["000_other_background.png"].Dino, 6);
        Assert.Equal(plain["000_same_background.png"].ClipI, masked["000_same_background.png"].ClipI, 6);
        // CLIP-T always sees the unmasked image.
        Assert.Equal(plain["000_other_background.png"].ClipT, masked["000_other_background.png"].ClipT, 9);
    }

    [Fact]
    public void Missing_or_wrong_size_masks_are_errors_naming_the_file()
    {
        using var _ = NewDisposeScope();
        EvalTestData.SavePng(EvalTestData.RandomImage(1), Real("toy", "00.png"));
        EvalTestData.SavePng(EvalTestData.RandomImage(2), Gen("toy", "000_a.png"));
        string realMask = Path.Combine(_dir, "real-masks", "toy", "00.png");
        EvalTestData.SavePng(torch.full([3, 40, 48], 255, dtype: ScalarType.Byte), realMask);
        var settings = new EvaluationSettings { Masking = new ForegroundMask() };
        var missing = Assert.Throws<FileNotFoundException>(() => Score(settings, masks: true));
        Assert.Contains(Path.Combine(_dir, "gen-masks", "m", "toy", "000_a.png"), missing.Message);
        string genMask = Path.Combine(_dir, "gen-masks", "m", "toy", "000_a.png");
        EvalTestData.SavePng(torch.full([3, 20, 48], 255, dtype: ScalarType.Byte), genMask);
        var wrong = Assert.Throws<InvalidDataException>(() => Score(settings, masks: true));
        Assert.Contains(genMask, wrong.Message);
        Assert.Contains("48x20", wrong.Message);
    }

    [Fact]
    public void Excluded_prompts_have_no_identity_scores_but_keep_clip_t()
    {
        using var _ = NewDisposeScope();
        EvalTestData.SavePng(EvalTestData.RandomImage(1), Real("cat", "00.png"));
        EvalTestData.SavePng(EvalTestData.RandomImage(2), Gen("cat", "000_a.png"));
        EvalTestData.SavePng(EvalTestData.RandomImage(3), Gen("cat", "001_a.png"));
        var scores = Score(new EvaluationSettings { ExcludeTaggedPrompts = true }).OrderBy(s => s.PromptIndex).ToList();
        Assert.False(double.IsNaN(scores[0].ClipI));
        Assert.True(double.IsNaN(scores[1].ClipI) && double.IsNaN(scores[1].Dino));
        Assert.False(double.IsNaN(scores[1].ClipT));
        var all = Score(new EvaluationSettings()).OrderBy(s => s.PromptIndex).ToList();
        Assert.False(double.IsNaN(all[1].ClipI));
    }

    [Fact]
    public void Second_run_reads_every_embedding_from_the_cache_and_gives_the_same_scores()
    {
        using var _ = NewDisposeScope();
        EvalTestData.SavePng(EvalTestData.RandomImage(1), Real("cat", "00.png"));
        EvalTestData.SavePng(EvalTestData.RandomImage(2), Gen("cat", "000_a.png"));
        EvalTestData.SavePng(EvalTestData.RandomImage(3), Gen("cat", "001_a.png"));
        var first = new EmbeddingCache(Path.Combine(_dir, "cache"));
        var a = Score(new EvaluationSettings(), first);
        Assert.True(first.Misses > 0);
        var second = new EmbeddingCache(Path.Combine(_dir, "cache"));
        var b = Score(new EvaluationSettings(), second);
        Assert.Equal(0, second.Misses);
        Assert.Equal(a, b);
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, "cache"), "*.tmp", SearchOption.AllDirectories));
        // A truncated (partially written) entry is ignored and rewritten.
        string entry = Directory.GetFiles(Path.Combine(_dir, "cache"), "*.emb", SearchOption.AllDirectories)[0];
        File.WriteAllBytes(entry, File.ReadAllBytes(entry)[..10]);
        var third = new EmbeddingCache(Path.Combine(_dir, "cache"));
        Assert.Equal(a, Score(new EvaluationSettings(), third));
        Assert.Equal(1, third.Misses);
        // Another image content is another key.
        EvalTestData.SavePng(EvalTestData.RandomImage(4), Gen("cat", "001_a.png"));
        var fourth = new EmbeddingCache(Path.Combine(_dir, "cache"));
        Score(new EvaluationSettings(), fourth);
        Assert.True(fourth.Misses >= 1);
    }
}
