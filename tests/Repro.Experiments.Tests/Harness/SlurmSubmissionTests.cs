using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Repro.Experiments.Commands;
using Repro.Experiments.Harness;
using Xunit;

namespace Repro.Experiments.Tests.Harness;

/// <summary>
/// `repro slurm` scripts: resource overrides in the generated script, and a real submission to a running Slurm
/// cluster (build/slurm/single-node.sh start) — skipped where no cluster answers.
/// </summary>
[Trait("Category", "Slurm")]
public sealed class SlurmSubmissionTests
{
    private static string Repro => Path.Combine(AppContext.BaseDirectory, "repro.dll");

    [Fact]
    public void Slurm_script_takes_cpus_and_mem_overrides_for_every_job()
    {
        string root = Directory.CreateTempSubdirectory("repro-slurm-gen-").FullName;
        string configs = HarnessResumeTests.WriteConfigs(root);
        string script = Path.Combine(root, "repro-slurm.sh");
        var (code, _, stderr) = SlurmCluster.Run("dotnet", [Repro, "slurm", "--target", "ReproAdbTable1", "--configs", configs, "--scale", "smoke", "--model-dir", "tiny",
            "--cache-dir", Path.Combine(root, "cache"), "--output-dir", Path.Combine(root, "out"), "--cpus-per-task", "2", "--mem", "3G", "--out", script], root);
        Assert.True(code == 0, stderr);
        var sbatch = File.ReadAllLines(script).Where(l => l.StartsWith("JOB=$(sbatch ", StringComparison.Ordinal) || l.StartsWith("sbatch ", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, sbatch.Count); // two trained rows, then the merge
        Assert.All(sbatch, l => Assert.Contains("--mem=3G", l));
        Assert.All(sbatch.SkipLast(1), l => Assert.Contains("--cpus-per-task=2", l));
        Assert.Contains("JOBS=\"$JOBS:${JOB%%;*}\"", File.ReadAllText(script)); // "id;cluster" from --parsable on multi-cluster setups
        Directory.Delete(root, recursive: true);
    }

    /// <summary>
    /// Submits the script of a two-cell smoke table with the real sbatch: both array tasks must run under Slurm (their
    /// manifests name the array job and task, their slurm-*.out logs say "done in"), the merge job must complete with
    /// both cells from the cache, and a later run with the same cache must compute nothing.
    /// </summary>
    [SlurmFact]
    public void Real_submission_runs_every_cell_as_an_array_task_and_the_merge_only_merges()
    {
        string root = Directory.CreateTempSubdirectory("repro-slurm-real-").FullName;
        string configs = HarnessResumeTests.WriteConfigs(root);
        string script = Path.Combine(root, "repro-slurm.sh");
        var (code, _, stderr) = SlurmCluster.Run("dotnet", [Repro, "slurm", "--target", "ReproAdbTable1", "--configs", configs, "--scale", "smoke", "--model-dir", "tiny",
            "--cache-dir", Path.Combine(root, "cache"), "--output-dir", Path.Combine(root, "out"), "--cpus-per-task", "1", "--mem", "2G", "--out", script], root);
        Assert.True(code == 0, stderr);

        (code, string stdout, stderr) = SlurmCluster.Run("bash", [script], root);
        Assert.True(code == 0, $"bash {script} exited {code}:\n{stderr}");
        string merge = stdout.Trim().Split('\n')[^1].Split(';')[0];
        Assert.Matches(@"^\d+$", merge);

        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (true)
        {
            var (_, queued, _) = SlurmCluster.Run("squeue", ["-h", "-j", merge, "-o", "%T %r"], root);
            if (queued.Trim().Length == 0) break;
            if (queued.Contains("DependencyNeverSatisfied", StringComparison.Ordinal) || DateTime.UtcNow > deadline)
            {
                SlurmCluster.Run("scancel", [merge], root);
                Assert.Fail($"merge job {merge}: {queued.Trim()}\n{Logs(root)}");
            }
            Thread.Sleep(1000);
        }
        // Without accounting, slurmctld remembers a finished job for MinJobAge (300 s by default).
        var (_, job, _) = SlurmCluster.Run("scontrol", ["show", "job", merge], root);
        Assert.True(job.Contains("JobState=COMPLETED", StringComparison.Ordinal) && job.Contains("ExitCode=0:0", StringComparison.Ordinal),
                    $"merge job {merge}:\n{job}\n{Logs(root)}");

        // Each cell was computed by an array task (its log says so, its manifest names the job); one array per method.
        foreach (string log in new[] { "slurm-repro-adb-Table1-ti-db-0.out", "slurm-repro-adb-Table1-ours-fast-1.out" })
            Assert.Contains("done in", File.ReadAllText(Path.Combine(root, log)));
        var manifests = Directory.GetFiles(Path.Combine(root, "cache", "cells"), CellRunner.ManifestFile, SearchOption.AllDirectories);
        Assert.Equal(2, manifests.Length);
        var slurmJobs = manifests.Select(m => (string?)JsonNode.Parse(File.ReadAllText(m))!["slurm_job"]).ToList();
        Assert.All(slurmJobs, j => Assert.Matches(@"^\d+_[01]$", j ?? ""));
        Assert.Equal(2, slurmJobs.Select(j => j!.Split('_')[0]).Distinct().Count());

        Assert.Contains("2 cell(s), 2 from the cache", File.ReadAllText(Path.Combine(root, "slurm-repro-merge.out")));
        Assert.True(File.Exists(Path.Combine(root, "out", "adb", "Table1", "comparison.csv")), Logs(root));
        var paper = TableCommand.Load(configs).Single();
        var env = HarnessEnvironment.Resolve(new HarnessOptions(configs, "smoke", CacheDir: Path.Combine(root, "cache"), OutputDir: Path.Combine(root, "again")), _ => { });
        var again = TableRunner.Run(paper, paper.Table("Table1"), env, _ => { });
        Assert.Equal(again.Cells, again.Hits);
        Directory.Delete(root, recursive: true);
    }

    private static string Logs(string root) => string.Join("\n", Directory.GetFiles(root, "slurm-*.out").Order(StringComparer.Ordinal)
        .Select(f => $"== {Path.GetFileName(f)}\n{string.Join('\n', File.ReadLines(f).TakeLast(15))}"));
}

/// <summary>A fact that runs only where a Slurm cluster answers: sinfo on PATH shows a node that can take jobs.</summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        if (SlurmCluster.Unavailable.Value is { } why) Skip = why;
    }
}

/// <summary>
/// The Slurm client environment for tests: SLURM_CONF as set, else build/slurm/single-node.sh's default
/// /tmp/slurm-test/slurm.conf while its slurmctld pid file exists (after `stop` sinfo would spend ~10 s failing).
/// </summary>
public static class SlurmCluster
{
    private const string SingleNode = "/tmp/slurm-test";

    private static string? Conf => Environment.GetEnvironmentVariable("SLURM_CONF") is { Length: > 0 } conf ? conf
                                   : File.Exists(Path.Combine(SingleNode, "run", "slurmctld.pid")) ? Path.Combine(SingleNode, "slurm.conf") : null;

    /// <summary>Why real submissions cannot run here, or null when a node is idle, mixed or allocated.</summary>
    public static readonly Lazy<string?> Unavailable = new(() =>
    {
        const string hint = "start one with build/slurm/single-node.sh start (docs/harness.md, Scale-out)";
        try
        {
            var (code, stdout, stderr) = Run("sinfo", ["-h", "-o", "%t"], Directory.GetCurrentDirectory(), TimeSpan.FromSeconds(15));
            if (code != 0) return $"sinfo failed ({stderr.Trim().Split('\n')[^1]}); {hint}";
            return Regex.IsMatch(stdout, @"^(idle|mix|alloc)", RegexOptions.Multiline) ? null : $"no Slurm node can take jobs (sinfo: {stdout.Trim()}); {hint}";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return $"Slurm is not installed (no sinfo on PATH); {hint}";
        }
    });

    public static (int Code, string Stdout, string Stderr) Run(string file, IEnumerable<string> args, string workingDir, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = workingDir };
        if (Conf is { } conf) start.Environment["SLURM_CONF"] = conf;
        start.Environment["OMP_NUM_THREADS"] = "1";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, stdout.Result, $"{file} timed out\n{stderr.Result}");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
