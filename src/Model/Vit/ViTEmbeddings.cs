using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Vit;

/// <summary>
/// transformers' <c>ViTEmbeddings</c>: <c>cls_token</c> [1, 1, D], optional <c>mask_token</c>,
/// <c>patch_embeddings.projection.*</c>, <c>position_embeddings</c> [1, 1 + patches, D].
/// </summary>
public sealed class ViTEmbeddings : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Parameter cls_token;
    private readonly Parameter? mask_token;
    private readonly ViTPatchEmbeddings patch_embeddings;
    private readonly Parameter position_embeddings;
#pragma warning restore IDE1006

    public ViTEmbeddings(ViTConfig config, bool useMaskToken = false, Device? device = null, ScalarType? dtype = null) : base(nameof(ViTEmbeddings))
    {
        cls_token = new Parameter(torch.randn(1, 1, config.HiddenSize, dtype: dtype, device: device));
        mask_token = useMaskToken ? new Parameter(torch.zeros(1, 1, config.HiddenSize, dtype: dtype, device: device)) : null;
        patch_embeddings = new ViTPatchEmbeddings(config, device, dtype);
        position_embeddings = new Parameter(torch.randn(1, config.NumPatches + 1, config.HiddenSize, dtype: dtype, device: device));
        RegisterComponents();
    }

    public override Tensor forward(Tensor pixelValues)
    {
        using var _ = NewDisposeScope();
        var patches = patch_embeddings.forward(pixelValues);
        var cls = cls_token.expand(patches.shape[0], -1, -1);
        return (torch.cat([cls, patches], dim: 1) + position_embeddings).MoveToOuterDisposeScope();
    }
}
