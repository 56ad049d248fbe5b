using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Losses;

// CoRe (arXiv 2408.15914), Eq. 6: inside the step window, reset the embedding's norm after each optimizer step (train.py l. 1611-1618).
/// <summary>
/// Embedding rescaling over global steps [<see cref="StartStep"/>, <see cref="StopStep"/>] (1-based, counted after the
/// optimizer step): at <c>StartStep</c> (or the first step seen inside the window) the norm ‖v‖₂ is recorded; at every later step up to <c>StopStep</c> v is reset in
/// place to that norm, keeping its direction (the optimizer state is untouched). Identity outside the window. The paper's
/// "norm of the previous step" is the same rule, since the norm stays frozen from the start step on.
/// </summary>
public sealed class CoReEq6EmbeddingRescale(int startStep, int stopStep) : IDisposable
{
    private Tensor? recordedNorm;

    public int StartStep { get; } = startStep <= stopStep ? startStep : throw new ArgumentException($"Start step {startStep} is after stop step {stopStep}.");

    public int StopStep { get; } = stopStep;

    /// <summary>The norm recorded at <see cref="StartStep"/> (null before it).</summary>
    public Tensor? RecordedNorm => recordedNorm;

    /// <summary>Call after the optimizer step that made the global step <paramref name="globalStep"/>; rescales <paramref name="embedding"/> in place.</summary>
    public void AfterOptimizerStep(Tensor embedding, int globalStep)
    {
        if (globalStep < StartStep || globalStep > StopStep) return;
        using var _ = no_grad();
        if (globalStep == StartStep || recordedNorm is null)
        {
            recordedNorm?.Dispose();
            recordedNorm = embedding.detach().norm().DetachFromDisposeScope();
            return;
        }
        embedding.copy_(Rescale(embedding, recordedNorm));
    }

    /// <summary>Restores the recorded norm from a checkpoint (null = none recorded yet), so a resumed run rescales bit-identically.</summary>
    public void RestoreNorm(Tensor? norm)
    {
        recordedNorm?.Dispose();
        recordedNorm = norm?.detach().clone().DetachFromDisposeScope();
    }

    /// <summary>The pure rule: v · s / ‖v‖₂ (direction kept, norm s).</summary>
    public static Tensor Rescale(Tensor embedding, Tensor norm)
    {
        using var _ = NewDisposeScope();
        return (embedding * (norm / embedding.norm())).MoveToOuterDisposeScope();
    }

    public void Dispose() => recordedNorm?.Dispose();
}
