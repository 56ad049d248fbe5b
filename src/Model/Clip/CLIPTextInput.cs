using static TorchSharp.torch;

namespace Repro.Model.Clip;

/// <summary>
/// Input of the CLIP text models.
/// <paramref name="InputIds"/>: [batch, tokens] int64; always needed (it gives the EOS position for pooling).
/// <paramref name="AttentionMask"/>: [batch, tokens], 1 = token, 0 = padding; null = attend to all (SD pipelines).
/// <paramref name="InputsEmbeds"/>: [batch, tokens, hidden] token embeddings used instead of
/// <c>token_embedding(InputIds)</c> (position embeddings are still added): lets a trained embedding row carry gradients.
/// <paramref name="PositionIds"/>: [batch or 1, tokens]; null = 0..tokens-1.
/// </summary>
public sealed record CLIPTextInput(Tensor InputIds, Tensor? AttentionMask = null, Tensor? InputsEmbeds = null,
                                   bool OutputHiddenStates = false, Tensor? PositionIds = null);
