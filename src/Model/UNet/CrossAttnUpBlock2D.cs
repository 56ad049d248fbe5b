using Repro.Model.Attention;
using Repro.Model.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.UNet;

/// <summary>
/// diffusers <c>CrossAttnUpBlock2D</c> (and, without attentions, <c>UpBlock2D</c>): num_layers × (concat the last skip
/// state → ResnetBlock2D [→ Transformer2DModel]), then an optional nearest-x2 Upsample2D.
/// </summary>
public class CrossAttnUpBlock2D : nn.Module
{
#pragma warning disable IDE1006
    private readonly ModuleList<Transformer2DModel>? attentions;
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<Upsample2D>? upsamplers;
#pragma warning restore IDE1006

    /// <param name="s">InChannels = the channels of the last skip state, as in diffusers.</param>
    public CrossAttnUpBlock2D(BlockSettings s, long prevOutputChannels, bool addUpsample)
        : this(s, prevOutputChannels, addUpsample, withAttention: true, nameof(CrossAttnUpBlock2D)) { }

    protected CrossAttnUpBlock2D(BlockSettings s, long prevOutputChannels, bool addUpsample, bool withAttention, string name) : base(name)
    {
        if (withAttention)
            attentions = new ModuleList<Transformer2DModel>(Enumerable.Range(0, s.NumLayers).Select(_ =>
                new Transformer2DModel(s.Heads, s.OutChannels / s.Heads, s.OutChannels, s.TransformerLayers, s.CrossAttentionDim,
                                       s.Groups, s.UseLinearProjection, s.UpcastAttention, s.Dropout)).ToArray());
        resnets = new ModuleList<ResnetBlock2D>(Enumerable.Range(0, s.NumLayers).Select(i =>
        {
            long skip = i == s.NumLayers - 1 ? s.InChannels : s.OutChannels;
            long resIn = i == 0 ? prevOutputChannels : s.OutChannels;
            return new ResnetBlock2D(resIn + skip, s.OutChannels, s.TembChannels, s.Eps, s.Groups, s.Dropout, s.ActFn, s.OutputScaleFactor);
        }).ToArray());
        if (addUpsample) upsamplers = new ModuleList<Upsample2D>(new Upsample2D(s.OutChannels, s.OutChannels));
        RegisterComponents();
    }

    public int NumResnets => resnets.Count;

    /// <param name="skipStates">The last <see cref="NumResnets"/> down-path states, oldest first; used from the end.</param>
    /// <param name="upsampleSize">Explicit output size of the upsampler, or null for x2.</param>
    public Tensor forward(Tensor hidden, IReadOnlyList<Tensor> skipStates, Tensor temb, Tensor? encoderHiddenStates, long[]? upsampleSize)
    {
        if (skipStates.Count != resnets.Count)
            throw new ArgumentException($"{GetName()}: expected {resnets.Count} skip states, got {skipStates.Count}");
        var h = ResnetAttentionStack.Run(hidden, temb, resnets, attentions, encoderHiddenStates,
            beforeLayer: (i, x) => torch.cat([x, skipStates[skipStates.Count - 1 - i]], dim: 1));
        if (upsamplers is not null)
            foreach (var u in upsamplers) h = u.forward(h, upsampleSize);
        return h;
    }
}
