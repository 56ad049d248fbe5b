using System.Diagnostics;
using System.Text.Json.Nodes;
using Repro.Experiments.Commands;
using Repro.Experiments.Harness;
using Repro.Experiments.MiniWorld;
using Repro.Experiments.Prompts;
using Repro.Experiments.Tests.Harness;
using Repro.Model.Pipeline;
using Repro.Tests;
using TorchSharp;
using Xunit;
using static Repro.Experiments.MiniWorld.PersonalizationCheck;

namespace Repro.Experiments.Tests.MiniWorld;

/// <summary>
/// <c>repro miniworld personalization</c>: the contrastive identity, the base model's token-free prompts, the paired
/// bootstrap and the "best − base on 6 of 8 concepts" count, and one run over a tiny finished table.
/// </summary>
public sealed class PersonalizationCheckTests
{
    private static float[] Unit(params float[] v)
    {
        double n = Math.Sqrt(v.Sum(x => (double)x * x));
        return v.Select(x => (float)(x / n)).ToArray();
    }

    [Fact]
    public void Contrastive_score_is_positive_for_the_concept_and_negative_for_a_generic_object_in_the_same_context()
    {
        // Axes: 0 = the concept's look, 1 = a generic object's look, 2 and 3 = two backgrounds (dominant, as in real images).
        var concept = new[] { Unit(1, 0, 3, 0), Unit(1, 0, 0, 3) };
        var generic = new[] { Unit(0, 1, 3, 0), Unit(0, 1, 0, 3) };
        double conceptLike = ContrastiveScore(Unit(1, 0, 3, 0.5f), concept, generic);
        double genericLike = ContrastiveScore(Unit(0, 1, 3, 0.5f), concept, generic);
        double background = ContrastiveScore(Unit(0, 0, 3, 0.5f), concept, generic);
        Assert.True(conceptLike > 0.05, $"concept-like {conceptLike}");
        Assert.True(genericLike < -0.05, $"generic-like {genericLike}");
        Assert.True(conceptLike > background && background > genericLike, $"{conceptLike} > {background} > {genericLike}");
        // Raw cosine to the concept alone barely separates them: the background dominates.
        double raw(float[] x) => concept.Average(c => Repro.Experiments.Evaluation.Evaluator.Dot(x, c));
        Assert.True(raw(Unit(1, 0, 3, 0.5f)) - raw(Unit(0, 1, 3, 0.5f)) < conceptLike - genericLike);
        Assert.True(double.IsNaN(ContrastiveScore(Unit(1, 0, 0, 0), concept, [])));
    }

    [Fact]
    public void References_are_deterministic_concept_and_generic_renders_of_the_training_scenes()
    {
        var concept = PersonalConcepts.All[0];
        string a = Directory.CreateTempSubdirectory("repro-refs-").FullName, b = Directory.CreateTempSubdirectory("repro-refs-").FullName;
        var (ownA, genericA) = WriteReferences(concept, a, 2);
        var (ownB, genericB) = WriteReferences(concept, b, 2);
        Assert.Equal(PersonalConcepts.TrainingImages, ownA.Count);
        Assert.Equal(2 * PersonalConcepts.TrainingImages, genericA.Count);
        foreach (var (x, y) in ownA.Concat(genericA).Zip(ownB.Concat(genericB))) Assert.Equal(File.ReadAllBytes(x), File.ReadAllBytes(y));
        // The concept render is the training image itself; the generic ones differ from it and from each other.
        Assert.Equal(SceneRenderer.Render(PersonalConcepts.TrainingScenes(concept)[0]).EncodePng(), File.ReadAllBytes(ownA[0]));
        Assert.NotEqual(File.ReadAllBytes(ownA[0]), File.ReadAllBytes(genericA[0]));
        Assert.NotEqual(File.ReadAllBytes(genericA[0]), File.ReadAllBytes(genericA[1]));
        Directory.Delete(a, true);
        Directory.Delete(b, true);
    }

    [Fact]
    public void Reference_renders_draw_what_each_prompt_states_and_are_deterministic()
    {
        var concept = ConceptCatalog.Get("cat_calico_01");
        var (watercolor, none) = ReferenceRenders.SceneFor(concept, "a watercolor painting of a cat in the snow", 0, 0);
        Assert.Equal((Background.Snow, Style.Watercolor, Accessory.None, (Category?)null, (WorldColor?)null),
                     (watercolor.Background, watercolor.Style, watercolor.Accessory, watercolor.Companion, none));
        var (red, color) = ReferenceRenders.SceneFor(concept, "a red cat wearing a bow tie", 1, 0);
        Assert.Equal((Accessory.BowTie, Style.Photo, WorldColor.Red), (red.Accessory, red.Style, color));
        var (companion, _) = ReferenceRenders.SceneFor(concept, "a photo of a cat next to a cup on a table", 2, 0);
        Assert.Equal((Category.Cup, Background.Table), (companion.Companion, companion.Background));
        // Unstated attributes are drawn per image: two images of one prompt are placed differently.
        var (first, _) = ReferenceRenders.SceneFor(concept, "a purple cat", 3, 0);
        var (second, _) = ReferenceRenders.SceneFor(concept, "a purple cat", 3, 1);
        Assert.NotEqual((first.X, first.Y, first.Scale, first.DetailSeed), (second.X, second.Y, second.Scale, second.DetailSeed));

        string folder = ReferenceRenders.FolderFor("cache", "cat_calico_01", ["a cat", "a red cat"], 2);
        Assert.Equal(folder, ReferenceRenders.FolderFor("cache", "cat_calico_01", ["a cat", "a red cat"], 2));
        Assert.NotEqual(folder, ReferenceRenders.FolderFor("cache", "cat_calico_01", ["a cat", "a blue cat"], 2));
        Assert.NotEqual(folder, ReferenceRenders.FolderFor("cache", "cat_calico_01", ["a cat", "a red cat"], 4));
        Assert.StartsWith(Path.Combine("cache", "reference-renders", "cat_calico_01") + Path.DirectorySeparatorChar, folder);

        string a = Directory.CreateTempSubdirectory("repro-renders-").FullName, b = Directory.CreateTempSubdirectory("repro-renders-").FullName;
        try
        {
            string[] prompts = ["a photo of a cat in the city", "a red cat wearing a bow tie"];
            var filesA = ReferenceRenders.Write(concept, prompts, 2, a);
            var filesB = ReferenceRenders.Write(concept, prompts, 2, b);
            Assert.Equal(8, filesA.Count);
            Assert.Equal(4, filesA.Count(f => f.Arm == ReferenceRenders.ConceptArm));
            Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1], filesA.Select(f => f.Prompt));
            foreach (var (x, y) in filesA.Zip(filesB)) Assert.Equal(File.ReadAllBytes(x.Path), File.ReadAllBytes(y.Path));
            // The concept render is the concept in the prompt's scene; the generic one a different object in the same scene.
            var (scene, recolor) = ReferenceRenders.SceneFor(concept, prompts[1], 1, 0);
            Assert.Equal(PersonalConcepts.Render(concept, scene, recolor).EncodePng(), File.ReadAllBytes(filesA[4].Path));
            Assert.NotEqual(File.ReadAllBytes(filesA[4].Path), File.ReadAllBytes(filesA[5].Path));
        }
        finally
        {
            Directory.Delete(a, true);
            Directory.Delete(b, true);
        }
    }

    [Fact]
    public void Every_evaluation_prompt_of_the_world_becomes_a_scene_with_its_stated_background_and_style()
    {
        string dir = Path.Combine(FixturePaths.RepoRoot, "paper-configs", "prompts", "miniworld");
        foreach (string file in new[] { "adb_eval_24.txt", "core_eval_animate.txt", "core_eval_inanimate.txt" })
        {
            var prompts = PromptSet.Load(Path.Combine(dir, file));
            foreach (var concept in PersonalConcepts.All)
            for (int p = 0; p < prompts.Count; p++)
            {
                string text = BasePrompt(prompts[p].Template, concept.SuperCategory);
                var parsed = CaptionGrammar.Parse(text);
                var (scene, color) = ReferenceRenders.SceneFor(concept, text, p, 0);
                Assert.Equal(concept.Category, scene.Category);
                Assert.Equal(parsed.Style, scene.Style);
                if (parsed.Background is { } stated) Assert.Equal(stated, scene.Background);
                Assert.Equal(parsed.Color, color);
                Assert.Equal(parsed.Accessory, scene.Accessory);
            }
        }
    }

    [Fact]
    public void Base_prompts_mention_only_the_category_word()
    {
        string dir = Path.Combine(FixturePaths.RepoRoot, "paper-configs", "prompts", "miniworld");
        foreach (string file in new[] { "adb_eval_24.txt", "core_eval_animate.txt", "core_eval_inanimate.txt" })
        foreach (var prompt in PromptSet.Load(Path.Combine(dir, file)))
        foreach (var concept in PersonalConcepts.All)
        {
            string text = BasePrompt(prompt.Template, concept.SuperCategory);
            Assert.Equal(prompt.Template.Replace("{}", concept.SuperCategory), text);
            Assert.DoesNotContain("{}", text);
            Assert.DoesNotContain("<", text);
            Assert.DoesNotContain(concept.Id, text);
        }
    }

    /// <summary>8 concepts × 4 prompts × 4 images: base ≈ 0.5; "Good" = base + shift on the first <paramref name="better"/> concepts; "Same" = base.</summary>
    private static List<ImageIdentity> Constructed(int better, double shift = 0.2)
    {
        var rng = new Random(1);
        var scores = new List<ImageIdentity>();
        for (int c = 0; c < 8; c++)
        for (int p = 0; p < 4; p++)
        for (int i = 0; i < 4; i++)
        {
            double b = 0.5 + 0.05 * (rng.NextDouble() - 0.5) + 0.02 * p, noise = 0.05 * (rng.NextDouble() - 0.5);
            double good = c < better ? b + shift + noise : b;
            string concept = $"concept{c}", image = $"{c}/{p}/{i}.png";
            scores.Add(new ImageIdentity(BaseMethod, concept, p, image, b, b - 0.5, b + 0.1));
            scores.Add(new ImageIdentity("Good", concept, p, image, good, good - 0.5, good + 0.1));
            scores.Add(new ImageIdentity("Same", concept, p, image, b, b - 0.5, b + 0.1));
        }
        return scores;
    }

    [Fact]
    public void A_clearly_better_method_passes_and_an_identical_one_does_not()
    {
        var a = Analyze(Constructed(better: 8), resamples: 300);
        foreach (string metric in Metrics)
        {
            var s = a.Summaries.Single(x => x.Metric == metric);
            Assert.Equal("Good", s.Best);
            Assert.Equal(8, s.Passed.Count);
            Assert.Equal(6, s.Target);
            Assert.True(s.MeetsTarget);
            var good = a.Rows.Where(r => r.Metric == metric && r.Method == "Good").ToList();
            Assert.Equal(9, good.Count); // 8 concepts + all
            Assert.All(good, r => Assert.InRange(r.Delta!.Value, 0.18, 0.22));
            Assert.All(good, r => Assert.True(r.Low > 0.15 && r.Low < r.Delta && r.High > r.Delta, $"{r.Concept}: [{r.Low}, {r.High}]"));
            // Identical to the base model: Δ = 0, its interval straddles 0 (each arm's images are resampled on their own), never counted.
            Assert.All(a.Rows.Where(r => r.Metric == metric && r.Method == "Same"), r => Assert.True(r.Low < 0 && r.High > 0, r.Concept));
            Assert.All(a.Rows.Where(r => r.Metric == metric && r.Method == "Same"), r => Assert.Equal(0.0, r.Delta!.Value, 12));
            var pair = a.Pairs.Single(p => p.Metric == metric);
            Assert.Equal(("Good", "Same"), (pair.A, pair.B));
            Assert.True(pair.ExcludesZero);
            Assert.InRange(pair.Delta, 0.18, 0.22);
        }
        Assert.Equal(Metrics, a.Summaries.Select(x => x.Metric).ToArray());
        // Without a DINO model (NaN scores) the DINO metric is left out, not reported empty.
        var noDino = Analyze(Constructed(better: 8).Select(s => s with { Dino = double.NaN }).ToList(), resamples: 50);
        Assert.Equal([ClipI, Contrastive], noDino.Summaries.Select(x => x.Metric).ToArray());
        Assert.DoesNotContain(noDino.Rows, r => r.Metric == PersonalizationCheck.Dino);
        // The identical method alone (best = Same) passes on no concept.
        var same = Analyze(Constructed(better: 8).Where(s => s.Method != "Good").ToList(), resamples: 300);
        Assert.Equal("Same", same.Summaries[0].Best);
        Assert.Empty(same.Summaries[0].Passed);
        Assert.False(same.Summaries[0].MeetsTarget);
        Assert.Empty(same.Pairs);
    }

    [Fact]
    public void World_renders_give_the_ceiling_and_are_never_the_best_method_or_in_a_pair()
    {
        // Render: concept = base + 0.3 on every concept; Render: generic = base + 0.3 on the first 3 concepts only (there
        // a generic object looks like the concept); "Good" = base + 0.2 everywhere.
        var scores = Constructed(better: 8);
        foreach (var s in scores.Where(s => s.Method == BaseMethod).ToList())
        {
            int c = int.Parse(s.Concept["concept".Length..]);
            scores.Add(s with { Method = ReferenceRenders.ConceptArm, ClipI = s.ClipI + 0.3, Contrastive = s.Contrastive + 0.3, Dino = s.Dino + 0.3 });
            double generic = c < 3 ? 0.3 : 0;
            scores.Add(s with { Method = ReferenceRenders.GenericArm, ClipI = s.ClipI + generic, Contrastive = s.Contrastive + generic, Dino = s.Dino + generic });
        }
        var a = Analyze(scores, resamples: 300);
        Assert.Equal(["Good", "Same"], a.Methods);
        foreach (string metric in Metrics)
        {
            Assert.Equal("Good", a.Summaries.Single(s => s.Metric == metric).Best);
            Assert.Single(a.Pairs, p => p.Metric == metric);
            var top = a.Ceilings.Single(c => c.Metric == metric);
            Assert.Equal(8, top.AboveBase.Count);
            Assert.Equal(["concept3", "concept4", "concept5", "concept6", "concept7"], top.AboveGeneric);
            var rendered = a.Rows.Single(r => r.Metric == metric && r.Concept == AllConcepts && r.Method == ReferenceRenders.ConceptArm);
            Assert.Equal(0.3, rendered.Delta!.Value, 9);
            var all = a.Ceiling.Single(c => c.Metric == metric && c.Concept == AllConcepts);
            Assert.Equal(0.3 - 3 * 0.3 / 8, all.Delta, 9);
            Assert.Equal(0.0, a.Ceiling.Single(c => c.Metric == metric && c.Concept == "concept0").Delta, 9);
        }
        // Without both arms there is no ceiling.
        Assert.Empty(Analyze(scores.Where(s => s.Method != ReferenceRenders.GenericArm).ToList(), resamples: 50).Ceilings);
    }

    [Fact]
    public void Better_on_only_five_of_eight_concepts_misses_the_target_and_a_small_shift_is_not_significant()
    {
        var five = Analyze(Constructed(better: 5), resamples: 300).Summaries.Single(s => s.Metric == ClipI);
        Assert.Equal(["concept0", "concept1", "concept2", "concept3", "concept4"], five.Passed);
        Assert.False(five.MeetsTarget);
        var tiny = Analyze(Constructed(better: 8, shift: 0.0), resamples: 300);
        Assert.True(tiny.Summaries.Single(s => s.Metric == ClipI).Passed.Count <= 1);
        Assert.False(tiny.Pairs.Single(p => p.Metric == ClipI).ExcludesZero);
    }

    [Fact]
    public void Paired_delta_resamples_prompts_together_and_images_within_them()
    {
        // Prompt effects (0 vs 10) are shared by both arms: the paired difference is exactly 1 with no spread.
        var concept = new List<(double[], double[]?)> { ([1, 1], [0, 0]), ([11, 11], [10, 10]) };
        var e = PairedDelta([concept], 500, 0);
        Assert.Equal((1.0, 1.0, 1.0, 4), (e.Mean, e.Low, e.High, e.Count));
        // Without a second arm it is the hierarchical mean with a prompt-level interval.
        var mean = PairedDelta([concept.Select(p => (p.Item1, (double[]?)null)).ToList()], 500, 0);
        Assert.Equal(6.0, mean.Mean);
        Assert.True(mean.Low < 6 && mean.High > 6);
    }

    [Fact]
    public void Runs_on_a_tiny_finished_table_caches_the_base_images_and_writes_the_expected_rows()
    {
        int threads = torch.get_num_threads();
        torch.set_num_threads(1);
        string root = Directory.CreateTempSubdirectory("repro-personal-").FullName;
        try
        {
            string configs = HarnessResumeTests.WriteConfigs(root);
            string model = TinyRandomModel.EnsureWritten(Path.Combine(root, "model"), seed: 0);
            TinyEvaluators.EnsureWritten(Path.Combine(root, "eval"));
            var harness = new HarnessOptions(configs, "smoke", ModelDir: model, EvalModels: Path.Combine(root, "eval"),
                                             CacheDir: Path.Combine(root, "cache"), OutputDir: Path.Combine(root, "out"));
            var paper = TableCommand.Load(configs).Single();
            TableRunner.Run(paper, paper.Table("Table1"), HarnessEnvironment.Resolve(harness, _ => { }), _ => { });

            string outDir = Path.Combine(root, "personal");
            var log = new List<string>();
            var analysis = Run(new PersonalizationCheck.Options(harness, "adb", "Table1", outDir, Resamples: 50), log.Add);
            Assert.Contains(log, l => l.Contains("base model, seed 0: generating", StringComparison.Ordinal));
            Assert.Contains(log, l => l.Contains("2 of 2 cell(s) finished", StringComparison.Ordinal)); // NeTI has no preset: not planned

            var lines = File.ReadAllLines(Path.Combine(outDir, "personalization.csv"));
            Assert.Equal("metric,concept,method,mean,delta_vs_base,ci_low,ci_high,n", lines[0]);
            var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
            var expected = from metric in new[] { "CLIP-I", "DINO", "contrastive" }   // the tiny random evaluators include a DINO
                           from concept in new[] { "cat_calico_01", "(all)" }
                           from method in new[] { "Base", "TI+DB", "Ours-fast", ReferenceRenders.ConceptArm, ReferenceRenders.GenericArm }
                           select $"{metric},{concept},{method}";
            Assert.Equal(expected.ToArray(), rows.Select(r => $"{r[0]},{r[1]},{r[2]}").ToArray());
            foreach (var r in rows)
            {
                Assert.True(double.TryParse(r[3], System.Globalization.CultureInfo.InvariantCulture, out _), string.Join(",", r));
                Assert.Equal(r[2] == "Base", r[4].Length == 0);
                Assert.Equal("2", r[7]); // smoke: 2 prompts × 1 image
            }
            string md = File.ReadAllText(Path.Combine(outDir, "personalization.md"));
            Assert.Contains("of 1** (target: 1 of 1, the issue's 6 of 8 scaled)", md);
            Assert.Contains("Caution: 2 prompt(s) per concept, one image per prompt", md);
            Assert.Contains("| TI+DB | Ours-fast |", md);
            Assert.Single(analysis.Pairs, p => p.Metric == "CLIP-I");
            Assert.Contains("Ceiling (world renders): Render: concept − Base has CI low > 0 on **", md);
            Assert.Contains("## DINO", md);
            var ceiling = File.ReadAllLines(Path.Combine(outDir, "personalization_ceiling.csv"));
            Assert.Equal("metric,concept,render_concept_minus_render_generic,ci_low,ci_high", ceiling[0]);
            Assert.Equal(["CLIP-I,cat_calico_01", "CLIP-I,(all)", "DINO,cat_calico_01", "DINO,(all)", "contrastive,cat_calico_01", "contrastive,(all)"],
                         ceiling.Skip(1).Select(l => string.Join(',', l.Split(',').Take(2))));
            Assert.Equal(4, Directory.GetFiles(Path.Combine(root, "cache", "reference-renders", "cat_calico_01"), "*.png", SearchOption.AllDirectories).Length);

            // The base images: the cells' prompts with the token removed ("{}" → "cat"), one per prompt, cached by content.
            var baseIndex = Directory.GetFiles(Path.Combine(root, "cache", "base-samples"), "samples.json", SearchOption.AllDirectories).Single();
            var basePrompts = JsonNode.Parse(File.ReadAllText(baseIndex))!["prompts"]!.AsObject().Select(p => p.Key).ToList();
            var templates = PromptSet.Load(Path.Combine(configs, "prompts", "miniworld", "adb_eval_24.txt")).Take(2).Select(t => t.Template).ToList();
            Assert.Equal(templates.Select(t => t.Replace("{}", "cat")).ToList(), basePrompts);
            var cellIndex = Directory.GetFiles(Path.Combine(root, "cache", "cells"), "samples.json", SearchOption.AllDirectories).First();
            var cellPrompts = JsonNode.Parse(File.ReadAllText(cellIndex))!["prompts"]!.AsObject().Select(p => p.Key).ToList();
            Assert.All(cellPrompts.Zip(basePrompts), x => Assert.NotEqual(x.First, x.Second)); // the cells' prompts carry the token

            // Again through the CLI: nothing generated, every embedding from the cache.
            var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "repro.dll"), "miniworld", "personalization",
                "--table", "adb/Table1", "--configs", configs, "--scale", "smoke", "--model-dir", model, "--eval-models", Path.Combine(root, "eval"),
                "--cache-dir", Path.Combine(root, "cache"), "--out", outDir, "--resamples", "50"]) { RedirectStandardError = true, RedirectStandardOutput = true };
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            string stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, stderr);
            Assert.Contains("base model, seed 0: cached", stderr);
            Assert.DoesNotContain("generating", stderr);
            Assert.Contains(", 0 miss(es))", stderr);
            Assert.Equal(lines, File.ReadAllLines(Path.Combine(outDir, "personalization.csv")));
        }
        finally
        {
            torch.set_num_threads(threads);
            Directory.Delete(root, recursive: true);
        }
    }
}
