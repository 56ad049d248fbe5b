using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Clip;

/// <summary>
/// transformers' <c>CLIPTextTransformer</c> (keys <c>embeddings.*</c>, <c>encoder.layers.N.*</c>,
/// <c>final_layer_norm.*</c>): causal self-attention, optional padding mask, final LayerNorm, EOS pooling.
/// </summary>
public sealed class CLIPTextTransformer : nn.Module<CLIPTextInput, BaseModelOutputWithPooling>
{
#pragma warning disable IDE1006
    private readonly CLIPTextEmbeddings embeddings;
    private readonly CLIPEncoder encoder;
    private readonly LayerNorm final_layer_norm;
#pragma warning restore IDE1006

    private readonly int? _eosTokenId;

    public CLIPTextTransformer(CLIPTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPTextTransformer))
    {
        config.Validate("CLIPTextConfig");
        _eosTokenId = config.EosTokenId;
        embeddings = new CLIPTextEmbeddings(config.VocabSize, config.HiddenSize, config.MaxPositionEmbeddings, device, dtype);
        encoder = new CLIPEncoder(config.NumHiddenLayers, config.HiddenSize, config.NumAttentionHeads, config.IntermediateSize,
                                  config.HiddenAct, config.LayerNormEps, device, dtype);
        final_layer_norm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device, dtype: dtype);
        RegisterComponents();
    }

    public CLIPTextEmbeddings Embeddings => embeddings;

    public override BaseModelOutputWithPooling forward(CLIPTextInput input)
    {
        using var _ = NewDisposeScope();
        var ids = input.InputIds;
        if (ids.ndim != 2) throw new ArgumentException($"input_ids must be [batch, tokens], got [{string.Join(", ", ids.shape)}]");
        var hidden = embeddings.Embed(ids, input.InputsEmbeds, input.PositionIds);
        var mask = CausalMask(ids.shape[1], hidden.dtype, hidden.device);
        if (input.AttentionMask is { } am)
        {
            if (!am.shape.SequenceEqual(ids.shape))
                throw new ArgumentException($"attention_mask has shape [{string.Join(", ", am.shape)}] but input_ids has [{string.Join(", ", ids.shape)}]");
            mask = mask + PaddingMask(am, hidden.dtype, hidden.device);
        }
        var (last, all) = encoder.Run(hidden, mask, input.OutputHiddenStates);
        var normed = final_layer_norm.forward(last);
        var pooled = Pool(normed, ids);
        return new BaseModelOutputWithPooling(normed, pooled, all).MoveToOuterDisposeScope();
    }

    /// <summary>[1, 1, T, T]: 0 on and below the diagonal, the dtype's minimum above (transformers' causal mask).</summary>
    public static Tensor CausalMask(long tokens, ScalarType dtype, Device device)
    {
        using var _ = NewDisposeScope();
        var upper = torch.ones(tokens, tokens, dtype: ScalarType.Bool, device: device).triu(1);
        var mask = torch.zeros(tokens, tokens, dtype: dtype, device: device).masked_fill(upper, MinValue(dtype));
        return mask.view(1, 1, tokens, tokens).MoveToOuterDisposeScope();
    }

    /// <summary>[B, 1, 1, T]: 0 where the attention mask is 1, the dtype's minimum where it is 0.</summary>
    public static Tensor PaddingMask(Tensor attentionMask, ScalarType dtype, Device device)
    {
        using var _ = NewDisposeScope();
        var drop = attentionMask.to(device).eq(0);
        var mask = torch.zeros(drop.shape, dtype: dtype, device: device).masked_fill(drop, MinValue(dtype));
        return mask.unsqueeze(1).unsqueeze(1).MoveToOuterDisposeScope();
    }

    private static double MinValue(ScalarType dtype) => dtype switch
    {
        ScalarType.Float16 => -65504.0,
        ScalarType.BFloat16 => -3.3895313892515355e38,
        ScalarType.Float64 => double.MinValue,
        _ => float.MinValue,
    };

    /// <summary>
    /// The hidden state at the EOS token of each row. transformers 4.38: when <c>eos_token_id</c> is 2 (configs
    /// saved before PR #24773, SD1.x/SD2.x included) the position is <c>argmax(input_ids)</c> (EOS has the highest
    /// id of the original vocabulary); otherwise the first position equal to <c>eos_token_id</c>.
    /// </summary>
    private Tensor Pool(Tensor hidden, Tensor ids)
    {
        using var _ = NewDisposeScope();
        var idsOnDevice = ids.to(hidden.device);
        var positions = _eosTokenId == 2 || _eosTokenId is null
            ? idsOnDevice.to(ScalarType.Int32).argmax(-1)
            : idsOnDevice.eq(_eosTokenId.Value).to(ScalarType.Int32).argmax(-1);
        var rows = torch.arange(hidden.shape[0], dtype: ScalarType.Int64, device: hidden.device);
        return hidden.index(rows, positions.to(ScalarType.Int64)).MoveToOuterDisposeScope();
    }
}
