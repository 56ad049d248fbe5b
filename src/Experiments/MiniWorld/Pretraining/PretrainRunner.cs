using Repro.Model.IO;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Repro.Experiments.MiniWorld.Pretraining;

/// <summary>Options of one <c>repro miniworld pretrain</c> piece.</summary>
public sealed record PretrainOptions(string Root, double MaxMinutes, int LogEvery = 50, double CheckpointMinutes = 5, int EvalEveryCheckpoint = 1);

/// <summary>
/// Runs a stage for at most <see cref="PretrainOptions.MaxMinutes"/>: resume, train with progress (step, loss,
/// steps/s, ETA), checkpoint every few minutes and at the end, with the held-out metric; loss and metric curves
/// (curves/STAGE.csv, curves/STAGE-eval.csv) and manifest.json are rewritten atomically at each checkpoint, keeping rows up to it.
/// </summary>
public static class PretrainRunner
{
    /// <summary>Reloads after a native error allowed per piece (the CLIP stage meets one every few hundred steps).</summary>
    public const int MaxRecoveries = 100;

    /// <summary>Returns true when the stage has reached its stop step.</summary>
    public static bool Run(StageTrainer trainer, PretrainOptions options, Action<string> log)
    {
        string stage = trainer.Settings.Stage;
        if (File.Exists(trainer.StatePath) && StageTrainer.ReadState(trainer.StatePath) is { } saved && saved.CompleteUnder(trainer.Settings, trainer.StopStep))
        {
            log($"[{stage}] already complete at step {saved.Step}");   // its optimizer state is no longer needed (nor committed)
            return true;
        }
        bool resumed = trainer.TryResume();
        log($"[{stage}] {(resumed ? $"resumed at step {trainer.Step}" : "starting")}, stopping at {trainer.StopStep} ({trainer.Settings})");
        string curvePath = Path.Combine(trainer.Root, "curves", stage + ".csv");
        string evalPath = Path.Combine(trainer.Root, "curves", stage + "-eval.csv");
        var curve = ReadRows(curvePath, trainer.Step);
        var evals = ReadRows(evalPath, trainer.Step);

        var clock = Stopwatch.StartNew();
        var sinceCheckpoint = Stopwatch.StartNew();
        double baseSeconds = trainer.Seconds, lossSum = 0;
        int lossCount = 0;
        long startStep = trainer.Step;
        void Checkpoint()
        {
            trainer.Seconds = baseSeconds + clock.Elapsed.TotalSeconds;
            var metrics = trainer.Evaluate();
            foreach (var (k, v) in metrics) evals.Add((trainer.Step, $"{trainer.Step},{F(trainer.Seconds)},{k},{F(v)}"));
            trainer.SaveCheckpoint();
            WriteRows(curvePath, "step,seconds,loss,lr", curve);
            WriteRows(evalPath, "step,seconds,metric,value", evals);
            PretrainManifest.Write(trainer.Root);
            log($"[{stage}] checkpoint at step {trainer.Step}: {string.Join(", ", metrics.Select(m => $"{m.Key} {m.Value:F4}"))}");
            sinceCheckpoint.Restart();
        }
        if (!resumed) Checkpoint();   // a checkpoint to recover to from the first step on
        int recoveries = 0;
        while (trainer.Step < trainer.StopStep && clock.Elapsed.TotalMinutes < options.MaxMinutes)
        {
            double stepLoss;
            try
            {
                stepLoss = trainer.Run();
            }
            catch (System.Runtime.InteropServices.ExternalException e) when (recoveries < MaxRecoveries)
            {
                // TorchSharp passes implicit Scalars to native code without keeping them alive, so a GC during a call can
                // free one ("Unknown scalar type"); the step's state is then undefined: reload the last checkpoint.
                recoveries++;
                log($"[{stage}] native error at step {trainer.Step} ({e.Message.Split('\n')[0]}); reloading the last checkpoint");
                if (!trainer.TryResume()) throw;
                curve.RemoveAll(r => r.Step > trainer.Step);
                evals.RemoveAll(r => r.Step > trainer.Step);
                baseSeconds = trainer.Seconds - clock.Elapsed.TotalSeconds;
                startStep = trainer.Step;
                lossSum = 0; lossCount = 0;
                continue;
            }
            lossSum += stepLoss;
            lossCount++;
            if (trainer.Step % options.LogEvery == 0 || trainer.Step == trainer.StopStep)
            {
                TakeThreadsRequest(trainer.Root, stage, log);
                double seconds = clock.Elapsed.TotalSeconds, rate = (trainer.Step - startStep) / Math.Max(seconds, 1e-9);
                double eta = (trainer.StopStep - trainer.Step) / Math.Max(rate, 1e-9);
                curve.Add((trainer.Step, $"{trainer.Step},{F(baseSeconds + seconds)},{F(lossSum / lossCount)},{F(trainer.Settings.LearningRateAt(trainer.Step - 1))}"));
                log($"[{stage}] step {trainer.Step}/{trainer.StopStep} loss {lossSum / lossCount:F5} {rate:F2} steps/s " +
                    $"ETA {TimeSpan.FromSeconds(eta):hh\\:mm\\:ss} (piece {clock.Elapsed:hh\\:mm\\:ss} of {options.MaxMinutes:F0} min)");
                lossSum = 0; lossCount = 0;
            }
            if (sinceCheckpoint.Elapsed.TotalMinutes >= options.CheckpointMinutes) Checkpoint();
        }
        if (trainer.Step > startStep) Checkpoint();
        bool done = trainer.Step >= trainer.StopStep;
        log($"[{stage}] {(done ? "complete" : "paused")} at step {trainer.Step} after {clock.Elapsed:hh\\:mm\\:ss}");
        return done;
    }

    /// <summary>
    /// Where the parallel schedule asks a running stage to use more torch threads (once the other chain has finished,
    /// its cores are idle): state/STAGE.threads, holding the count; the stage takes it at its next progress line.
    /// </summary>
    public static string ThreadsRequestPath(string root, string stage) => Path.Combine(root, "state", stage + ".threads");

    public static void TakeThreadsRequest(string root, string stage, Action<string> log)
    {
        string path = ThreadsRequestPath(root, stage);
        if (!File.Exists(path)) return;
        string text = File.ReadAllText(path).Trim();
        File.Delete(path);
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int threads) || threads < 1)
        {
            log($"[{stage}] ignored {path}: '{text}' is not a thread count");
            return;
        }
        TorchSharp.torch.set_num_threads(threads);
        log($"[{stage}] now on {threads} torch threads");
    }

    private static string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    private static List<(long Step, string Line)> ReadRows(string path, long upTo)
    {
        var rows = new List<(long, string)>();
        if (!File.Exists(path)) return rows;
        foreach (string line in File.ReadLines(path).Skip(1))
        {
            if (line.Length == 0) continue;
            long step = long.Parse(line.Split(',')[0], CultureInfo.InvariantCulture);
            if (step <= upTo) rows.Add((step, line));
        }
        return rows;
    }

    private static void WriteRows(string path, string header, List<(long Step, string Line)> rows)
    {
        var text = new StringBuilder(header).Append('\n');
        foreach (var (_, line) in rows) text.Append(line).Append('\n');
        AtomicFile.WriteAllText(path, text.ToString());
    }
}
