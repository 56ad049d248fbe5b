using Repro.Model.IO;
using System.CommandLine;
using Repro.Experiments.Harness;
using Repro.Experiments.Harness.Definitions;
using Repro.Experiments.Methods;

namespace Repro.Experiments.Commands;

/// <summary><c>repro table run|list|validate</c> and <c>repro slurm</c>: the paper-table harness (docs/harness.md).</summary>
public static class TableCommand
{
    /// <summary>The harness options of a table run (shared by <c>repro table run|slurm</c> and <c>repro miniworld personalization</c>, which re-plans a run's cells).</summary>
    public sealed record Options(Option<string?> Configs, Option<string> Scale, Option<string?> ModelDir, Option<string?> DataDir, Option<string?> EvalModels,
                                 Option<string?> Device, Option<string?> Concepts, Option<string?>? OutputDir, Option<string?> CacheDir, Option<int?> Threads)
    {
        /// <summary>Without <paramref name="outputDir"/> the command has no --output-dir (it writes elsewhere).</summary>
        public static Options Create(bool outputDir = true) => new(
            new("--configs") { Description = "The paper-configs folder (default: ./paper-configs)." },
            new("--scale") { Description = "mini (default), smoke (pipeline check, CI) or paper.", DefaultValueFactory = _ => HarnessOptions.DefaultScale },
            new("--model-dir") { Description = $"Diffusers SD folder (default: the miniature world, <repo>/models/miniworld or ${HarnessOptions.MiniWorldVariable}; \"tiny\": the tiny random model)." },
            new("--data-dir") { Description = "DreamBooth-layout concept folders (default: the miniature world's subjects)." },
            new("--eval-models") { Description = "Folder with clip/ and dino/ (transformers layout; default: the miniature world's CLIP and no DINO, or tiny random evaluators with a --model-dir)." },
            new("--device") { Description = "cpu, cuda or cuda:N." },
            new("--concepts") { Description = "Comma-separated concept ids (default: the scale's first N)." },
            outputDir ? new("--output-dir") { Description = "Results root (default: out/smoke for smoke, results/ otherwise)." } : null,
            new("--cache-dir") { Description = "Cell cache (default: out/cache)." },
            new("--threads") { Description = "Torch CPU threads (default: 1 for the miniature world and the tiny model, torch's default otherwise)." });

        public IEnumerable<Option> All => new Option?[] { Configs, Scale, ModelDir, DataDir, EvalModels, Device, Concepts, OutputDir, CacheDir, Threads }.OfType<Option>();

        public HarnessOptions Get(ParseResult r) => new(r.GetValue(Configs) ?? "paper-configs", r.GetValue(Scale)!, r.GetValue(ModelDir), r.GetValue(DataDir),
            r.GetValue(EvalModels), r.GetValue(Device), r.GetValue(Concepts)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            OutputDir is null ? null : r.GetValue(OutputDir), r.GetValue(CacheDir), Threads: r.GetValue(Threads));
    }

    public static IReadOnlyList<PaperDefinition> Load(string configs) =>
        DefinitionLoader.LoadAll(Path.Combine(configs, "tables"), p => MethodPresets.Presets.ContainsKey(p) ? MethodPresets.MethodOf(p) : null);

    /// <summary>The (paper, table) pairs a target runs: a table target, ReproTable1 or ReproAll.</summary>
    public static IReadOnlyList<(PaperDefinition Paper, TableEntry Table)> Resolve(IReadOnlyList<PaperDefinition> papers, string target)
    {
        var all = papers.SelectMany(p => p.Tables.Where(t => t.Computed).Select(t => (p, t))).ToList();
        var chosen = target switch
        {
            "ReproAll" => all,
            "ReproTable1" => all.Where(x => x.t.Id == "Table1").ToList(),
            _ => all.Where(x => x.t.Target == target).ToList(),
        };
        return chosen.Count > 0 ? chosen : throw new ArgumentException($"unknown target '{target}' (known: ReproTable1, ReproAll, {string.Join(", ", all.Select(x => x.t.Target))})");
    }

    public static Command Create()
    {
        var o = Options.Create();
        var paper = new Option<string>("--paper") { Description = "Paper id (adb, core).", Required = true };
        var table = new Option<string>("--table") { Description = "Table id, e.g. Table1.", Required = true };
        var cell = new Option<int?>("--cell-index") { Description = "Run only this cell (an sbatch array task); no aggregation." };
        var run = new Command("run", "Runs a table's cells (cached, resumable) and writes measured.csv, comparison.csv, charts and report.md.") { paper, table, cell };
        foreach (var x in o.All) run.Options.Add(x);
        run.SetAction(r => Cli.Guard(() =>
        {
            var options = o.Get(r);
            var p = Load(options.ConfigsDir).FirstOrDefault(x => x.Id == r.GetValue(paper)) ?? throw new ArgumentException($"unknown paper '{r.GetValue(paper)}'");
            var env = HarnessEnvironment.Resolve(options, Console.Error.WriteLine);
            if (env.TorchThreads is { } threads) TorchSharp.torch.set_num_threads(threads);
            TableRunner.Run(p, p.Table(r.GetValue(table)!), env, Console.Error.WriteLine, r.GetValue(cell));
        }));
        var configs = new Option<string?>("--configs") { Description = "The paper-configs folder (default: ./paper-configs)." };
        var validate = new Command("validate", "Parses and validates every definition (errors name the file and line).") { configs };
        validate.SetAction(r => Cli.Guard(() =>
        {
            foreach (var p in Load(r.GetValue(configs) ?? "paper-configs"))
                Console.WriteLine($"{p.File}: {p.Paper}: {p.Tables.Count} table(s), {p.Methods.Count} method(s), scales {string.Join("/", p.Scales.Select(s => s.Name))}");
        }));
        return new Command("table", "Paper tables: run, validate.") { run, validate };
    }

    public static Command Slurm()
    {
        var o = Options.Create();
        var target = new Option<string>("--target") { Description = "ReproAdbTable1, ReproCoreTable1, ReproTable1, ReproAll, ...", Required = true };
        var output = new Option<string>("--out") { Description = "Script path.", DefaultValueFactory = _ => "repro-slurm.sh" };
        var gres = new Option<string?>("--gres") { Description = "GPU request per array task, e.g. gpu:1 (default: none)." };
        var cpus = new Option<int?>("--cpus-per-task") { Description = "CPUs per array task (default: 8). Slurm keeps a job no node can hold pending (PartitionConfig) instead of rejecting it." };
        var mem = new Option<string?>("--mem") { Description = "Memory per array task and for the merge job, e.g. 4G (default: per method family and scale; 8G for the merge)." };
        var command = new Command("slurm", "Writes an sbatch script: a job array per method (one task per cell) and a merge job.") { target, output, gres, cpus, mem };
        foreach (var x in o.All) command.Options.Add(x);
        command.SetAction(r => Cli.Guard(() =>
        {
            var options = o.Get(r);
            var env = HarnessEnvironment.Resolve(options, Console.Error.WriteLine);
            var tables = Resolve(Load(options.ConfigsDir), r.GetValue(target)!)
                .Select(x => (x.Paper, x.Table, TablePlan.Cells(x.Paper, x.Table, x.Paper.Scale(options.Scale), env))).ToList();
            // Only what the user chose (absolute paths); defaults resolve the same way inside every task.
            string args = string.Join(" ", new[]
            {
                $"--configs {Path.GetFullPath(options.ConfigsDir)}", $"--scale {options.Scale}",
                options.ModelDir is null ? "" : $"--model-dir {(options.ModelDir == HarnessOptions.TinyModel ? options.ModelDir : Path.GetFullPath(options.ModelDir))}",
                options.DataDir is null ? "" : $"--data-dir {Path.GetFullPath(options.DataDir)}",
                options.EvalModels is null ? "" : $"--eval-models {Path.GetFullPath(options.EvalModels)}",
                $"--cache-dir {env.CacheDir}", $"--output-dir {env.OutputDir}",
                options.Device is null ? "" : $"--device {options.Device}", options.Threads is null ? "" : $"--threads {options.Threads}", options.Concepts is null ? "" : $"--concepts {string.Join(",", options.Concepts)}",
            }.Where(a => a.Length > 0));
            string script = SlurmScript.Generate(tables, typeof(TableCommand).Assembly.Location, args, options.Scale, r.GetValue(gres), r.GetValue(cpus), r.GetValue(mem));
            AtomicFile.WriteAllText(r.GetValue(output)!, script);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(r.GetValue(output)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            Console.WriteLine($"Wrote {r.GetValue(output)} ({tables.Sum(t => t.Item3.Count)} cell(s)); submit with: bash {r.GetValue(output)}");
        }));
        return command;
    }
}
