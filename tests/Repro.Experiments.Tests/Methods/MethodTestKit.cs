using Repro.Experiments.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.Tests.Methods;

/// <summary>Snapshots of every model parameter and the names of those a run changed.</summary>
internal static class MethodTestKit
{
    public static Dictionary<string, Tensor> Snapshot(TrainingModels m)
    {
        var all = new Dictionary<string, Tensor>();
        foreach (var (name, p) in m.UNet.named_parameters()) all["unet." + name] = p.detach().clone();
        foreach (var (name, p) in m.TextEncoder.named_parameters()) all["text." + name] = p.detach().clone();
        all["embedding"] = m.Embedding.detach().clone();
        return all;
    }

    public static SortedSet<string> Changed(Dictionary<string, Tensor> before, TrainingModels m)
    {
        var after = Snapshot(m);
        var changed = new SortedSet<string>(before.Where(kv => !kv.Value.allclose(after[kv.Key], rtol: 0, atol: 0)).Select(kv => kv.Key));
        foreach (var t in after.Values) t.Dispose();
        return changed;
    }

    /// <summary>Rows of the token table that differ.</summary>
    public static long[] ChangedRows(Tensor before, TrainingModels m)
    {
        using var after = m.TextEncoder.GetInputEmbeddings().weight!.detach();
        using var diff = (after != before).any(1).nonzero().flatten();
        return diff.data<long>().ToArray();
    }

    /// <summary>The total loss of a stage on one fixed batch (fixed images, noise and timesteps), without gradients.</summary>
    public static double FixedBatchLoss(TrainingRun run, Stage stage, ulong seed = 99)
    {
        using var _ = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator(seed);
        var terms = StepLosses.Compute(run.Models, stage, run.Data, null, generator);
        return terms.Values.Sum(t => t.item<float>());
    }
}
