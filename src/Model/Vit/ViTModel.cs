using Repro.Model.Clip;
using Repro.Model.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Vit;

/// <summary>
/// transformers' <c>ViTModel</c> (DINO's facebook/dino-vit* layout): keys <c>embeddings.*</c>,
/// <c>encoder.layer.N.*</c>, <c>layernorm.*</c> and, with <c>addPoolingLayer</c>, <c>pooler.dense.*</c>.
/// </summary>
public sealed class ViTModel : nn.Module<Tensor, ViTModelOutput>
{
#pragma warning disable IDE1006
    private readonly ViTEmbeddings embeddings;
    private readonly ViTEncoder encoder;
    private readonly LayerNorm layernorm;
    private readonly ViTPooler? pooler;
#pragma warning restore IDE1006

    public ViTConfig Config { get; }

    public ViTModel(ViTConfig config, bool addPoolingLayer = true, bool useMaskToken = false, Device? device = null, ScalarType? dtype = null)
        : base(nameof(ViTModel))
    {
        config.Validate("ViTConfig");
        Config = config;
        embeddings = new ViTEmbeddings(config, useMaskToken, device, dtype);
        encoder = new ViTEncoder(config, device, dtype);
        layernorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device, dtype: dtype);
        pooler = addPoolingLayer ? new ViTPooler(config, device, dtype) : null;
        RegisterComponents();
    }

    public bool HasPooler => pooler is not null;

    public override ViTModelOutput forward(Tensor pixelValues) => forward(pixelValues, false);

    public ViTModelOutput forward(Tensor pixelValues, bool outputHiddenStates)
    {
        using var _ = NewDisposeScope();
        var (last, all) = encoder.Run(embeddings.forward(pixelValues), outputHiddenStates);
        var normed = layernorm.forward(last);
        var pooled = pooler?.forward(normed);
        normed.MoveToOuterDisposeScope();
        pooled?.MoveToOuterDisposeScope();
        if (all is not null) foreach (var t in all) t.MoveToOuterDisposeScope();
        return new ViTModelOutput(normed, pooled, all);
    }

    /// <summary>
    /// Loads config.json + model weights strictly. With <paramref name="addPoolingLayer"/> false (a DINO feature
    /// extractor), a checkpoint's <c>pooler.*</c> keys are skipped, as transformers does; with true they are required.
    /// </summary>
    public static ViTModel FromPretrained(string folder, bool addPoolingLayer = true, string? variant = null, Device? device = null,
                                         ScalarType? dtype = null, Action<string>? warn = null)
    {
        string configPath = Path.Combine(folder, "config.json");
        var file = ViTConfig.Read(configPath);
        TransformersConfigKeys.Report(configPath, file.UnknownKeys, warn);
        var model = new ViTModel(file.Config, addPoolingLayer, useMaskToken: false, device, dtype);
        string path = ModelWeights.Resolve(folder, "model", variant);
        StateDictLoader.Load(model, path, ignoreUnexpected: key =>
            (!addPoolingLayer && key.StartsWith("pooler.", StringComparison.Ordinal)) || key == "embeddings.position_ids");
        model.eval();
        return model;
    }
}
