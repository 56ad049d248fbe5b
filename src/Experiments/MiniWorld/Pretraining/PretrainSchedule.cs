using Repro.Model.IO;
using System.Diagnostics;
using System.Reflection;

namespace Repro.Experiments.MiniWorld.Pretraining;

/// <summary>
/// <c>--stage all --parallel N</c>: the five stages as child processes (<c>repro miniworld pretrain --stage S</c>), up to
/// N at a time, each started once the stages it needs are complete. On two cores the two chains vae → unet and
/// clip → evaluator (→ dino, which needs nothing) overlap, so the whole world takes the longer chain's time instead of the sum of all.
/// </summary>
public static class PretrainSchedule
{
    /// <summary>
    /// What each stage starts from: the evaluator from the conditioning CLIP; the UNet from the VAE and the text encoder.
    /// The UNet also needs the finished evaluator, but only at its conditioning switch (step 10,500, long after the
    /// evaluator ends in this schedule); reaching it earlier stops the UNet with an error that says so.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string[]> Needs = new Dictionary<string, string[]>
    {
        ["vae"] = [], ["clip"] = [], ["evaluator"] = ["clip"], ["unet"] = ["vae", "clip"], ["dino"] = [],
    };

    /// <summary>Start order among ready stages: the critical chain (vae → unet) first; the independent DINO stand-in last.</summary>
    public static readonly string[] Priority = ["vae", "clip", "unet", "evaluator", "dino"];

    /// <summary>The stages to start now: not complete, not running, every need complete, at most <paramref name="slots"/>, in <see cref="Priority"/> order.</summary>
    public static List<string> Ready(IReadOnlySet<string> complete, IReadOnlySet<string> running, int slots) =>
        Priority.Where(s => !complete.Contains(s) && !running.Contains(s) && Needs[s].All(complete.Contains)).Take(Math.Max(0, slots)).ToList();

    /// <summary>
    /// Threads for the running stages when slots are idle (nothing else can start): the whole budget
    /// (<paramref name="parallel"/> × <paramref name="threads"/>) shared among them; empty while every slot is busy.
    /// </summary>
    public static Dictionary<string, int> Widened(IReadOnlyCollection<string> running, int parallel, int threads) =>
        running.Count == 0 || running.Count >= parallel ? [] : running.ToDictionary(s => s, _ => parallel * threads / running.Count);

    /// <summary>
    /// The stages with nothing left to do: judged by the recipe (<see cref="PretrainCommands.Recipe"/>) where the recipe
    /// can go on from the saved run (so a run the recipe has since extended with a <see cref="StageRestart"/> is not
    /// complete), else by the saved run's own stop step (a run with other settings, which a child could not resume).
    /// </summary>
    public static HashSet<string> Complete(string root) =>
        Priority.Where(s => File.Exists(StatePath(root, s)) && IsComplete(s, StageTrainer.ReadState(StatePath(root, s)))).ToHashSet();

    private static bool IsComplete(string stage, StageState saved)
    {
        var (recipe, stopStep) = PretrainCommands.Recipe(stage);
        return recipe.CanResume(saved.Settings, saved.Step) ? saved.CompleteUnder(recipe, stopStep) : saved.Complete;
    }

    private static string StatePath(string root, string stage) => Path.Combine(root, "state", stage + ".json");

    /// <summary>
    /// Runs the stages until all are complete or the time budget is spent (a child then saves its state and exits; the
    /// next call resumes). A child that fails stops the schedule: the others are let finish their piece, then it throws.
    /// When a slot stays idle (the other chain is done), the running stage is asked to use its threads too (<see cref="Widened"/>).
    /// </summary>
    public static void Run(string root, int parallel, double maxMinutes, int threads, double checkpointMinutes, Action<string> log)
    {
        var clock = Stopwatch.StartNew();
        var running = new Dictionary<string, Process>();
        var widened = new Dictionary<string, int>();
        string? failed = null;
        bool outOfTime = false;
        while (true)
        {
            var complete = Complete(root);
            double left = maxMinutes - clock.Elapsed.TotalMinutes;
            outOfTime |= left <= 0.05;
            if (failed is null && !outOfTime)
                foreach (string stage in Ready(complete, running.Keys.ToHashSet(), parallel - running.Count))
                {
                    log($"[schedule] starting {stage} ({string.Join(", ", running.Keys.Append(stage))} running; {left:F0} min left)");
                    running[stage] = Start(root, stage, left, threads, checkpointMinutes);
                }
            if (running.Count == 0) break;
            foreach (var (stage, count) in Widened(running.Keys, parallel, threads))
                if (widened.GetValueOrDefault(stage) != count)
                {
                    AtomicFile.WriteAllText(PretrainRunner.ThreadsRequestPath(root, stage), count + "\n");
                    widened[stage] = count;
                    log($"[schedule] {stage} alone: asking it to use {count} threads");
                }
            var done = running.FirstOrDefault(r => r.Value.HasExited);
            if (done.Value is null) { Thread.Sleep(1000); continue; }
            running.Remove(done.Key);
            if (done.Value.ExitCode != 0) failed ??= $"{done.Key} (exit code {done.Value.ExitCode})";
            else if (!Complete(root).Contains(done.Key)) outOfTime = true;   // its piece ended before the stop step
            done.Value.Dispose();
        }
        foreach (string request in Priority.Select(s => PretrainRunner.ThreadsRequestPath(root, s)).Where(File.Exists))
            File.Delete(request);   // not taken before its stage ended
        if (failed is not null) throw new InvalidOperationException($"pretraining stage {failed} failed; rerun to resume");
        var missing = Priority.Except(Complete(root)).ToList();
        log(missing.Count == 0 ? "[schedule] every stage complete" : $"[schedule] time budget spent; incomplete: {string.Join(", ", missing)} (rerun to resume)");
    }

    private static Process Start(string root, string stage, double minutes, int threads, double checkpointMinutes)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { UseShellExecute = false };
        string entry = Assembly.GetEntryAssembly()?.Location ?? "";
        if (Path.GetFileNameWithoutExtension(info.FileName) == "dotnet") info.ArgumentList.Add(entry);   // `dotnet repro.dll`
        foreach (string a in new[]
                 {
                     "miniworld", "pretrain", "--out", root, "--stage", stage, "--max-minutes", minutes.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                     "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--checkpoint-minutes", checkpointMinutes.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                 })
            info.ArgumentList.Add(a);
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName} for stage {stage}");
    }
}
