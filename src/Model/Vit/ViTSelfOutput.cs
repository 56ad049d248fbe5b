using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Vit;

/// <summary>transformers' <c>ViTSelfOutput</c>: the attention output projection (<c>dense</c>); the residual is in <see cref="ViTLayer"/>.</summary>
public sealed class ViTSelfOutput : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Linear dense;
#pragma warning restore IDE1006

    public ViTSelfOutput(ViTConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ViTSelfOutput))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => dense.forward(x);
}
