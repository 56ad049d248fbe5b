using Repro.Model.Clip;
using Repro.Model.Pipeline;
using Repro.Model.Schedulers;
using Repro.Model.Tokenizers;
using Repro.Model.UNet;
using Repro.Model.Vae;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Experiments.Training;

/// <summary>
/// The models a personalization run trains on: tokenizer with the placeholder token added, the frozen text encoder and
/// VAE (optionally cast to fp16/bf16 on GPU), the UNet (kept fp32: stages may train it), the training noiser, and the
/// placeholder embedding as its own <see cref="Parameter"/>. The embedding is spliced into the token embeddings fed
/// through <c>inputs_embeds</c>, so the frozen table never receives gradients.
/// </summary>
public sealed class TrainingModels : IDisposable
{
    private TrainingModels(string modelDir, ClipTokenizer tokenizer, CLIPTextModel textEncoder, UNet2DConditionModel unet,
                           AutoencoderKL vae, TrainingNoiser noiser, Device device, ScalarType frozenDtype)
    {
        (ModelDir, Tokenizer, TextEncoder, UNet, Vae, Noiser, Device, FrozenDtype) = (modelDir, tokenizer, textEncoder, unet, vae, noiser, device, frozenDtype);
    }

    public string ModelDir { get; }
    public ClipTokenizer Tokenizer { get; }
    public CLIPTextModel TextEncoder { get; }
    public UNet2DConditionModel UNet { get; }
    public AutoencoderKL Vae { get; }
    public TrainingNoiser Noiser { get; }
    public Device Device { get; }
    public ScalarType FrozenDtype { get; }
    public string Token { get; private set; } = "";
    public string Category { get; private set; } = "";
    public int PlaceholderId { get; private set; } = -1;
    public Parameter Embedding { get; private set; } = null!;

    /// <summary>Image size in pixels: the UNet's sample_size × the VAE factor.</summary>
    public int Resolution => (UNet.Config.LatentSize ?? 64) * (1 << (Vae.Config.BlockOutChannels.Length - 1));

    /// <summary>
    /// Loads a diffusers folder, adds <paramref name="token"/> (initialised from the first token of
    /// <paramref name="category"/>), freezes the text encoder and VAE and casts them to <paramref name="precision"/> on GPU.
    /// </summary>
    public static TrainingModels Load(string modelDir, string token, string category, Device device, string precision = "fp32")
    {
        var sd = DiffusersFolder.Open(modelDir);
        var dtype = precision switch
        {
            "fp32" => ScalarType.Float32,
            "fp16" => ScalarType.Float16,
            "bf16" => ScalarType.BFloat16,
            _ => throw new ArgumentException($"precision '{precision}': expected fp32, fp16 or bf16"),
        };
        if (device.type == DeviceType.CPU) dtype = ScalarType.Float32;
        var models = new TrainingModels(sd.Root, ClipTokenizer.FromFolder(sd.PathOf("tokenizer")),
            CLIPTextModel.FromPretrained(sd.PathOf("text_encoder")), UNet2DConditionModel.FromPretrained(sd.PathOf("unet")),
            AutoencoderKL.FromPretrained(sd.PathOf("vae")), SchedulerFactory.NoiserFromFolder(sd.PathOf("scheduler")), device, dtype);
        models.TextEncoder.to(device, dtype).eval();
        models.Vae.to(device, dtype).eval();
        models.UNet.to(device);
        foreach (var p in models.TextEncoder.parameters().Concat(models.Vae.parameters()).Concat(models.UNet.parameters())) p.requires_grad = false;
        models.AddPlaceholder(token, category);
        return models;
    }

    /// <summary>Ids of the category word without BOS/EOS.</summary>
    public int[] CategoryIds(string category) => Tokenizer.Encode(category)[1..^1];

    private void AddPlaceholder(string token, string category)
    {
        var categoryIds = CategoryIds(category);
        if (categoryIds.Length == 0) throw new ArgumentException($"category '{category}' has no tokens");
        if (Tokenizer.TokenToId(token) is not null) throw new ArgumentException($"placeholder token '{token}' is already in the vocabulary; choose another");
        PlaceholderId = Tokenizer.AddTokens(token)[0];
        Token = token;
        Category = category;
        TextEncoder.ResizeTokenEmbeddings(Tokenizer.VocabSize);
        TextEncoder.to(Device, FrozenDtype);
        var table = TextEncoder.GetInputEmbeddings().weight!;
        table.requires_grad = false;
        using var init = table[categoryIds[0]].detach().to(float32).clone();
        TextEncoder.SetTokenEmbedding(PlaceholderId, init);
        Embedding = new Parameter(init.clone(), requires_grad: true);
    }

    /// <summary>Replaces the placeholder vector (e.g. with a trained one read from learned_embeds.safetensors).</summary>
    public void SetEmbedding(Tensor vector)
    {
        using var _ = torch.no_grad();
        Embedding.copy_(vector.reshape(Embedding.shape));
        CommitEmbedding();
    }

    /// <summary>Writes the current vector into the token table (what a diffusers pipeline loads).</summary>
    public void CommitEmbedding() => TextEncoder.SetTokenEmbedding(PlaceholderId, Embedding.detach());

    /// <summary>
    /// Runs <paramref name="action"/> (sampling through the pipeline, which expects one dtype) with the frozen modules in
    /// fp32; fp16/bf16 → fp32 → back is exact, so training is unaffected.
    /// </summary>
    public void WithFrozenInFloat32(Action action)
    {
        if (FrozenDtype == ScalarType.Float32) { action(); return; }
        TextEncoder.to(ScalarType.Float32);
        Vae.to(ScalarType.Float32);
        try { action(); }
        finally
        {
            TextEncoder.to(FrozenDtype);
            Vae.to(FrozenDtype);
        }
    }

    /// <summary>Token ids (B, 77) padded as the pipelines tokenize.</summary>
    public Tensor Tokenize(IReadOnlyList<string> prompts)
    {
        int n = Tokenizer.ModelMaxLength;
        var ids = prompts.SelectMany(p => Tokenizer.EncodePadded(p, n)).Select(i => (long)i).ToArray();
        return torch.tensor(ids, [prompts.Count, n], dtype: int64, device: Device);
    }

    /// <summary>
    /// Text-encoder last hidden state (B, 77, D) in fp32 with the placeholder rows replaced by <see cref="Embedding"/>;
    /// gradients reach the embedding only when <paramref name="embeddingGrad"/> is set.
    /// </summary>
    public Tensor Encode(IReadOnlyList<string> prompts, bool embeddingGrad)
    {
        using var _ = NewDisposeScope();
        using var grad = embeddingGrad ? null : torch.no_grad();
        var ids = Tokenize(prompts);
        Tensor tokens;
        using (torch.no_grad()) tokens = TextEncoder.GetInputEmbeddings().forward(ids);
        var vector = (embeddingGrad ? Embedding : Embedding.detach()).to(tokens.dtype);
        var mask = ids.eq(PlaceholderId).unsqueeze(-1);
        var spliced = torch.where(mask, vector.expand_as(tokens), tokens);
        var output = TextEncoder.forward(new CLIPTextInput(ids, InputsEmbeds: spliced));
        return output.LastHiddenState.to(float32).MoveToOuterDisposeScope();
    }

    /// <summary>z₀ = VAE posterior sample × scaling factor (no gradient), for images in [−1, 1].</summary>
    public Tensor EncodeLatents(Tensor pixels, Generator generator)
    {
        using var _ = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var posterior = Vae.Encode(pixels.to(FrozenDtype).to(Device));
        using var noise = torch.randn(posterior.Mean.shape, dtype: float32, generator: generator);
        var sample = posterior.Mean.to(float32) + posterior.Std.to(float32) * noise.to(Device);
        return (sample * Vae.ScalingFactor).MoveToOuterDisposeScope();
    }

    /// <summary>The parameters a stage trains, named as they are saved: "embedding" and "unet.&lt;key&gt;".</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Trainable(TrainableSet set)
    {
        var result = new List<(string, Parameter)>();
        if (set is TrainableSet.Embedding or TrainableSet.EmbeddingAndUNet or TrainableSet.EmbeddingAndCrossAttentionKeyValue)
            result.Add(("embedding", Embedding));
        foreach (var (name, p) in UNet.named_parameters())
        {
            bool take = set switch
            {
                TrainableSet.CrossAttention => name.Contains(".attn2.", StringComparison.Ordinal),
                TrainableSet.UNet or TrainableSet.EmbeddingAndUNet => true,
                TrainableSet.EmbeddingAndCrossAttentionKeyValue =>
                    name.Contains(".attn2.to_k.", StringComparison.Ordinal) || name.Contains(".attn2.to_v.", StringComparison.Ordinal),
                _ => false,
            };
            p.requires_grad = take;
            if (take) result.Add(("unet." + name, p));
        }
        return result;
    }

    public void Dispose()
    {
        TextEncoder.Dispose();
        UNet.Dispose();
        Vae.Dispose();
        Embedding?.Dispose();
    }
}
