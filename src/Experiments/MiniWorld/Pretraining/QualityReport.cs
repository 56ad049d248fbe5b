using Repro.Model.IO;
using System.Globalization;
using System.Text;
using Repro.Model.Clip;
using Repro.Model.Pipeline;
using Repro.Model.Tokenizers;
using Repro.Model.Vae;
using TorchSharp;

namespace Repro.Experiments.MiniWorld.Pretraining;

/// <summary>
/// <c>repro miniworld quality</c>: results/miniworld/quality.csv (measure, attribute, value, n, chance, target), with
/// whatever models the folder has: VAE PSNR on held-out images; how far the text towers put captions differing in one
/// attribute (<see cref="TextSeparation"/>); the evaluator CLIP's per-attribute retrieval accuracy
/// on held-out images (own caption against the captions with every other value of that attribute), and on the same
/// images after a VAE round trip (the autoencoder's ceiling for generated images); and the same
/// judgement of images the full pipeline generates (DPM-Solver++, 25 steps, CFG 5 unless told otherwise) from held-out
/// captions; the DINO stand-in's instance retrieval on held-out views (<see cref="InstanceViTTrainer.InstanceRetrieval"/>).
/// </summary>
public static class QualityReport
{
    public const int GenerationSteps = 25;
    public const double GuidanceScale = 5.0;

    public static readonly IReadOnlyDictionary<string, double> Chance = new Dictionary<string, double>
    {
        ["shape"] = 1.0 / WorldVocabulary.Categories.Count, ["color"] = 1.0 / WorldVocabulary.Colors.Count,
        ["background"] = 1.0 / WorldVocabulary.Backgrounds.Count, ["style"] = 1.0 / WorldVocabulary.Styles.Count,
    };

    /// <summary>
    /// The text towers whose <see cref="TextSeparation"/> is reported: the UNet's conditioning (text_encoder/) and the
    /// conditioning CLIP's, which conditioned the UNet until its last restart.
    /// </summary>
    public static readonly (string Measure, string Folder)[] TextSeparationFolders =
        [("text_separation_text_encoder", "text_encoder"), ("text_separation_conditioning_clip", Path.Combine("state", "clip-conditioning"))];

    public sealed record Row(string Measure, string Attribute, double Value, int N, double Chance, double Target);

    public static List<Row> Run(string root, string resultsDir, int count, Action<string> log,
        int steps = GenerationSteps, double guidanceScale = GuidanceScale)
    {
        if (steps < 1) throw new ArgumentException($"--steps must be at least 1, got {steps}");
        if (!(guidanceScale >= 1)) throw new ArgumentException($"--guidance must be at least 1, got {guidanceScale}");
        var rows = new List<Row>();
        var heldout = WorldBatch.Examples(WorldBatch.WorldSeed, WorldSplit.Heldout, 100_000, count);
        // The held-out images' reconstructions serve both the PSNR and the evaluator's accuracy on them (the autoencoder's ceiling).
        var reconstructed = new List<torch.Tensor>();
        if (File.Exists(Path.Combine(root, "vae", "diffusion_pytorch_model.safetensors")))
        {
            using var vae = AutoencoderKL.FromPretrained(Path.Combine(root, "vae"));
            reconstructed = VaeTrainer.Reconstruct(vae, heldout);
            double psnr = VaeTrainer.MeanPsnr(reconstructed, heldout);
            rows.Add(new Row("vae_psnr_db", "all", psnr, count, double.NaN, 26));
            log($"VAE held-out PSNR: {psnr:F2} dB over {count} images");
        }
        foreach (var (measure, folder) in TextSeparationFolders.Where(f => File.Exists(Path.Combine(root, f.Folder, "model.safetensors"))))
        {
            using var text = CLIPTextModel.FromPretrained(Path.Combine(root, folder));
            foreach (var (a, v) in TextSeparation.Measure(text, ClipTokenizer.FromFolder(Path.Combine(root, "tokenizer"))))
                rows.Add(new Row(measure, a, v, TextSeparation.Settings, double.NaN, double.NaN));
            log($"{measure} ({folder}/): " + string.Join(", ", rows.Where(r => r.Measure == measure).Select(r => $"{r.Attribute} {r.Value:F3}")));
        }
        if (File.Exists(Path.Combine(root, "clip", "model.safetensors")))
        {
            using var clip = CLIPModel.FromPretrained(Path.Combine(root, "clip"));
            var tokenizer = ClipTokenizer.FromFolder(Path.Combine(root, "clip"));
            foreach (var (a, v) in ClipTrainer.AttributeAccuracy(clip, tokenizer, heldout, WorldBatch.ClipPixels))
                rows.Add(new Row("clip_heldout_accuracy", a, v, heldout.Count(e => WorldBatch.States(e, a)), Chance[a], 0.85));
            log("CLIP held-out accuracy: " + string.Join(", ", rows.Where(r => r.Measure == "clip_heldout_accuracy").Select(r => $"{r.Attribute} {r.Value:P1}")));
            if (reconstructed.Count > 0)
            {
                foreach (var (a, v) in ClipTrainer.AttributeAccuracy(clip, tokenizer, heldout, WorldBatch.ClipPixels, reconstructed))
                    rows.Add(new Row("vae_reconstruction_accuracy", a, v, heldout.Count(e => WorldBatch.States(e, a)), Chance[a], double.NaN));
                log("CLIP accuracy on VAE reconstructions: " +
                    string.Join(", ", rows.Where(r => r.Measure == "vae_reconstruction_accuracy").Select(r => $"{r.Attribute} {r.Value:P1}")));
            }
            if (File.Exists(Path.Combine(root, "unet", "diffusion_pytorch_model.safetensors")))
            {
                var prompts = heldout.Take(Math.Max(1, count / 2)).ToList();
                using var pipeline = StableDiffusionPipeline.FromPretrained(root, schedulerClass: "DPMSolverMultistepScheduler");
                var images = new List<torch.Tensor>();
                for (int i = 0; i < prompts.Count; i += 16)
                {
                    var chunk = prompts.Skip(i).Take(16).Select(e => e.Caption).ToList();
                    images.Add(pipeline.Generate(chunk, new GenerationOptions
                    {
                        Steps = steps, GuidanceScale = guidanceScale, Seed = i, ReseedPerPrompt = false,
                    }));
                    log($"generated {Math.Min(i + 16, prompts.Count)}/{prompts.Count}");
                }
                var targets = new Dictionary<string, double> { ["shape"] = 0.5, ["color"] = 0.7, ["background"] = 0.85, ["style"] = 0.85 };
                foreach (var (a, v) in ClipTrainer.AttributeAccuracy(clip, tokenizer, prompts, WorldBatch.ClipPixels, images))
                    rows.Add(new Row("generated_accuracy", a, v, prompts.Count(e => WorldBatch.States(e, a)), Chance[a], targets[a]));
                foreach (var t in images) t.Dispose();
                log($"Generated-image accuracy ({steps} steps, CFG {guidanceScale.ToString(CultureInfo.InvariantCulture)}): " + string.Join(", ", rows.Where(r => r.Measure == "generated_accuracy").Select(r => $"{r.Attribute} {r.Value:P1}")));
            }
        }
        if (File.Exists(Path.Combine(root, "dino", "model.safetensors")))
        {
            var retrieval = InstanceViTTrainer.Measure(Path.Combine(root, "dino"), count, 100_000);
            rows.Add(new Row("dino_instance_retrieval", "top1", retrieval["instance_top1"], count, 1.0 / count, double.NaN));
            rows.Add(new Row("dino_instance_retrieval", "vs_sibling", retrieval["instance_vs_sibling"], count, 0.5, double.NaN));
            log($"DINO stand-in, held-out instance views: top-1 among {count} {retrieval["instance_top1"]:P1}, closer than the sibling {retrieval["instance_vs_sibling"]:P1}");
        }
        foreach (var t in reconstructed) t.Dispose();
        Write(Path.Combine(resultsDir, "quality.csv"), rows);
        return rows;
    }

    public static void Write(string path, IEnumerable<Row> rows)
    {
        static string F(double v) => double.IsNaN(v) ? "" : v.ToString("G6", CultureInfo.InvariantCulture);
        var text = new StringBuilder("measure,attribute,value,n,chance,target\n");
        foreach (var r in rows) text.Append($"{r.Measure},{r.Attribute},{F(r.Value)},{r.N},{F(r.Chance)},{F(r.Target)}\n");
        AtomicFile.WriteAllText(path, text.ToString());
    }
}
