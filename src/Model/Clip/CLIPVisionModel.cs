using Repro.Model.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Clip;

/// <summary>transformers' <c>CLIPVisionModel</c>: the vision tower alone. Keys <c>vision_model.*</c>.</summary>
public sealed class CLIPVisionModel : nn.Module<Tensor, BaseModelOutputWithPooling>
{
#pragma warning disable IDE1006
    private readonly CLIPVisionTransformer vision_model;
#pragma warning restore IDE1006

    public CLIPVisionConfig Config { get; }

    public CLIPVisionModel(CLIPVisionConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPVisionModel))
    {
        Config = config;
        vision_model = new CLIPVisionTransformer(config, device, dtype);
        RegisterComponents();
    }

    public override BaseModelOutputWithPooling forward(Tensor pixelValues) => vision_model.forward(pixelValues, false);

    public BaseModelOutputWithPooling forward(Tensor pixelValues, bool outputHiddenStates) => vision_model.forward(pixelValues, outputHiddenStates);

    /// <summary>Loads a vision-model folder, or the vision tower of a full CLIPModel folder, strictly.</summary>
    public static CLIPVisionModel FromPretrained(string folder, string? variant = null, Device? device = null, ScalarType? dtype = null,
                                                 Action<string>? warn = null)
    {
        string configPath = Path.Combine(folder, "config.json");
        bool full = CLIPTextConfig.IsFullClip(ConfigJson.ReadObject(configPath));
        var file = CLIPVisionConfig.Read(configPath);
        TransformersConfigKeys.Report(configPath, file.UnknownKeys, warn);
        var model = new CLIPVisionModel(file.Config, device, dtype);
        ClipCheckpoint.Load(model, folder, variant, full ? [.. ClipCheckpoint.TextKeys, "visual_projection."] : null);
        model.eval();
        return model;
    }
}
