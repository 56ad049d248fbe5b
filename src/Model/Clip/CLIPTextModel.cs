using Repro.Model.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Clip;

/// <summary>
/// transformers' <c>CLIPTextModel</c>: the SD text encoder. Keys <c>text_model.*</c>.
/// <c>LastHiddenState</c> (after <c>final_layer_norm</c>) is SD's <c>prompt_embeds</c>.
/// </summary>
public sealed class CLIPTextModel : nn.Module<CLIPTextInput, BaseModelOutputWithPooling>
{
#pragma warning disable IDE1006
    private readonly CLIPTextTransformer text_model;
#pragma warning restore IDE1006

    public CLIPTextConfig Config { get; private set; }

    public CLIPTextModel(CLIPTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPTextModel))
    {
        Config = config;
        text_model = new CLIPTextTransformer(config, device, dtype);
        RegisterComponents();
    }

    public CLIPTextTransformer TextModel => text_model;

    public override BaseModelOutputWithPooling forward(CLIPTextInput input) => text_model.forward(input);

    public BaseModelOutputWithPooling forward(Tensor inputIds, Tensor? attentionMask = null, bool outputHiddenStates = false) =>
        forward(new CLIPTextInput(inputIds, attentionMask, OutputHiddenStates: outputHiddenStates));

    /// <summary>The token embedding table (transformers' <c>get_input_embeddings()</c>), [vocab, hidden].</summary>
    public Embedding GetInputEmbeddings() => text_model.Embeddings.TokenEmbedding;

    /// <summary>
    /// Resizes the token table to <paramref name="newVocabSize"/> rows (transformers' <c>resize_token_embeddings</c>):
    /// existing rows are kept, new rows are N(0, 1); set them with <see cref="SetTokenEmbedding"/>.
    /// </summary>
    public void ResizeTokenEmbeddings(int newVocabSize)
    {
        text_model.Embeddings.Resize(newVocabSize);
        Config = Config with { VocabSize = newVocabSize };
    }

    /// <summary>Overwrites row <paramref name="tokenId"/> of the token table (no gradient is recorded).</summary>
    public void SetTokenEmbedding(long tokenId, Tensor value)
    {
        var weight = GetInputEmbeddings().weight!;
        if (tokenId < 0 || tokenId >= weight.shape[0])
            throw new ArgumentOutOfRangeException(nameof(tokenId), $"token id {tokenId} is outside the vocabulary of {weight.shape[0]}");
        if (value.numel() != weight.shape[1])
            throw new ArgumentException($"embedding has {value.numel()} values but the hidden size is {weight.shape[1]}");
        using var _ = torch.no_grad();
        weight[tokenId].copy_(value.reshape(weight.shape[1]));
    }

    /// <summary>
    /// Loads <c>config.json</c> and the weights of a transformers folder (a CLIPTextModel, or a full CLIPModel whose
    /// text tower is taken) strictly; unknown config keys are reported to <paramref name="warn"/> (stderr by default).
    /// </summary>
    public static CLIPTextModel FromPretrained(string folder, string? variant = null, Device? device = null, ScalarType? dtype = null,
                                               Action<string>? warn = null)
    {
        string configPath = Path.Combine(folder, "config.json");
        bool full = CLIPTextConfig.IsFullClip(ConfigJson.ReadObject(configPath));
        var file = CLIPTextConfig.Read(configPath);
        TransformersConfigKeys.Report(configPath, file.UnknownKeys, warn);
        var model = new CLIPTextModel(file.Config, device, dtype);
        ClipCheckpoint.Load(model, folder, variant, full ? [.. ClipCheckpoint.VisionKeys, "text_projection."] : null);
        model.eval();
        return model;
    }
}
