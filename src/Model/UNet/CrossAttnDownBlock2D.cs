using Repro.Model.Attention;
using Repro.Model.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.UNet;

/// <summary>
/// diffusers <c>CrossAttnDownBlock2D</c> (and, without attentions, <c>DownBlock2D</c>): num_layers × (ResnetBlock2D
/// [→ Transformer2DModel]), then an optional stride-2 Downsample2D. Returns the output and every intermediate
/// state for the skip connections.
/// </summary>
public class CrossAttnDownBlock2D : nn.Module
{
#pragma warning disable IDE1006
    private readonly ModuleList<Transformer2DModel>? attentions;
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<Downsample2D>? downsamplers;
#pragma warning restore IDE1006

    public CrossAttnDownBlock2D(BlockSettings s, bool addDownsample) : this(s, addDownsample, withAttention: true, nameof(CrossAttnDownBlock2D)) { }

    protected CrossAttnDownBlock2D(BlockSettings s, bool addDownsample, bool withAttention, string name) : base(name)
    {
        if (withAttention)
            attentions = new ModuleList<Transformer2DModel>(Enumerable.Range(0, s.NumLayers).Select(_ =>
                new Transformer2DModel(s.Heads, s.OutChannels / s.Heads, s.OutChannels, s.TransformerLayers, s.CrossAttentionDim,
                                       s.Groups, s.UseLinearProjection, s.UpcastAttention, s.Dropout)).ToArray());
        resnets = new ModuleList<ResnetBlock2D>(Enumerable.Range(0, s.NumLayers).Select(i =>
            new ResnetBlock2D(i == 0 ? s.InChannels : s.OutChannels, s.OutChannels, s.TembChannels, s.Eps, s.Groups, s.Dropout, s.ActFn, s.OutputScaleFactor)).ToArray());
        if (addDownsample) downsamplers = new ModuleList<Downsample2D>(new Downsample2D(s.OutChannels, s.OutChannels, s.DownsamplePadding));
        RegisterComponents();
    }

    public bool HasCrossAttention => attentions is not null;

    /// <returns>The block output and the states it hands to the up path (one per resnet, plus the downsampled one).</returns>
    public (Tensor Hidden, IReadOnlyList<Tensor> States) forward(Tensor hidden, Tensor temb, Tensor? encoderHiddenStates)
    {
        var states = new List<Tensor>();
        var h = ResnetAttentionStack.Run(hidden, temb, resnets, attentions, encoderHiddenStates, afterLayer: states.Add);
        if (downsamplers is not null)
        {
            foreach (var d in downsamplers) h = d.forward(h);
            states.Add(h);
        }
        return (h, states);
    }
}
