using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Vit;

/// <summary>transformers' <c>ViTSelfAttention</c> (keys <c>query</c>, <c>key</c>, <c>value</c>); eager math, scores / √d.</summary>
public sealed class ViTSelfAttention : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
#pragma warning restore IDE1006
    private readonly int _heads;
    private readonly int _headDim;

    public ViTSelfAttention(ViTConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ViTSelfAttention))
    {
        _heads = config.NumAttentionHeads;
        _headDim = config.HiddenSize / config.NumAttentionHeads;
        query = nn.Linear(config.HiddenSize, config.HiddenSize, hasBias: config.QkvBias, device: device, dtype: dtype);
        key = nn.Linear(config.HiddenSize, config.HiddenSize, hasBias: config.QkvBias, device: device, dtype: dtype);
        value = nn.Linear(config.HiddenSize, config.HiddenSize, hasBias: config.QkvBias, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <returns>The per-head contexts, merged back to [batch, tokens, hidden] (before the output projection).</returns>
    public override Tensor forward(Tensor hidden)
    {
        using var _ = NewDisposeScope();
        long b = hidden.shape[0], t = hidden.shape[1];
        Tensor Heads(Tensor x) => x.view(b, t, _heads, _headDim).transpose(1, 2);
        var q = Heads(query.forward(hidden));
        var k = Heads(key.forward(hidden));
        var v = Heads(value.forward(hidden));
        var scores = torch.matmul(q, k.transpose(-1, -2)) / Math.Sqrt(_headDim);
        var probs = scores.dtype == ScalarType.Float32 || scores.dtype == ScalarType.Float64
            ? scores.softmax(-1)
            : scores.to(ScalarType.Float32).softmax(-1).to(scores.dtype);
        return torch.matmul(probs, v).transpose(1, 2).reshape(b, t, _heads * _headDim).MoveToOuterDisposeScope();
    }
}
