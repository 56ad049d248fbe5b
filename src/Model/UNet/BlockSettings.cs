namespace Repro.Model.UNet;

/// <summary>The settings every UNet block receives (diffusers' get_down_block / get_up_block arguments we support).</summary>
public sealed record BlockSettings(
    int NumLayers, int TransformerLayers, long InChannels, long OutChannels, long TembChannels, double Eps, long Groups,
    string ActFn, double Dropout, int Heads, long CrossAttentionDim, bool UseLinearProjection, bool UpcastAttention,
    long DownsamplePadding = 1, double OutputScaleFactor = 1.0);
