using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Blocks;

/// <summary>
/// diffusers <c>ResnetBlock2D</c> (pre-norm, <c>time_embedding_norm="default"</c>): GroupNorm → act → conv, plus the
/// projected time embedding, GroupNorm → act → dropout → conv, a 1x1 shortcut when channels change, and
/// <c>(x + h) / output_scale_factor</c>. Without <paramref name="tembChannels"/> (the VAE) there is no time_emb_proj.
/// </summary>
public sealed class ResnetBlock2D : nn.Module
{
#pragma warning disable IDE1006 // fields are named after the diffusers state-dict keys
    private readonly GroupNorm norm1;
    private readonly Conv2d conv1;
    private readonly Linear? time_emb_proj;
    private readonly GroupNorm norm2;
    private readonly Conv2d conv2;
    private readonly Conv2d? conv_shortcut;
#pragma warning restore IDE1006
    private readonly double _dropout;
    private readonly double _outputScaleFactor;
    private readonly string _actFn;

    public ResnetBlock2D(long inChannels, long outChannels, long? tembChannels, double eps, long groups,
                         double dropout = 0.0, string actFn = "silu", double outputScaleFactor = 1.0)
        : base(nameof(ResnetBlock2D))
    {
        norm1 = Norms.GroupNorm(groups, inChannels, eps);
        conv1 = nn.Conv2d(inChannels, outChannels, 3, stride: 1, padding: 1);
        if (tembChannels is { } t) time_emb_proj = nn.Linear(t, outChannels);
        norm2 = Norms.GroupNorm(groups, outChannels, eps);
        conv2 = nn.Conv2d(outChannels, outChannels, 3, stride: 1, padding: 1);
        if (inChannels != outChannels) conv_shortcut = nn.Conv2d(inChannels, outChannels, 1, stride: 1, padding: 0L);
        _dropout = dropout;
        _outputScaleFactor = outputScaleFactor;
        _actFn = actFn;
        RegisterComponents();
    }

    public Tensor forward(Tensor input, Tensor? temb)
    {
        using var _ = torch.NewDisposeScope();
        var h = conv1.forward(Norms.Activation(_actFn, norm1.forward(input)));
        if (time_emb_proj is not null)
        {
            if (temb is null) throw new ArgumentException("ResnetBlock2D: this block needs a time embedding (temb)");
            var t = time_emb_proj.forward(Norms.Activation(_actFn, temb));
            h = h + t[.., .., TensorIndex.None, TensorIndex.None];
        }
        h = Norms.Activation(_actFn, norm2.forward(h));
        h = nn.functional.dropout(h, _dropout, training);
        h = conv2.forward(h);
        var x = conv_shortcut is null ? input : conv_shortcut.forward(input);
        var y = x + h;
        if (_outputScaleFactor != 1.0) y = y / _outputScaleFactor;
        return y.MoveToOuterDisposeScope();
    }
}
