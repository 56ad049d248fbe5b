using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Vit;

/// <summary>
/// transformers' <c>ViTLayer</c> (pre-norm): layernorm_before → attention → +residual → layernorm_after →
/// intermediate → output (+residual).
/// </summary>
public sealed class ViTLayer : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly ViTAttention attention;
    private readonly ViTIntermediate intermediate;
    private readonly ViTOutput output;
    private readonly LayerNorm layernorm_before;
    private readonly LayerNorm layernorm_after;
#pragma warning restore IDE1006

    public ViTLayer(ViTConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ViTLayer))
    {
        attention = new ViTAttention(config, device, dtype);
        intermediate = new ViTIntermediate(config, device, dtype);
        output = new ViTOutput(config, device, dtype);
        layernorm_before = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device, dtype: dtype);
        layernorm_after = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var _ = NewDisposeScope();
        var h = attention.forward(layernorm_before.forward(hidden)) + hidden;
        return output.forward(intermediate.forward(layernorm_after.forward(h)), h).MoveToOuterDisposeScope();
    }
}
