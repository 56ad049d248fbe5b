using Repro.Experiments.MiniWorld;
using Repro.Experiments.MiniWorld.Pretraining;
using Repro.Model.Clip;
using Repro.Model.Tokenizers;
using Repro.Model.Vae;
using Repro.Tests;
using TorchSharp;
using Xunit;

namespace Repro.Experiments.Tests.MiniWorld.Pretraining;

/// <summary><c>repro miniworld quality</c> on the committed miniature world, with few images (the numbers are checked coarsely).</summary>
public sealed class QualityReportTests : PretrainingTestBase
{
    private static string World => Path.Combine(FixturePaths.RepoRoot, "models", "miniworld");

    [Fact]
    public void Reconstructions_keep_the_images_in_the_pixel_space_the_evaluator_reads()
    {
        using var vae = AutoencoderKL.FromPretrained(Path.Combine(World, "vae"));
        var examples = WorldBatch.Examples(WorldBatch.WorldSeed, WorldSplit.Heldout, 100_000, 20);
        vae.train();
        var reconstructed = VaeTrainer.Reconstruct(vae, examples);
        Assert.True(vae.training); // the model's mode is restored (HeldoutPsnr runs mid-training)
        Assert.Equal([16L, 4L], reconstructed.Select(t => t.shape[0]));
        using var original = WorldBatch.Pixels(examples.Select(e => e.Image).ToList());
        using var all = torch.cat(reconstructed, 0);
        Assert.Equal(original.shape, all.shape);
        double psnr = QualityMetrics.Psnr(all, original).Average();
        Assert.True(psnr > 24, $"PSNR {psnr:F1} dB"); // the committed VAE: ~27 dB
        Assert.Equal(psnr, VaeTrainer.MeanPsnr(reconstructed, examples), 9);
        Assert.Equal(psnr, VaeTrainer.HeldoutPsnr(vae, 20, 100_000), 9);
        foreach (var t in reconstructed) t.Dispose();
    }

    [Fact]
    public void The_unets_text_encoder_separates_shape_and_the_first_conditioning_clip_did_not()
    {
        var groups = TextSeparation.CaptionGroups();
        Assert.Equal([10, 9, 10, 5], groups.Values.Select(g => g[0].Length));
        Assert.All(groups.Values, g => Assert.Equal(TextSeparation.Settings, g.Count));
        Assert.All(groups.Values.SelectMany(g => g), g => Assert.Equal(g.Length, g.Distinct().Count()));
        var tokenizer = ClipTokenizer.FromFolder(Path.Combine(World, "tokenizer"));
        Dictionary<string, double> Separation(string folder)
        {
            using var text = CLIPTextModel.FromPretrained(Path.Combine(World, folder));
            return TextSeparation.Measure(text, tokenizer);
        }
        var first = Separation(Path.Combine("state", "clip-conditioning"));
        var unet = Separation("text_encoder");
        Assert.All(first.Values.Concat(unet.Values), v => Assert.InRange(v, 0.01, 2));
        // results/miniworld/quality.csv: the first conditioning CLIP 0.155 shape, 0.535 color; text_encoder/ (the evaluator's tower) 0.403, 0.422.
        Assert.True(first["shape"] < 0.5 * first["color"], $"conditioning CLIP: shape {first["shape"]:F3}, color {first["color"]:F3}");
        Assert.True(unet["shape"] > 0.8 * unet["color"], $"text_encoder: shape {unet["shape"]:F3}, color {unet["color"]:F3}");
    }

    [Fact]
    public void Writes_every_measure_with_the_stated_sampler_settings_and_plausible_values()
    {
        var log = new List<string>();
        var rows = QualityReport.Run(World, Dir, count: 16, log.Add, steps: 4, guidanceScale: 3);
        Assert.Equal(["vae_psnr_db", "text_separation_text_encoder", "text_separation_conditioning_clip", "clip_heldout_accuracy", "vae_reconstruction_accuracy",
                      "generated_accuracy", "dino_instance_retrieval"], rows.Select(r => r.Measure).Distinct());
        // the committed DINO stand-in on 16 held-out views: above chance (1/16 and 1/2), as its 128-view curve says
        var dino = rows.Where(r => r.Measure == "dino_instance_retrieval").ToDictionary(r => r.Attribute, r => r.Value);
        Assert.InRange(dino["top1"], 0.3, 1);
        Assert.InRange(dino["vs_sibling"], 0.6, 1);
        Assert.Contains(log, l => l.StartsWith("Generated-image accuracy (4 steps, CFG 3):", StringComparison.Ordinal));
        Assert.All(rows.Where(r => r.Measure.EndsWith("_accuracy", StringComparison.Ordinal)), r => Assert.InRange(r.Value, 0, 1));
        Assert.All(rows.Where(r => r.Measure.StartsWith("text_separation_", StringComparison.Ordinal)), r =>
        {
            Assert.InRange(r.Value, 0.01, 2);   // a distance over a norm: 0 = the tower ignores the attribute
            Assert.Equal(TextSeparation.Settings, r.N);
        });
        // Style survives the autoencoder on real images (≈ 1.0 on 256); broken reconstructions would sit near chance (0.2).
        Assert.True(rows.Single(r => r.Measure == "vae_reconstruction_accuracy" && r.Attribute == "style").Value >= 0.8);
        Assert.Equal(8, rows.Single(r => r.Measure == "generated_accuracy" && r.Attribute == "shape").N);
        var csv = File.ReadAllLines(Path.Combine(Dir, "quality.csv"));
        Assert.Equal("measure,attribute,value,n,chance,target", csv[0]);
        Assert.Equal(rows.Count, csv.Length - 1);
        Assert.Contains(csv, l => l.StartsWith("vae_reconstruction_accuracy,shape,", StringComparison.Ordinal) && l.EndsWith(",0.1,", StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => QualityReport.Run(World, Dir, 16, _ => { }, steps: 0));
        Assert.Throws<ArgumentException>(() => QualityReport.Run(World, Dir, 16, _ => { }, guidanceScale: double.NaN));
    }
}
