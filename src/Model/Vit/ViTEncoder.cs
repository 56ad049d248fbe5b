using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Vit;

/// <summary>transformers' <c>ViTEncoder</c>: keys <c>layer.N.*</c>.</summary>
public sealed class ViTEncoder : nn.Module
{
#pragma warning disable IDE1006
    private readonly ModuleList<ViTLayer> layer = new();
#pragma warning restore IDE1006

    public ViTEncoder(ViTConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ViTEncoder))
    {
        for (int i = 0; i < config.NumHiddenLayers; i++) layer.Add(new ViTLayer(config, device, dtype));
        RegisterComponents();
    }

    /// <summary>Runs every layer; with <paramref name="outputHiddenStates"/>, the input then each layer's output.</summary>
    public (Tensor Last, IReadOnlyList<Tensor>? All) Run(Tensor hidden, bool outputHiddenStates)
    {
        using var _ = NewDisposeScope();
        var all = outputHiddenStates ? new List<Tensor> { hidden.alias() } : null;
        var h = hidden;
        foreach (var l in layer)
        {
            h = l.forward(h);
            all?.Add(h);
        }
        if (all is null) return (h.MoveToOuterDisposeScope(), null);
        foreach (var t in all) t.MoveToOuterDisposeScope();
        return (all[^1], all);
    }
}
