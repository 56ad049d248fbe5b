using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Vit;

/// <summary>transformers' <c>ViTPooler</c>: tanh(dense(first token)); keys <c>dense.*</c>.</summary>
public sealed class ViTPooler : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Linear dense;
#pragma warning restore IDE1006

    public ViTPooler(ViTConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ViTPooler))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var _ = NewDisposeScope();
        return dense.forward(hidden.select(1, 0)).tanh().MoveToOuterDisposeScope();
    }
}
