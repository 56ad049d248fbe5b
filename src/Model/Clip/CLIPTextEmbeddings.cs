using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Clip;

/// <summary>
/// transformers' <c>CLIPTextEmbeddings</c>: token + learned absolute position embeddings. The old persistent
/// <c>position_ids</c> buffer is not kept (positions are made on the fly); loaders ignore that key.
/// </summary>
public sealed class CLIPTextEmbeddings : nn.Module
{
#pragma warning disable IDE1006
    private readonly Embedding token_embedding;
    private readonly Embedding position_embedding;
#pragma warning restore IDE1006

    public CLIPTextEmbeddings(int vocabSize, int hiddenSize, int maxPositions, Device? device = null, ScalarType? dtype = null)
        : base(nameof(CLIPTextEmbeddings))
    {
        token_embedding = nn.Embedding(vocabSize, hiddenSize, device: device, dtype: dtype);
        position_embedding = nn.Embedding(maxPositions, hiddenSize, device: device, dtype: dtype);
        RegisterComponents();
    }

    public Embedding TokenEmbedding => token_embedding;
    public Embedding PositionEmbedding => position_embedding;

    /// <summary>token_embedding(ids) (or the given <paramref name="inputsEmbeds"/>) + position_embedding(positions).</summary>
    public Tensor Embed(Tensor inputIds, Tensor? inputsEmbeds = null, Tensor? positionIds = null)
    {
        using var _ = NewDisposeScope();
        long tokens = inputIds.shape[^1];
        long maxPositions = position_embedding.weight!.shape[0];
        if (tokens > maxPositions)
            throw new ArgumentException($"input has {tokens} tokens but max_position_embeddings is {maxPositions}");
        var embeds = inputsEmbeds ?? token_embedding.forward(inputIds);
        if (inputsEmbeds is not null && (inputsEmbeds.ndim != 3 || inputsEmbeds.shape[0] != inputIds.shape[0] || inputsEmbeds.shape[1] != tokens))
            throw new ArgumentException($"inputs_embeds has shape [{string.Join(", ", inputsEmbeds.shape)}] but input_ids has [{string.Join(", ", inputIds.shape)}]");
        var positions = positionIds ?? torch.arange(tokens, dtype: ScalarType.Int64, device: embeds.device).unsqueeze(0);
        return (embeds + position_embedding.forward(positions)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Grows (or shrinks) the vocabulary to <paramref name="newSize"/> rows, keeping the first rows. New rows are
    /// N(0, 1), as transformers 4.38's <c>resize_token_embeddings</c> leaves a fresh <c>nn.Embedding</c>.
    /// </summary>
    public void Resize(int newSize)
    {
        var old = token_embedding.weight!;
        if (newSize <= 0) throw new ArgumentException($"new vocabulary size must be positive, got {newSize}");
        using var _ = torch.no_grad();
        var fresh = torch.empty(newSize, old.shape[1], dtype: old.dtype, device: old.device);
        if (fresh.device.type != DeviceType.META)
        {
            fresh.normal_();
            long keep = Math.Min(newSize, old.shape[0]);
            fresh[..(int)keep].copy_(old[..(int)keep]);
        }
        bool requiresGrad = old.requires_grad;
        token_embedding.weight = new Parameter(fresh, requiresGrad);
    }
}
