using Repro.Model.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Clip;

/// <summary>
/// transformers' <c>CLIPModel</c>: both towers, their bias-free projections and <c>logit_scale</c>
/// (keys <c>text_model.*</c>, <c>vision_model.*</c>, <c>visual_projection.weight</c>, <c>text_projection.weight</c>,
/// <c>logit_scale</c>), as in the openai/clip-vit-* checkpoints.
/// </summary>
public sealed class CLIPModel : nn.Module<Tensor, Tensor, Tensor?, CLIPOutput>
{
#pragma warning disable IDE1006
    private readonly CLIPTextTransformer text_model;
    private readonly CLIPVisionTransformer vision_model;
    private readonly Linear visual_projection;
    private readonly Linear text_projection;
    private readonly Parameter logit_scale;
#pragma warning restore IDE1006

    public CLIPConfig Config { get; }

    public CLIPModel(CLIPConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPModel))
    {
        Config = config;
        text_model = new CLIPTextTransformer(config.TextConfig, device, dtype);
        vision_model = new CLIPVisionTransformer(config.VisionConfig, device, dtype);
        visual_projection = nn.Linear(config.VisionConfig.HiddenSize, config.ProjectionDim, hasBias: false, device: device, dtype: dtype);
        text_projection = nn.Linear(config.TextConfig.HiddenSize, config.ProjectionDim, hasBias: false, device: device, dtype: dtype);
        logit_scale = new Parameter(torch.tensor(config.LogitScaleInitValue, dtype: dtype ?? ScalarType.Float32, device: device));
        RegisterComponents();
    }

    /// <summary>transformers' <c>get_text_features</c>: text_projection(pooled EOS state), not normalised.</summary>
    public Tensor GetTextFeatures(Tensor inputIds, Tensor? attentionMask = null)
    {
        using var _ = NewDisposeScope();
        using var output = text_model.forward(new CLIPTextInput(inputIds, attentionMask));
        return text_projection.forward(output.PooledOutput).MoveToOuterDisposeScope();
    }

    /// <summary>transformers' <c>get_image_features</c>: visual_projection(post_layernorm(CLS)), not normalised.</summary>
    public Tensor GetImageFeatures(Tensor pixelValues)
    {
        using var _ = NewDisposeScope();
        using var output = vision_model.forward(pixelValues, false);
        return visual_projection.forward(output.PooledOutput).MoveToOuterDisposeScope();
    }

    public override CLIPOutput forward(Tensor inputIds, Tensor pixelValues, Tensor? attentionMask)
    {
        using var _ = NewDisposeScope();
        var vision = vision_model.forward(pixelValues, false);
        var text = text_model.forward(new CLIPTextInput(inputIds, attentionMask));
        var image = Normalize(visual_projection.forward(vision.PooledOutput));
        var txt = Normalize(text_projection.forward(text.PooledOutput));
        var logitsPerText = torch.matmul(txt, image.t()) * logit_scale.exp();
        var logitsPerImage = logitsPerText.t();
        foreach (var t in new[] { logitsPerImage, logitsPerText, txt, image }) t.MoveToOuterDisposeScope();
        return new CLIPOutput(logitsPerImage, logitsPerText, txt, image, text.MoveToOuterDisposeScope(), vision.MoveToOuterDisposeScope());
    }

    /// <summary>x / ‖x‖₂ over the last dimension (transformers' <c>embeds / embeds.norm(p=2, dim=-1, keepdim=True)</c>).</summary>
    public static Tensor Normalize(Tensor x)
    {
        using var norm = x.norm(-1, keepdim: true, p: 2);
        return x / norm;
    }

    /// <summary>Loads a full CLIPModel folder (config.json with text_config + vision_config, model.safetensors) strictly.</summary>
    public static CLIPModel FromPretrained(string folder, string? variant = null, Device? device = null, ScalarType? dtype = null,
                                           Action<string>? warn = null)
    {
        string configPath = Path.Combine(folder, "config.json");
        var file = CLIPConfig.Read(configPath);
        TransformersConfigKeys.Report(configPath, file.UnknownKeys, warn);
        var model = new CLIPModel(file.Config, device, dtype);
        ClipCheckpoint.Load(model, folder, variant);
        model.eval();
        return model;
    }
}
