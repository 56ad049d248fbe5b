using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Clip;

/// <summary>transformers' <c>CLIPEncoderLayer</c>: pre-norm attention and MLP, each with a residual.</summary>
public sealed class CLIPEncoderLayer : nn.Module<Tensor, Tensor?, Tensor>
{
#pragma warning disable IDE1006
    private readonly CLIPAttention self_attn;
    private readonly LayerNorm layer_norm1;
    private readonly CLIPMLP mlp;
    private readonly LayerNorm layer_norm2;
#pragma warning restore IDE1006

    public CLIPEncoderLayer(int hiddenSize, int numHeads, int intermediateSize, string hiddenAct, double eps,
                            Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPEncoderLayer))
    {
        self_attn = new CLIPAttention(hiddenSize, numHeads, device, dtype);
        layer_norm1 = nn.LayerNorm(hiddenSize, eps, device: device, dtype: dtype);
        mlp = new CLIPMLP(hiddenSize, intermediateSize, hiddenAct, device, dtype);
        layer_norm2 = nn.LayerNorm(hiddenSize, eps, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor? mask)
    {
        using var _ = NewDisposeScope();
        var h = hidden + self_attn.forward(layer_norm1.forward(hidden), mask);
        h = h + mlp.forward(layer_norm2.forward(h));
        return h.MoveToOuterDisposeScope();
    }
}
