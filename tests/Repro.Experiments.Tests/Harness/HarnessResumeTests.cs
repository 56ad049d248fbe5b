using System.Diagnostics;
using System.Text.Json.Nodes;
using Repro.Experiments.Commands;
using Repro.Experiments.Harness;
using Repro.Tests;
using Xunit;

namespace Repro.Experiments.Tests.Harness;

/// <summary>
/// A three-cell smoke table on the tiny random model (TI+DB, Ours-fast, and a "not run" row) run three ways — uninterrupted, killed after its
/// first cell and re-run, and as sbatch array tasks executed locally — must give the same comparison.csv (numbers to
/// 1e-5: cells computed in other processes may differ in the last bits).
/// </summary>
public sealed class HarnessResumeTests : IClassFixture<HarnessResumeTests.Uninterrupted>
{
    private readonly Uninterrupted _reference;

    public HarnessResumeTests(Uninterrupted reference) => _reference = reference;

    /// <summary>A paper-configs copy whose only table is ADB Table 1 with three rows (two trained, one not run).</summary>
    public static string WriteConfigs(string root)
    {
        string configs = Path.Combine(root, "paper-configs");
        string source = Path.Combine(FixturePaths.RepoRoot, "paper-configs");
        foreach (string file in Directory.GetFiles(source, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/tables/")))
        {
            string target = Path.Combine(configs, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var paper = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "tables", "attndreambooth.json")))!.AsObject();
        var table1 = paper["tables"]!.AsArray().Single(t => (string?)t!["id"] == "Table1")!.DeepClone().AsObject();
        var keep = new[] { "TI+DB", "NeTI", "Ours-fast" };
        table1["rows"] = new JsonArray(table1["rows"]!.AsArray().Where(r => keep.Contains((string?)r!["method"])).Select(r => r!.DeepClone()).ToArray());
        paper["tables"] = new JsonArray(table1);
        paper.Remove("$schema");
        Directory.CreateDirectory(Path.Combine(configs, "tables"));
        File.WriteAllText(Path.Combine(configs, "tables", "adb.json"), paper.ToJsonString());
        return configs;
    }

    private static string ComparisonCsv(string output) => File.ReadAllText(Path.Combine(output, "adb", "Table1", "comparison.csv"));

    private static HarnessEnvironment Environment(string configs, string root) =>
        HarnessEnvironment.Resolve(new HarnessOptions(configs, "smoke", ModelDir: HarnessOptions.TinyModel, CacheDir: Path.Combine(root, "cache"), OutputDir: Path.Combine(root, "out")), _ => { });

    private static TableOutcome RunInProcess(string configs, string root)
    {
        var paper = TableCommand.Load(configs).Single();
        return TableRunner.Run(paper, paper.Table("Table1"), Environment(configs, root), _ => { });
    }

    private static string Repro => Path.Combine(AppContext.BaseDirectory, "repro.dll");

    /// <summary>The child runs use this process's torch thread count (the CLI's default on the tiny model is 1), so their numbers match the in-process ones.</summary>
    private static string Threads => TorchSharp.torch.get_num_threads().ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Killed_run_resumes_without_losing_finished_cells_and_gives_the_same_csv()
    {
        string root = Directory.CreateTempSubdirectory("repro-kill-").FullName;
        string configs = WriteConfigs(root);
        var start = new ProcessStartInfo("dotnet", [Repro, "table", "run", "--configs", configs, "--scale", "smoke", "--model-dir", "tiny", "--threads", Threads, "--paper", "adb", "--table", "Table1",
                                                    "--cache-dir", Path.Combine(root, "cache"), "--output-dir", Path.Combine(root, "out")])
        { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        string? line;
        bool firstCellDone = false;
        while ((line = process.StandardError.ReadLine()) is not null)
            if (line.Contains("]: done in ", StringComparison.Ordinal)) { firstCellDone = true; break; }
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        Assert.True(firstCellDone, "the child run never finished its first cell");
        Assert.False(File.Exists(Path.Combine(root, "out", "adb", "Table1", "comparison.csv")), "the killed run got to the end");

        var resumed = RunInProcess(configs, root);
        Assert.Equal(2, resumed.Cells);
        Assert.True(resumed.Hits >= 1, "the finished cell was computed again");
        AssertSameCsv(_reference.Csv, ComparisonCsv(Path.Combine(root, "out")));
        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public void Slurm_array_tasks_run_locally_fill_the_cache_and_the_merge_gives_the_same_csv()
    {
        string root = Directory.CreateTempSubdirectory("repro-slurm-").FullName;
        string configs = WriteConfigs(root);
        string bin = Path.Combine(root, "bin");
        Directory.CreateDirectory(bin);
        // A stand-in sbatch: runs each --wrap command at once, once per --array index, with SLURM_ARRAY_TASK_ID set.
        File.WriteAllText(Path.Combine(bin, "sbatch"), """
            #!/bin/bash
            array=""; wrap=""
            for a in "$@"; do case "$a" in --array=*) array="${a#--array=}";; --wrap=*) wrap="${a#--wrap=}";; esac; done
            echo "sbatch $*" >> "$(dirname "$0")/submitted.log"
            if [ -n "$array" ]; then
              IFS=, read -ra ids <<< "$array"
              for i in "${ids[@]}"; do SLURM_ARRAY_TASK_ID=$i bash -c "$wrap" >&2 || exit 1; done
            else
              bash -c "$wrap" >&2 || exit 1
            fi
            echo $((RANDOM + 1))
            """.Replace("\r", ""));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path.Combine(bin, "sbatch"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string script = Path.Combine(root, "repro-slurm.sh");
        Assert.Equal(0, Run("dotnet", [Repro, "slurm", "--target", "ReproAdbTable1", "--configs", configs, "--scale", "smoke", "--model-dir", "tiny",
                                       "--threads", Threads, "--cache-dir", Path.Combine(root, "cache"), "--output-dir", Path.Combine(root, "out"), "--out", script], bin));
        Assert.Equal(0, Run("bash", [script], bin));

        var submitted = File.ReadAllLines(Path.Combine(bin, "submitted.log"));
        Assert.Equal(3, submitted.Length); // one array per trained method, then the merge
        Assert.Contains("--dependency=afterok:", submitted[^1]);
        AssertSameCsv(_reference.Csv, ComparisonCsv(Path.Combine(root, "out")));
        var merged = RunInProcess(configs, root);
        Assert.Equal(merged.Cells, merged.Hits);
        Directory.Delete(root, recursive: true);
    }

    /// <summary>Same rows and text; numbers equal to 1e-5 (cells computed in other processes may differ in the last bits).</summary>
    private static void AssertSameCsv(string expected, string actual)
    {
        var e = expected.ReplaceLineEndings("\n").Split('\n');
        var a = actual.ReplaceLineEndings("\n").Split('\n');
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++)
        {
            var ef = e[i].Split(',');
            var af = a[i].Split(',');
            Assert.Equal(ef.Length, af.Length);
            for (int j = 0; j < ef.Length; j++)
            {
                bool numbers = double.TryParse(ef[j], System.Globalization.CultureInfo.InvariantCulture, out double x)
                               & double.TryParse(af[j], System.Globalization.CultureInfo.InvariantCulture, out double y);
                Assert.True(numbers ? Math.Abs(x - y) <= 1e-5 : ef[j] == af[j], $"comparison.csv line {i + 1}, field {j + 1}: '{af[j]}' vs expected '{ef[j]}'");
            }
        }
    }

    private static int Run(string file, IEnumerable<string> args, string binDir)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true };
        start.Environment["PATH"] = binDir + ":" + System.Environment.GetEnvironmentVariable("PATH");
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new Xunit.Sdk.XunitException($"{file} {string.Join(' ', args)} exited {process.ExitCode}:\n{stderr.Result}");
        return process.ExitCode;
    }

    /// <summary>The uninterrupted, in-process run every other way must reproduce.</summary>
    public sealed class Uninterrupted : IDisposable
    {
        private readonly string _root = Directory.CreateTempSubdirectory("repro-ref-").FullName;

        public Uninterrupted()
        {
            string configs = WriteConfigs(_root);
            var outcome = RunInProcess(configs, _root);
            Assert.Equal(0, outcome.Hits);
            Csv = ComparisonCsv(Path.Combine(_root, "out"));
        }

        public string Csv { get; }

        public void Dispose() => Directory.Delete(_root, recursive: true);
    }
}
