using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Vit;

/// <summary>transformers' <c>ViTAttention</c>: keys <c>attention.{query,key,value}</c> and <c>output.dense</c>.</summary>
public sealed class ViTAttention : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly ViTSelfAttention attention;
    private readonly ViTSelfOutput output;
#pragma warning restore IDE1006

    public ViTAttention(ViTConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ViTAttention))
    {
        attention = new ViTSelfAttention(config, device, dtype);
        output = new ViTSelfOutput(config, device, dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var _ = NewDisposeScope();
        return output.forward(attention.forward(hidden)).MoveToOuterDisposeScope();
    }
}
