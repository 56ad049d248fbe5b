using Repro.Model.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Clip;

/// <summary>
/// transformers' <c>CLIPVisionModelWithProjection</c> (keys <c>vision_model.*</c>, <c>visual_projection.weight</c>):
/// image embeds for CLIP-I / CLIP-T.
/// </summary>
public sealed class CLIPVisionModelWithProjection : nn.Module<Tensor, CLIPVisionModelOutput>
{
#pragma warning disable IDE1006
    private readonly CLIPVisionTransformer vision_model;
    private readonly Linear visual_projection;
#pragma warning restore IDE1006

    public CLIPVisionConfig Config { get; }

    public CLIPVisionModelWithProjection(CLIPVisionConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPVisionModelWithProjection))
    {
        Config = config;
        vision_model = new CLIPVisionTransformer(config, device, dtype);
        visual_projection = nn.Linear(config.HiddenSize, config.ProjectionDim, hasBias: false, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override CLIPVisionModelOutput forward(Tensor pixelValues) => forward(pixelValues, false);

    public CLIPVisionModelOutput forward(Tensor pixelValues, bool outputHiddenStates)
    {
        using var _ = NewDisposeScope();
        var output = vision_model.forward(pixelValues, outputHiddenStates);
        var embeds = visual_projection.forward(output.PooledOutput);
        embeds.MoveToOuterDisposeScope();
        output.LastHiddenState.MoveToOuterDisposeScope();
        if (output.HiddenStates is not null) foreach (var t in output.HiddenStates) t.MoveToOuterDisposeScope();
        return new CLIPVisionModelOutput(embeds, output.LastHiddenState, output.HiddenStates);
    }

    /// <summary>Loads a CLIPVisionModelWithProjection folder, or the vision half of a full CLIPModel folder, strictly.</summary>
    public static CLIPVisionModelWithProjection FromPretrained(string folder, string? variant = null, Device? device = null,
                                                               ScalarType? dtype = null, Action<string>? warn = null)
    {
        string configPath = Path.Combine(folder, "config.json");
        bool full = CLIPTextConfig.IsFullClip(ConfigJson.ReadObject(configPath));
        var file = CLIPVisionConfig.Read(configPath);
        TransformersConfigKeys.Report(configPath, file.UnknownKeys, warn);
        var model = new CLIPVisionModelWithProjection(file.Config, device, dtype);
        ClipCheckpoint.Load(model, folder, variant, full ? ClipCheckpoint.TextKeys : null);
        model.eval();
        return model;
    }
}
