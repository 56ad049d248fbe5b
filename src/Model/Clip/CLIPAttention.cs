using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Clip;

/// <summary>
/// transformers' <c>CLIPAttention</c>: multi-head self-attention with an additive mask, computed as the eager
/// transformers code does (queries scaled before the product, softmax in fp32 for half-precision inputs).
/// </summary>
public sealed class CLIPAttention : nn.Module<Tensor, Tensor?, Tensor>
{
#pragma warning disable IDE1006 // field names are the checkpoint keys
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly Linear q_proj;
    private readonly Linear out_proj;
#pragma warning restore IDE1006

    private readonly int _heads;
    private readonly int _headDim;
    private readonly double _scale;

    public CLIPAttention(int hiddenSize, int numHeads, Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPAttention))
    {
        if (hiddenSize % numHeads != 0)
            throw new ArgumentException($"hidden size {hiddenSize} is not divisible by the number of heads {numHeads}");
        _heads = numHeads;
        _headDim = hiddenSize / numHeads;
        _scale = Math.Pow(_headDim, -0.5);
        k_proj = nn.Linear(hiddenSize, hiddenSize, hasBias: true, device: device, dtype: dtype);
        v_proj = nn.Linear(hiddenSize, hiddenSize, hasBias: true, device: device, dtype: dtype);
        q_proj = nn.Linear(hiddenSize, hiddenSize, hasBias: true, device: device, dtype: dtype);
        out_proj = nn.Linear(hiddenSize, hiddenSize, hasBias: true, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <param name="hidden">[batch, tokens, hidden].</param>
    /// <param name="mask">Additive mask broadcastable to [batch, heads, tokens, tokens] (0 = keep, very negative = drop), or null.</param>
    public override Tensor forward(Tensor hidden, Tensor? mask)
    {
        using var _ = NewDisposeScope();
        long b = hidden.shape[0], t = hidden.shape[1];
        Tensor Heads(Tensor x) => x.view(b, t, _heads, _headDim).transpose(1, 2);
        var q = Heads(q_proj.forward(hidden) * _scale);
        var k = Heads(k_proj.forward(hidden));
        var v = Heads(v_proj.forward(hidden));
        var scores = torch.matmul(q, k.transpose(-1, -2));
        if (mask is not null) scores = scores + mask.to(scores.dtype);
        var probs = scores.dtype == ScalarType.Float32 || scores.dtype == ScalarType.Float64
            ? scores.softmax(-1)
            : scores.to(ScalarType.Float32).softmax(-1).to(scores.dtype);
        var context = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, _heads * _headDim);
        return out_proj.forward(context).MoveToOuterDisposeScope();
    }
}
