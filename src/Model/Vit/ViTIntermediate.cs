using Repro.Model.Clip;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Vit;

/// <summary>transformers' <c>ViTIntermediate</c>: <c>dense</c> then hidden_act.</summary>
public sealed class ViTIntermediate : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Linear dense;
#pragma warning restore IDE1006
    private readonly Func<Tensor, Tensor> _act;

    public ViTIntermediate(ViTConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ViTIntermediate))
    {
        _act = HiddenActivation.Get(config.HiddenAct);
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var _ = NewDisposeScope();
        return _act(dense.forward(x)).MoveToOuterDisposeScope();
    }
}
