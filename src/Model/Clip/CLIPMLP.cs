using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Clip;

/// <summary>transformers' <c>CLIPMLP</c>: fc1 → hidden_act → fc2.</summary>
public sealed class CLIPMLP : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Linear fc1;
    private readonly Linear fc2;
#pragma warning restore IDE1006
    private readonly Func<Tensor, Tensor> _act;

    public CLIPMLP(int hiddenSize, int intermediateSize, string hiddenAct, Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPMLP))
    {
        _act = HiddenActivation.Get(hiddenAct);
        fc1 = nn.Linear(hiddenSize, intermediateSize, hasBias: true, device: device, dtype: dtype);
        fc2 = nn.Linear(intermediateSize, hiddenSize, hasBias: true, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var _ = NewDisposeScope();
        return fc2.forward(_act(fc1.forward(x))).MoveToOuterDisposeScope();
    }
}
