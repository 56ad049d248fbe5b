using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Losses;

// DreamBooth (Ruiz et al., CVPR 2023), Eq. 2: class-specific prior-preservation loss, weight λ, on the concatenated class batch.
/// <summary>
/// The batch holds the instance samples first and the class (prior) samples second, concatenated along dim 0 (diffusers'
/// <c>train_dreambooth.py</c>): loss = instance loss + λ · MSE(prior half). The instance half goes through
/// <see cref="Instance"/> (plain MSE by default, or min-SNR weighted); the prior half is a plain MSE.
/// </summary>
public sealed record DreamBoothEq2PriorPreservation(double Lambda, DiffusionLoss? Instance = null)
{
    /// <summary>The scalar loss over the concatenated batch (instance samples, then as many class samples).</summary>
    public Tensor Loss(Tensor prediction, Tensor target, Tensor? alphasCumprodAtT = null)
    {
        if (prediction.shape[0] % 2 != 0) throw new ArgumentException($"The batch ({prediction.shape[0]}) must be instance and class halves of equal size.", nameof(prediction));
        using var _ = NewDisposeScope();
        var half = prediction.shape[0] / 2;
        var instanceLoss = (Instance ?? new DiffusionLoss()).Loss(prediction[..(int)half], target[..(int)half], alphasCumprodAtT?[..(int)half]);
        var priorLoss = new DiffusionLoss().Loss(prediction[(int)half..], target[(int)half..]);
        return (instanceLoss + Lambda * priorLoss).MoveToOuterDisposeScope();
    }
}
