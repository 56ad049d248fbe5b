namespace Repro.Model.UNet;

/// <summary>diffusers <c>UpBlock2D</c>: <see cref="CrossAttnUpBlock2D"/> without attentions.</summary>
public sealed class UpBlock2D : CrossAttnUpBlock2D
{
    public UpBlock2D(BlockSettings s, long prevOutputChannels, bool addUpsample)
        : base(s, prevOutputChannels, addUpsample, withAttention: false, nameof(UpBlock2D)) { }
}
