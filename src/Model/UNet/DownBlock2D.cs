namespace Repro.Model.UNet;

/// <summary>diffusers <c>DownBlock2D</c>: <see cref="CrossAttnDownBlock2D"/> without attentions.</summary>
public sealed class DownBlock2D : CrossAttnDownBlock2D
{
    public DownBlock2D(BlockSettings s, bool addDownsample) : base(s, addDownsample, withAttention: false, nameof(DownBlock2D)) { }
}
