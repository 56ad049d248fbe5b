using Repro.Model.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Vae;

/// <summary>
/// diffusers <c>AutoencoderKL</c>: <see cref="Encode"/> = quant_conv(encoder(x)) as a
/// <see cref="DiagonalGaussianDistribution"/>, <see cref="Decode"/> = decoder(post_quant_conv(z)).
/// <see cref="ScalingFactor"/> is NOT applied inside encode/decode (a pipeline multiplies latents by it).
/// </summary>
public sealed class AutoencoderKL : nn.Module
{
#pragma warning disable IDE1006
    private readonly Encoder encoder;
    private readonly Decoder decoder;
    private readonly Conv2d quant_conv;
    private readonly Conv2d post_quant_conv;
#pragma warning restore IDE1006

    public AutoencoderKL(AutoencoderKLConfig config) : base(nameof(AutoencoderKL))
    {
        config.Validate("AutoencoderKLConfig");
        Config = config;
        encoder = new Encoder(config);
        decoder = new Decoder(config);
        quant_conv = nn.Conv2d(2 * config.LatentChannels, 2 * config.LatentChannels, 1, stride: 1, padding: 0L);
        post_quant_conv = nn.Conv2d(config.LatentChannels, config.LatentChannels, 1, stride: 1, padding: 0L);
        RegisterComponents();
        Attention.AttentionProcessors.AssignPaths(this);
    }

    public AutoencoderKLConfig Config { get; }
    public double ScalingFactor => Config.ScalingFactor;

    public static AutoencoderKL FromPretrained(string folder, string? variant = null) =>
        FromFiles(Path.Combine(folder, "config.json"), ModelWeights.Resolve(folder, "diffusion_pytorch_model", variant));

    public static AutoencoderKL FromFiles(string configPath, string weightsPath)
    {
        var file = ConfigJson.Read<AutoencoderKLConfig>(configPath);
        if (file.UnknownKeys.Count > 0)
            throw new NotSupportedException($"{configPath}: unknown AutoencoderKL config keys [{string.Join(", ", file.UnknownKeys)}]");
        var model = new AutoencoderKL(file.Config);
        StateDictLoader.Load(model, weightsPath, rename: LegacyRename);
        model.eval();
        return model;
    }

    /// <summary>
    /// diffusers' one rename table: old SD VAE files name the mid-block attention tensors query/key/value/proj_attn.
    /// </summary>
    public static string LegacyRename(string key)
    {
        if (!key.Contains("mid_block.attentions.", StringComparison.Ordinal)) return key;
        int dot = key.LastIndexOf('.');
        int prev = key.LastIndexOf('.', dot - 1);
        string module = key[(prev + 1)..dot];
        string renamed = module switch { "query" => "to_q", "key" => "to_k", "value" => "to_v", "proj_attn" => "to_out.0", _ => module };
        return key[..(prev + 1)] + renamed + key[dot..];
    }

    /// <summary>The latent distribution of an image batch in [-1, 1] (its tensors live in the caller's scope).</summary>
    public DiagonalGaussianDistribution Encode(Tensor image) => new(EncodeMoments(image));

    /// <summary>The raw moments quant_conv(encoder(x)) = [mean | unclamped logvar].</summary>
    public Tensor EncodeMoments(Tensor image)
    {
        using var _ = torch.NewDisposeScope();
        return quant_conv.forward(encoder.forward(image)).MoveToOuterDisposeScope();
    }

    public Tensor Decode(Tensor latents)
    {
        using var _ = torch.NewDisposeScope();
        return decoder.forward(post_quant_conv.forward(latents)).MoveToOuterDisposeScope();
    }

    /// <summary>diffusers' forward: decode(sample or mode of encode(x)).</summary>
    public Tensor forward(Tensor image, bool samplePosterior = false, Generator? generator = null)
    {
        using var _ = torch.NewDisposeScope();
        var dist = Encode(image);
        var z = samplePosterior ? dist.Sample(generator) : dist.Mode();
        return Decode(z).MoveToOuterDisposeScope();
    }
}
