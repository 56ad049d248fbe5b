using System.Text.Json.Nodes;
using Repro.Experiments.Commands;
using Repro.Experiments.Harness;
using Repro.Tests;
using Xunit;

namespace Repro.Experiments.Tests.Harness;

/// <summary>
/// The defaults of a run with no ModelDir / EvalModels / Scale: the miniature world next to the configs (or the
/// override), its CLIP and no DINO (DINO rows reported as "not available", never measured), the mini scale. Only folder
/// layouts are built here: nothing depends on the real weights.
/// </summary>
public sealed class HarnessDefaultsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("repro-defaults-").FullName;
    private static string RepoConfigs => Path.Combine(FixturePaths.RepoRoot, "paper-configs");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>&lt;root&gt;/paper-configs (a copy of the prompts and concept lists) and, unless told otherwise, a miniature-world folder layout.</summary>
    private string Repo(string name, bool unet = true)
    {
        string repo = Path.Combine(_root, name), configs = Path.Combine(repo, "paper-configs");
        foreach (string file in Directory.GetFiles(RepoConfigs, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(configs, Path.GetRelativePath(RepoConfigs, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        WriteMiniWorldLayout(Path.Combine(repo, "models", "miniworld"), unet);
        return configs;
    }

    private static void WriteMiniWorldLayout(string dir, bool unet)
    {
        Directory.CreateDirectory(Path.Combine(dir, "clip"));
        File.WriteAllText(Path.Combine(dir, "clip", "config.json"), "{}");
        File.WriteAllText(Path.Combine(dir, "model_index.json"), "{}");
        if (!unet) return;
        Directory.CreateDirectory(Path.Combine(dir, "unet"));
        File.WriteAllText(Path.Combine(dir, "unet", "config.json"), "{}");
    }

    private HarnessEnvironment Resolve(HarnessOptions o) => HarnessEnvironment.Resolve(o with { CacheDir = Path.Combine(_root, "cache") }, _ => { });

    [Fact]
    public void Default_is_the_miniature_world_beside_the_configs_its_clip_no_dino_and_the_mini_scale()
    {
        string configs = Repo("repo");
        var options = new HarnessOptions(configs);
        Assert.Equal("mini", options.Scale);
        var env = Resolve(options);
        string world = Path.Combine(_root, "repo", "models", "miniworld");
        Assert.Equal(world, env.ModelDir);
        Assert.True(env.MiniWorldModel);
        Assert.False(env.TinyModel);
        Assert.False(env.RandomEvaluators);
        Assert.Equal(Path.Combine(world, "clip"), env.ClipDir);
        Assert.Null(env.DinoDir);
        Assert.Equal("not available in the miniature world", env.DinoUnavailable);
        Assert.Equal(8, env.Concepts.Count);
        Assert.Equal(Path.GetFullPath("results"), env.OutputDir);
        Assert.Equal(1, env.TorchThreads);
        Assert.Equal(2, Resolve(options with { Threads = 2 }).TorchThreads);
    }

    [Fact]
    public void A_world_with_a_dino_folder_measures_dino_with_it()
    {
        string configs = Repo("repo");
        string world = Path.Combine(_root, "repo", "models", "miniworld");
        Directory.CreateDirectory(Path.Combine(world, "dino"));
        File.WriteAllText(Path.Combine(world, "dino", "config.json"), "{}");
        Assert.Null(Resolve(new HarnessOptions(configs)).DinoDir);   // a folder without weights is not a model
        File.WriteAllText(Path.Combine(world, "dino", "model.safetensors"), "");
        var env = Resolve(new HarnessOptions(configs));
        Assert.Equal(Path.Combine(world, "dino"), env.DinoDir);
        Assert.Null(env.DinoUnavailable);
    }

    [Fact]
    public void Option_then_environment_variable_override_the_miniature_world_folder()
    {
        string configs = Repo("repo", unet: false);
        string other = Path.Combine(_root, "snapshot");
        WriteMiniWorldLayout(other, unet: true);
        Assert.Equal(other, Resolve(new HarnessOptions(configs, MiniWorldDir: other)).ModelDir);
        string? before = Environment.GetEnvironmentVariable(HarnessOptions.MiniWorldVariable);
        try
        {
            Environment.SetEnvironmentVariable(HarnessOptions.MiniWorldVariable, other);
            Assert.Equal(other, HarnessEnvironment.MiniWorldDir(new HarnessOptions(configs)));
            Assert.Equal(Path.Combine(other, "clip"), Resolve(new HarnessOptions(configs)).ClipDir);
        }
        finally { Environment.SetEnvironmentVariable(HarnessOptions.MiniWorldVariable, before); }
    }

    [Fact]
    public void Missing_unet_fails_naming_the_folder_and_the_command_that_trains_it()
    {
        string configs = Repo("repo", unet: false);
        var error = Assert.Throws<DirectoryNotFoundException>(() => Resolve(new HarnessOptions(configs, MiniWorldDir: Path.Combine(_root, "repo", "models", "miniworld"))));
        Assert.Contains(Path.Combine(_root, "repo", "models", "miniworld", "unet"), error.Message);
        Assert.Contains("miniworld pretrain", error.Message);
        Assert.Contains("ModelDir=tiny", error.Message);
    }

    [Fact]
    public void Tiny_model_is_chosen_explicitly_and_brings_the_tiny_evaluators()
    {
        string configs = Repo("repo", unet: false);
        var env = Resolve(new HarnessOptions(configs, "smoke", ModelDir: HarnessOptions.TinyModel));
        Assert.True(env.TinyModel);
        Assert.False(env.MiniWorldModel);
        Assert.True(env.RandomEvaluators);
        Assert.NotNull(env.DinoDir);
        Assert.Null(env.DinoUnavailable);
        Assert.True(File.Exists(Path.Combine(env.ModelDir, "model_index.json")));
    }

    [Fact]
    public void Dino_rows_are_reported_as_not_available_and_never_measured()
    {
        var core = TableCommand.Load(RepoConfigs).Single(p => p.Id == "core");
        var table = core.Table("Table1");
        var measured = new List<MeasuredRow>
        {
            new("Ours", "CLIP-T", 0.25, 0.24, 0.26, 40), new("Ours", "CLIP-I", 0.70, 0.69, 0.71, 40),
            new("AttnDreamBooth", "CLIP-T", 0.26, 0.25, 0.27, 40), new("AttnDreamBooth", "CLIP-I", 0.68, 0.66, 0.7, 40),
        };
        var env = Resolve(new HarnessOptions(Repo("repo")));
        var unavailable = TableResults.Unavailable(table, env);
        Assert.Equal(["DINO"], unavailable.Keys.ToArray());
        var comparison = TableResults.Compare(table, measured, unavailable);
        var dino = comparison.Where(c => c.Metric == "DINO").ToList();
        Assert.Equal(5, dino.Count);
        Assert.All(dino, c => { Assert.Null(c.Measured); Assert.Null(c.Delta); Assert.Equal("not available in the miniature world", c.Status); });
        Assert.Equal(0.5842, dino.Single(c => c.Method == "Ours").Reported);
        Assert.Equal("measured", comparison.Single(c => c.Method == "Ours" && c.Metric == "CLIP-I").Status);
        Assert.Equal("not run", comparison.Single(c => c.Method == "NeTI" && c.Metric == "CLIP-I").Status);

        string dir = Path.Combine(_root, "out");
        Directory.CreateDirectory(dir);
        TableResults.WriteMeasured(Path.Combine(dir, "measured.csv"), measured);
        TableResults.WriteComparison(Path.Combine(dir, "comparison.csv"), comparison);
        Assert.DoesNotContain("DINO", File.ReadAllText(Path.Combine(dir, "measured.csv")));
        Assert.Contains("Ours,DINO,0.5842,,,,1,,not available in the miniature world", File.ReadAllLines(Path.Combine(dir, "comparison.csv")));
        var charts = TableCharts.Build(table, comparison, new Dictionary<string, IReadOnlyList<IReadOnlyList<(int, double)>>>());
        TableCharts.Save(charts, dir, table.Rows.Select(r => r.Display).ToList());
        var bars = charts.Single(c => c.File == "bars_dino.png");
        Assert.Empty(bars.Series.Single(s => s.Name == "measured").Y);
        Assert.True(new FileInfo(Path.Combine(dir, "bars_dino.png")).Length > 2000);

        var outcome = new TableOutcome(dir, 0, 0, 1.0, measured, comparison);
        TableReport.Write(Path.Combine(dir, "report.md"), core, table, core.Scale("mini"), env, outcome, charts, []);
        string report = File.ReadAllText(Path.Combine(dir, "report.md"));
        Assert.Contains("| Ours | 0.2568 | 0.2500 [0.2400, 0.2600] (n=40) |", report);
        Assert.Contains("| 0.5842 | not available in the miniature world |  | 1 / – |", report);
        Assert.Contains("- DINO: not available in the miniature world", report);
        Assert.Contains("DINO not available in the miniature world", report);

        // With real evaluators nothing is unavailable.
        Assert.Empty(TableResults.Unavailable(table, env with { DinoDir = "/eval/dino", DinoUnavailable = null }));
        // A world with its DINO stand-in says which DINO it measured with.
        var withDino = env with { DinoDir = Path.Combine(env.ModelDir, "dino"), DinoUnavailable = null };
        var evaluators = TableReport.Deviations(core, core.Scale("mini"), withDino, []).Single(d => d.StartsWith("Evaluators:", StringComparison.Ordinal));
        Assert.Contains("its DINO stand-in", evaluators);
        Assert.Contains("not DINO's self-distillation", evaluators);
        Assert.DoesNotContain("not available", evaluators);
    }

    [Fact]
    public void Mini_runs_every_implemented_method_on_every_concept_with_proportional_schedules()
    {
        var env = Resolve(new HarnessOptions(RepoConfigs, ModelDir: HarnessOptions.TinyModel));
        foreach (var paper in TableCommand.Load(RepoConfigs))
        {
            var mini = paper.Scale("mini");
            var cells = TablePlan.Cells(paper, paper.Table("Table1"), mini, env);
            var implemented = paper.Table("Table1").Rows.Where(r => paper.Method(r.Method).Preset is not null).ToList();
            Assert.Equal(implemented.Count * 8, cells.Count);
            Assert.Equal(8, cells.Select(c => c.Spec.Concept).Distinct().Count());
            Assert.Contains("1/20", mini.Note);
        }
        var adb = TableCommand.Load(RepoConfigs).Single(p => p.Id == "adb");
        var t1 = TablePlan.Cells(adb, adb.Table("Table1"), adb.Scale("mini"), env);
        int Steps(string row, string stage) => t1.First(c => c.Row.Display == row).Spec.KeyConfig[stage]!["steps"]!.GetValue<int>();
        Assert.Equal([3, 5, 25], new[] { Steps("Ours", "stage1"), Steps("Ours", "stage2"), Steps("Ours", "stage3") });
        Assert.Equal(10, Steps("Ours-fast", "stage3"));  // the preset's own schedule: 200/500 of the full model's stage 3, as in the paper
        Assert.Equal(33, t1.First(c => c.Row.Display == "TI+DB").Spec.KeyConfig["steps"]!.GetValue<int>());
        // A stage an ablation switches off stays off at every scale.
        var t4 = TablePlan.Cells(adb, adb.Table("Table4"), adb.Scale("mini"), env);
        JsonNode Config(string row) => t4.First(c => c.Row.Display == row).Spec.KeyConfig;
        Assert.Equal(0, Config("W/o Stage 1")["stage1"]!["steps"]!.GetValue<int>());
        Assert.Equal(5, Config("W/o Stage 1")["stage2"]!["steps"]!.GetValue<int>());
        Assert.Equal(0, Config("W/o Stage 3")["stage3"]!["steps"]!.GetValue<int>());
    }
}
