using Repro.Experiments.Prompts;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Repro.Experiments.Evaluation;
using Repro.Model.Runtime;

namespace Repro.Experiments.Commands;

/// <summary><c>repro score</c>: CLIP-T, CLIP-I and DINO of generated images against real ones; prints the table, writes CSV.</summary>
public static class ScoreCommand
{
    public sealed record Settings(string ImagesDir, string RealDir, string PromptsFile, string? ClipDir, string? DinoDir,
                                  string OutputDir, string? Method = null, string? CategoriesFile = null, string? TokenizerDir = null,
                                  string? ImageMasksDir = null, string? RealMasksDir = null, string? CacheDir = null,
                                  string? Device = "cpu", EvaluationSettings? Protocol = null);

    public sealed record Result(IReadOnlyList<ImageScore> Images, IReadOnlyList<SummaryRow> Summary, string ImagesCsv, string SummaryCsv,
                                int CacheHits, int CacheMisses, double Seconds);

    public static Result Run(Settings s, Action<string> log)
    {
        var protocol = s.Protocol ?? new EvaluationSettings();
        if (protocol.Masking is not null && (s.ImageMasksDir is null || s.RealMasksDir is null))
            throw new ArgumentException("masking is on: give both --image-masks and --real-masks (a missing mask is an error, never a silent fallback)");
        var watch = Stopwatch.StartNew();
        var prompts = PromptSet.Load(s.PromptsFile);
        var categories = s.CategoriesFile is null ? ConceptCategories.Empty : ConceptCategories.Read(s.CategoriesFile);
        var layout = EvaluationLayout.Discover(s.ImagesDir, s.RealDir, prompts.Count, s.Method,
                                               protocol.Masking is null ? null : s.ImageMasksDir, protocol.Masking is null ? null : s.RealMasksDir);
        if (protocol.Removal == ConceptRemoval.TokenOnly)
            foreach (string concept in layout.Real.Keys.Where(c => !categories.Has(c)))
                log($"note: no category listed for concept '{concept}'; CLIP-T uses '{categories.For(concept)}'");
        var device = TorchDevice.Resolve(s.Device);
        var cache = new EmbeddingCache(s.CacheDir ?? Path.Combine(s.OutputDir, ".score-cache"));
        using var clip = s.ClipDir is null ? null : ClipScorer.FromPretrained(s.ClipDir, s.TokenizerDir, device);
        using var dino = s.DinoDir is null ? null : DinoScorer.FromPretrained(s.DinoDir, device);
        var scores = new Evaluator(clip, dino, cache, protocol).Score(layout, prompts, categories);
        var bootstrap = new HierarchicalBootstrap(protocol.Aggregation, protocol.Resamples, protocol.Seed, protocol.Level);
        var summary = ScoreAggregator.Summarize(scores, prompts, bootstrap);
        string imagesCsv = Path.Combine(s.OutputDir, "scores_images.csv"), summaryCsv = Path.Combine(s.OutputDir, "scores_summary.csv");
        ScoreCsv.WriteImages(imagesCsv, scores, prompts);
        ScoreCsv.WriteSummary(summaryCsv, summary, protocol.Level);
        watch.Stop();
        log($"Scored {scores.Count} generated image(s) in {watch.Elapsed.TotalSeconds:F1} s (cache: {cache.Hits} hit(s), {cache.Misses} miss(es)); wrote {imagesCsv} and {summaryCsv}.");
        return new Result(scores, summary, imagesCsv, summaryCsv, cache.Hits, cache.Misses, watch.Elapsed.TotalSeconds);
    }

    /// <summary>The method-level table: one row per method, "mean [low, high]" per metric.</summary>
    public static string FormatTable(IReadOnlyList<SummaryRow> summary, double level)
    {
        var methods = summary.Where(r => r.Level == "method").GroupBy(r => r.Method).ToList();
        var metrics = summary.Where(r => r.Level == "method").Select(r => r.Metric).Distinct().Order().ToList();
        int width = Math.Max(6, methods.Count == 0 ? 0 : methods.Max(m => m.Key.Length));
        var lines = new List<string>
        {
            $"{"method".PadRight(width)}  " + string.Join("  ", metrics.Select(m => $"{ImageScore.Label(m)} (mean [{level * 100:0.#}% CI])".PadRight(30))),
        };
        foreach (var method in methods)
            lines.Add($"{method.Key.PadRight(width)}  " + string.Join("  ", metrics.Select(m =>
            {
                var e = method.FirstOrDefault(r => r.Metric == m)?.Estimate;
                return (e is null ? "-" : string.Create(CultureInfo.InvariantCulture, $"{e.Mean:F4} [{e.Low:F4}, {e.High:F4}]")).PadRight(30);
            })));
        return string.Join(Environment.NewLine, lines);
    }

    public static Command Create(Func<Action, int> guard)
    {
        var images = new Option<string>("--images") { Description = "Generated images: <method>/<concept>/NNN_*.png (NNN = prompt index in --prompts), or <concept>/NNN_*.png with --method.", Required = true };
        var real = new Option<string>("--real") { Description = "Real images: <concept>/*.jpg|png (the DreamBooth dataset layout).", Required = true };
        var prompts = new Option<string>("--prompts") { Description = "Prompt file: one template with {} per line, optional TAB + tags (stylization, outfit); e.g. paper-configs/prompts/adb_eval_24.txt.", Required = true };
        var clipDir = new Option<string?>("--clip") { Description = "CLIP folder (transformers layout: config.json, model.safetensors, vocab.json, merges.txt), e.g. openai/clip-vit-base-patch32." };
        var dinoDir = new Option<string?>("--dino") { Description = "DINO ViT folder (config.json, model.safetensors), e.g. facebook/dino-vits16." };
        var output = new Option<string>("--out") { Description = "Folder for scores_images.csv and scores_summary.csv.", DefaultValueFactory = _ => "out/score" };
        var method = new Option<string?>("--method") { Description = "Treat --images as the folder of this one method." };
        var categories = new Option<string?>("--categories") { Description = "concept,category CSV (e.g. paper-configs/concepts/dreambooth_subjects.csv); default: the concept folder name." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "CLIP tokenizer folder (default: the --clip folder's vocab.json/merges.txt, else the bundled OpenAI CLIP BPE)." };
        var removal = new Option<string>("--clip-t-removal") { Description = "What CLIP-T removes from the prompt: 'token' ([V] only; Textual Inversion's rule) or 'mention' ([V] [category]).", DefaultValueFactory = _ => "token" };
        var mask = new Option<bool>("--mask") { Description = "CoRe: foreground-mask images for CLIP-I/DINO (needs --image-masks and --real-masks; white = foreground)." };
        var imageMasks = new Option<string?>("--image-masks") { Description = "Masks of the generated images, mirroring --images (same relative path, .png)." };
        var realMasks = new Option<string?>("--real-masks") { Description = "Masks of the real images, mirroring --real (same relative path, .png)." };
        var fill = new Option<string>("--mask-fill") { Description = "Background colour of masked images, R,G,B.", DefaultValueFactory = _ => "0,0,0" };
        var exclude = new Option<bool>("--exclude-tagged") { Description = "CoRe: leave prompts marked #exclude-identity (stylization, outfit) out of CLIP-I and DINO." };
        var exif = new Option<bool>("--exif") { Description = "Apply EXIF orientation before scoring (the reference processors do not)." };
        var aggregation = new Option<string>("--aggregation") { Description = "hierarchical (image → prompt → concept → method means) or pooled.", DefaultValueFactory = _ => "hierarchical" };
        var resamples = new Option<int>("--resamples") { Description = "Bootstrap resamples (concepts, then prompts).", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Bootstrap seed.", DefaultValueFactory = _ => 0 };
        var cacheDir = new Option<string?>("--cache") { Description = "Embedding cache folder (default: <out>/.score-cache)." };
        var batch = new Option<int>("--batch") { Description = "Images per model forward.", DefaultValueFactory = _ => 16 };
        var device = new Option<string?>("--device") { Description = "cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };
        var command = new Command("score", "CLIP-T, CLIP-I and DINO with bootstrap confidence intervals; prints the table and writes CSV.")
            { images, real, prompts, clipDir, dinoDir, output, method, categories, tokenizer, removal, mask, imageMasks, realMasks, fill, exclude, exif, aggregation, resamples, seed, cacheDir, batch, device };
        command.SetAction(r => guard(() => RethrowDecodeErrors(() =>
        {
            var protocol = new EvaluationSettings
            {
                Removal = ClipTextPrompt.Parse(r.GetValue(removal)!),
                Masking = r.GetValue(mask) ? ParseFill(r.GetValue(fill)!) : null,
                ExcludeTaggedPrompts = r.GetValue(exclude),
                ApplyExifOrientation = r.GetValue(exif),
                Aggregation = r.GetValue(aggregation) switch
                {
                    "hierarchical" => Aggregation.Hierarchical,
                    "pooled" => Aggregation.Pooled,
                    var other => throw new ArgumentException($"unknown --aggregation '{other}': use hierarchical or pooled"),
                },
                Resamples = r.GetValue(resamples),
                Seed = r.GetValue(seed),
                BatchSize = Math.Max(1, r.GetValue(batch)),
            };
            var result = Run(new Settings(r.GetValue(images)!, r.GetValue(real)!, r.GetValue(prompts)!, r.GetValue(clipDir), r.GetValue(dinoDir),
                                          r.GetValue(output)!, r.GetValue(method), r.GetValue(categories), r.GetValue(tokenizer),
                                          r.GetValue(imageMasks), r.GetValue(realMasks), r.GetValue(cacheDir), r.GetValue(device), protocol),
                             Console.Error.WriteLine);
            Console.WriteLine(FormatTable(result.Summary, protocol.Level));
        })));
        return command;
    }

    /// <summary>Image decoding reports bad files as InvalidDataException (not an IOException): surface them as input errors.</summary>
    private static void RethrowDecodeErrors(Action action)
    {
        try { action(); }
        catch (InvalidDataException e) { throw new IOException(e.Message, e); }
    }

    private static ForegroundMask ParseFill(string value)
    {
        var parts = value.Split(',');
        if (parts.Length != 3 || !parts.All(p => byte.TryParse(p.Trim(), out _)))
            throw new ArgumentException($"--mask-fill '{value}': expected R,G,B with values 0..255");
        return new ForegroundMask(byte.Parse(parts[0].Trim()), byte.Parse(parts[1].Trim()), byte.Parse(parts[2].Trim()));
    }
}
