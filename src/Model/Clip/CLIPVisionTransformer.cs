using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Clip;

/// <summary>
/// transformers' <c>CLIPVisionTransformer</c> (keys <c>embeddings.*</c>, <c>pre_layrnorm.*</c> — sic —,
/// <c>encoder.layers.N.*</c>, <c>post_layernorm.*</c>). Pooled output = post_layernorm(CLS);
/// <c>LastHiddenState</c> has no post-norm.
/// </summary>
public sealed class CLIPVisionTransformer : nn.Module<Tensor, bool, BaseModelOutputWithPooling>
{
#pragma warning disable IDE1006
    private readonly CLIPVisionEmbeddings embeddings;
    private readonly LayerNorm pre_layrnorm;
    private readonly CLIPEncoder encoder;
    private readonly LayerNorm post_layernorm;
#pragma warning restore IDE1006

    public CLIPVisionTransformer(CLIPVisionConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPVisionTransformer))
    {
        config.Validate("CLIPVisionConfig");
        embeddings = new CLIPVisionEmbeddings(config, device, dtype);
        pre_layrnorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device, dtype: dtype);
        encoder = new CLIPEncoder(config.NumHiddenLayers, config.HiddenSize, config.NumAttentionHeads, config.IntermediateSize,
                                  config.HiddenAct, config.LayerNormEps, device, dtype);
        post_layernorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override BaseModelOutputWithPooling forward(Tensor pixelValues, bool outputHiddenStates)
    {
        using var _ = NewDisposeScope();
        var hidden = pre_layrnorm.forward(embeddings.forward(pixelValues));
        var (last, all) = encoder.Run(hidden, null, outputHiddenStates);
        var pooled = post_layernorm.forward(last.select(1, 0));
        return new BaseModelOutputWithPooling(last, pooled, all).MoveToOuterDisposeScope();
    }
}
