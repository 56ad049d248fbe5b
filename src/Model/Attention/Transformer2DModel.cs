using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Attention;

/// <summary>
/// diffusers <c>Transformer2DModel</c> for continuous (latent) input: GroupNorm (eps 1e-6), proj_in (Linear after
/// flattening to (B, HW, C) with use_linear_projection, else a 1x1 conv before it), the transformer blocks,
/// proj_out, residual add.
/// </summary>
public sealed class Transformer2DModel : nn.Module
{
#pragma warning disable IDE1006
    private readonly GroupNorm norm;
    private readonly nn.Module<Tensor, Tensor> proj_in;
    private readonly ModuleList<BasicTransformerBlock> transformer_blocks;
    private readonly nn.Module<Tensor, Tensor> proj_out;
#pragma warning restore IDE1006
    private readonly bool _useLinearProjection;

    public Transformer2DModel(int heads, long headDim, long inChannels, int numLayers, long crossAttentionDim, long normNumGroups,
                              bool useLinearProjection, bool upcastAttention, double dropout = 0.0)
        : base(nameof(Transformer2DModel))
    {
        long inner = heads * headDim;
        _useLinearProjection = useLinearProjection;
        norm = Blocks.Norms.GroupNorm(normNumGroups, inChannels, 1e-6);
        proj_in = useLinearProjection ? nn.Linear(inChannels, inner) : nn.Conv2d(inChannels, inner, 1, stride: 1, padding: 0L);
        transformer_blocks = new ModuleList<BasicTransformerBlock>(
            Enumerable.Range(0, numLayers).Select(_ => new BasicTransformerBlock(inner, heads, headDim, crossAttentionDim, dropout, upcastAttention)).ToArray());
        proj_out = useLinearProjection ? nn.Linear(inner, inChannels) : nn.Conv2d(inner, inChannels, 1, stride: 1, padding: 0L);
        RegisterComponents();
    }

    public Tensor forward(Tensor hidden, Tensor encoderHiddenStates)
    {
        using var _ = torch.NewDisposeScope();
        long b = hidden.shape[0], c = hidden.shape[1], height = hidden.shape[2], width = hidden.shape[3];
        var h = norm.forward(hidden);
        if (!_useLinearProjection) h = proj_in.forward(h);
        long inner = h.shape[1];
        h = h.permute(0, 2, 3, 1).reshape(b, height * width, inner);
        if (_useLinearProjection) h = proj_in.forward(h);
        foreach (var block in transformer_blocks) h = block.forward(h, encoderHiddenStates);
        if (_useLinearProjection) h = proj_out.forward(h);
        h = h.reshape(b, height, width, -1).permute(0, 3, 1, 2).contiguous();
        if (!_useLinearProjection) h = proj_out.forward(h);
        return (h + hidden).MoveToOuterDisposeScope();
    }
}
