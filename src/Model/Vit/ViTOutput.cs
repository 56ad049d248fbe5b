using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Vit;

/// <summary>transformers' <c>ViTOutput</c>: <c>dense</c> back to the hidden size, plus the residual it is given.</summary>
public sealed class ViTOutput : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Linear dense;
#pragma warning restore IDE1006

    public ViTOutput(ViTConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ViTOutput))
    {
        dense = nn.Linear(config.IntermediateSize, config.HiddenSize, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor residual)
    {
        using var _ = NewDisposeScope();
        return (dense.forward(x) + residual).MoveToOuterDisposeScope();
    }
}
