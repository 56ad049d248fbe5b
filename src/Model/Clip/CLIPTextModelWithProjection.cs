using Repro.Model.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Clip;

/// <summary>
/// transformers' <c>CLIPTextModelWithProjection</c> (keys <c>text_model.*</c>, <c>text_projection.weight</c>):
/// text embeds for CLIP-T.
/// </summary>
public sealed class CLIPTextModelWithProjection : nn.Module<CLIPTextInput, CLIPTextModelOutput>
{
#pragma warning disable IDE1006
    private readonly CLIPTextTransformer text_model;
    private readonly Linear text_projection;
#pragma warning restore IDE1006

    public CLIPTextConfig Config { get; }

    public CLIPTextModelWithProjection(CLIPTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPTextModelWithProjection))
    {
        Config = config;
        text_model = new CLIPTextTransformer(config, device, dtype);
        text_projection = nn.Linear(config.HiddenSize, config.ProjectionDim, hasBias: false, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override CLIPTextModelOutput forward(CLIPTextInput input)
    {
        using var _ = NewDisposeScope();
        var output = text_model.forward(input);
        var embeds = text_projection.forward(output.PooledOutput);
        embeds.MoveToOuterDisposeScope();
        output.LastHiddenState.MoveToOuterDisposeScope();
        if (output.HiddenStates is not null) foreach (var t in output.HiddenStates) t.MoveToOuterDisposeScope();
        return new CLIPTextModelOutput(embeds, output.LastHiddenState, output.HiddenStates);
    }

    public CLIPTextModelOutput forward(Tensor inputIds, Tensor? attentionMask = null, bool outputHiddenStates = false) =>
        forward(new CLIPTextInput(inputIds, attentionMask, OutputHiddenStates: outputHiddenStates));

    /// <summary>Loads a CLIPTextModelWithProjection folder, or the text half of a full CLIPModel folder, strictly.</summary>
    public static CLIPTextModelWithProjection FromPretrained(string folder, string? variant = null, Device? device = null,
                                                             ScalarType? dtype = null, Action<string>? warn = null)
    {
        string configPath = Path.Combine(folder, "config.json");
        bool full = CLIPTextConfig.IsFullClip(ConfigJson.ReadObject(configPath));
        var file = CLIPTextConfig.Read(configPath);
        TransformersConfigKeys.Report(configPath, file.UnknownKeys, warn);
        var model = new CLIPTextModelWithProjection(file.Config, device, dtype);
        ClipCheckpoint.Load(model, folder, variant, full ? ClipCheckpoint.VisionKeys : null);
        model.eval();
        return model;
    }
}
