using Repro.Model.IO;
using System.Security.Cryptography;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.MiniWorld.Pretraining;

/// <summary>
/// A warm restart that extends a schedule: at <see cref="AtStep"/> the optimizer's moments are reset and a second
/// warm-up + cosine (peak <see cref="LearningRate"/>, 10% at <see cref="TotalSteps"/>) replaces the schedule before it.
/// <see cref="Conditioning"/> (UNet only) names the CLIP stage whose text tower conditions the UNet from here on;
/// <see cref="Then"/> is the next restart, if any. <see cref="VariedInstances"/> (UNet only): from here on the data's
/// objects are varied instances of their categories (<see cref="InstanceVariation"/>).
/// </summary>
public sealed record StageRestart(long AtStep, long TotalSteps, double LearningRate, int WarmupSteps, string? Conditioning = null, StageRestart? Then = null,
    bool VariedInstances = false)
{
    /// <summary>This restart and the ones after it, in order.</summary>
    public IEnumerable<StageRestart> Chain()
    {
        for (var r = this; r is not null; r = r.Then) yield return r;
    }
}

/// <summary>
/// Hyper-parameters of one stage (stored in its state file; a resume must use the same ones, or add a <see cref="Restart"/>
/// after its step). <see cref="Conditioning"/> and <see cref="VariedInstances"/> (UNet only) hold from step 0, as the
/// restarts' fields do from theirs.
/// </summary>
public sealed record StageSettings(string Stage, string Variant, int BatchSize, long TotalSteps, double LearningRate, int WarmupSteps, long Seed,
    StageRestart? Restart = null, string? Conditioning = null, bool VariedInstances = false)
{
    /// <summary>The restarts in order (the <see cref="StageRestart.Then"/> chain from <see cref="Restart"/>).</summary>
    public IReadOnlyList<StageRestart> Restarts() => Restart?.Chain().ToList() ?? [];

    /// <summary>The restart in force at <paramref name="step"/> (the last one at or before it), or null under the first schedule.</summary>
    public StageRestart? RestartAt(long step) => Restarts().LastOrDefault(r => step >= r.AtStep);

    /// <summary>Whether the data at <paramref name="step"/> are varied instances (from the first restart that asks for them on).</summary>
    public bool VariedInstancesAt(long step) => VariedInstances || Restarts().Any(r => r.VariedInstances && step >= r.AtStep);

    /// <summary>The CLIP stage whose text tower conditions the UNet at <paramref name="step"/> (null: text_encoder/ as the clip stage wrote it).</summary>
    public string? ConditioningAt(long step) => Restarts().LastOrDefault(r => r.Conditioning is not null && step >= r.AtStep)?.Conditioning ?? Conditioning;

    /// <summary>Linear warm-up, then cosine decay to 10% at <see cref="TotalSteps"/>; from a restart on, the restart's own warm-up and cosine.</summary>
    public double LearningRateAt(long step) => RestartAt(step) is { } r
        ? WarmupCosine(step - r.AtStep, r.LearningRate, r.WarmupSteps, r.TotalSteps - r.AtStep)
        : WarmupCosine(step, LearningRate, WarmupSteps, TotalSteps);

    private static double WarmupCosine(long step, double peak, int warmup, long total)
    {
        if (step < warmup) return peak * (step + 1) / warmup;
        double progress = Math.Min(1.0, (double)(step - warmup) / Math.Max(1, total - warmup));
        return peak * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }

    /// <summary>These settings with only the first <paramref name="count"/> restarts.</summary>
    public StageSettings WithRestarts(int count) =>
        this with { Restart = Restarts().Take(count).Reverse().Aggregate((StageRestart?)null, (then, r) => r with { Then = then }) };

    /// <summary>
    /// Whether a run saved with <paramref name="saved"/> at <paramref name="savedStep"/> can go on under these settings:
    /// the same, or these add restarts at or after that step to the saved ones.
    /// </summary>
    public bool CanResume(StageSettings saved, long savedStep)
    {
        if (saved == this) return true;
        var restarts = Restarts();
        for (int kept = 0; kept < restarts.Count; kept++)
            if (savedStep <= restarts[kept].AtStep && saved == WithRestarts(kept)) return true;
        return false;
    }
}

/// <summary>The resumable state of a stage: step, settings, RNG, and SHA-256 of the weights and optimizer files it belongs to.</summary>
public sealed record StageState(StageSettings Settings, long Step, string RngState, string WeightsSha256, string OptimizerFile,
    string OptimizerSha256, double Seconds, long? StopStep = null)
{
    /// <summary>Whether the stage reached its stop step (<see cref="StageTrainer.StopStep"/> when it was saved; older states: the schedule's end).</summary>
    public bool Complete => Step >= (StopStep ?? Settings.TotalSteps);

    /// <summary>Whether a run with <paramref name="settings"/> stopping at <paramref name="stopStep"/> would find nothing left to do here.</summary>
    public bool CompleteUnder(StageSettings settings, long stopStep) => settings.CanResume(Settings, Step) && Step >= stopStep;
}

/// <summary>
/// One model's trainer. A step is a pure function of (weights, optimizer state, generator state, step), with data
/// drawn by index (<see cref="WorldBatch"/>), so saving those three and the step resumes bit-identically.
/// Checkpoint order: optimizer file → exported weights → state JSON last (all atomic); the state names the other
/// two by SHA-256, so a checkpoint cut off half-way is detected instead of silently mixed.
/// </summary>
public abstract class StageTrainer : IDisposable
{
    protected StageTrainer(string root, StageSettings settings)
    {
        Root = Path.GetFullPath(root);
        Settings = settings;
        Generator = new torch.Generator((ulong)settings.Seed);
    }

    public string Root { get; }
    public StageSettings Settings { get; }
    public torch.Generator Generator { get; }
    public long Step { get; private set; }

    /// <summary>
    /// Where training stops; by default the end of the schedule (<see cref="StageSettings.TotalSteps"/>). A stage stopped
    /// early keeps its schedule's learning rates, so a fresh run to the same stop step reproduces it.
    /// </summary>
    public long StopStep { get => _stopStep ?? Settings.TotalSteps; init => _stopStep = value; }
    private readonly long? _stopStep;

    /// <summary>When set, step s trains on the batch of step s mod period (overfitting a few batches: a debugging aid and the tests' check).</summary>
    public long? DataPeriod { get; init; }

    protected long DataStep(long step) => DataPeriod is { } p ? step % p : step;
    public double Seconds { get; set; }
    protected abstract TorchSharp.Modules.AdamW Optimizer { get; }

    /// <summary>At a <see cref="StageRestart"/>: replaces the optimizer with a fresh one (zero moments).</summary>
    protected virtual void OnRestart(StageRestart restart) =>
        throw new NotSupportedException($"{Settings.Stage}: this stage has no warm restart");

    /// <summary>After <see cref="TryResume"/> has restored <see cref="Step"/>: what a stage derives from its step beyond the saved files.</summary>
    protected virtual void OnResumed() { }

    /// <summary>The exported weights file this stage owns (inside the diffusers/transformers folder).</summary>
    public abstract string WeightsPath { get; }

    /// <summary>One optimisation step on batch <see cref="Step"/>; returns the loss.</summary>
    protected abstract double TrainStep(long step);

    /// <summary>Writes config + weights of the model folder(s) this stage owns.</summary>
    protected abstract void Export();

    /// <summary>Loads the trained weights back from <see cref="WeightsPath"/>.</summary>
    protected abstract void LoadWeights();

    /// <summary>Held-out metrics for the curve (e.g. psnr_db, or per-attribute accuracy).</summary>
    public abstract IReadOnlyDictionary<string, double> Evaluate();

    public string StatePath => Path.Combine(Root, "state", Settings.Stage + ".json");

    public double Run()
    {
        if (Settings.Restarts().FirstOrDefault(r => r.AtStep == Step) is { } restart) OnRestart(restart);
        double lr = Settings.LearningRateAt(Step);
        foreach (var group in Optimizer.ParamGroups) group.LearningRate = lr;
        double loss = TrainStep(Step);
        if (!double.IsFinite(loss)) throw new InvalidOperationException($"{Settings.Stage}: loss is {loss} at step {Step}");
        Step++;
        return loss;
    }

    public void SaveCheckpoint()
    {
        string stateDir = Path.Combine(Root, "state");
        Directory.CreateDirectory(stateDir);
        string optimizerFile = $"{Settings.Stage}.optimizer.{Step}.bin";
        string optimizerPath = Path.Combine(stateDir, optimizerFile);
        AtomicFile.Write(optimizerPath, temp => Optimizer.save_state_dict(temp));
        Export();
        using var rng = Generator.get_state();
        var state = new StageState(Settings, Step, Convert.ToBase64String(rng.data<byte>().ToArray()), Sha256(WeightsPath), optimizerFile,
            Sha256(optimizerPath), Seconds, StopStep);
        AtomicFile.WriteAllText(StatePath, JsonSerializer.Serialize(state, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        foreach (string old in Directory.GetFiles(stateDir, $"{Settings.Stage}.optimizer.*.bin"))
            if (Path.GetFileName(old) != optimizerFile) File.Delete(old);
    }

    /// <summary>Resumes from the state file if there is one; returns whether it did.</summary>
    public bool TryResume()
    {
        if (!File.Exists(StatePath)) return false;
        var state = ReadState(StatePath);
        if (!Settings.CanResume(state.Settings, state.Step))
            throw new InvalidOperationException($"{StatePath}: saved settings {state.Settings} at step {state.Step} differ from {Settings}; use the same options or another --out");
        string optimizerPath = Path.Combine(Root, "state", state.OptimizerFile);
        if (!File.Exists(WeightsPath) || Sha256(WeightsPath) != state.WeightsSha256)
            throw new InvalidDataException($"{WeightsPath}: does not match {StatePath} (checkpoint cut off while writing; restore the folder from git)");
        // at a restart the moments are reset anyway, so a finished stage whose optimizer file was deleted can be extended
        bool needsOptimizer = Settings.Restarts().All(r => r.AtStep != state.Step);
        if (needsOptimizer && (!File.Exists(optimizerPath) || Sha256(optimizerPath) != state.OptimizerSha256))
            throw new InvalidDataException($"{optimizerPath}: missing or does not match {StatePath}");
        LoadWeights();
        if (needsOptimizer) Optimizer.load_state_dict(optimizerPath);
        using (var rng = torch.tensor(Convert.FromBase64String(state.RngState), dtype: ScalarType.Byte)) Generator.set_state(rng);
        Step = state.Step;
        Seconds = state.Seconds;
        OnResumed();
        return true;
    }

    public static StageState ReadState(string path) =>
        JsonSerializer.Deserialize<StageState>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty state");

    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>AdamW over the given parameters (β = 0.9, 0.999; weight decay 0.01 except on 1-d tensors).</summary>
    protected static TorchSharp.Modules.AdamW AdamW(IEnumerable<TorchSharp.Modules.Parameter> parameters, double lr, double weightDecay = 0.01)
    {
        var list = parameters.Where(p => p.requires_grad).ToList();
        var decay = list.Where(p => p.dim() > 1).ToList();
        var noDecay = list.Where(p => p.dim() <= 1).ToList();
        return torch.optim.AdamW(new[]
        {
            new TorchSharp.Modules.AdamW.ParamGroup(decay, new TorchSharp.Modules.AdamW.Options { LearningRate = lr, weight_decay = weightDecay }),
            new TorchSharp.Modules.AdamW.ParamGroup(noDecay, new TorchSharp.Modules.AdamW.Options { LearningRate = lr, weight_decay = 0 }),
        }, lr);
    }

    protected static void ClipGradients(IEnumerable<TorchSharp.Modules.Parameter> parameters, double maxNorm) =>
        torch.nn.utils.clip_grad_norm_(parameters.Where(p => p.requires_grad), maxNorm);

    public virtual void Dispose()
    {
        Generator.Dispose();
        GC.SuppressFinalize(this);
    }
}
