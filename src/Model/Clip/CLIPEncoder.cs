using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Clip;

/// <summary>transformers' <c>CLIPEncoder</c>: the stack of <see cref="CLIPEncoderLayer"/> (keys <c>layers.N.*</c>).</summary>
public sealed class CLIPEncoder : nn.Module
{
#pragma warning disable IDE1006
    private readonly ModuleList<CLIPEncoderLayer> layers = new();
#pragma warning restore IDE1006

    public CLIPEncoder(int numLayers, int hiddenSize, int numHeads, int intermediateSize, string hiddenAct, double eps,
                       Device? device = null, ScalarType? dtype = null) : base(nameof(CLIPEncoder))
    {
        for (int i = 0; i < numLayers; i++)
            layers.Add(new CLIPEncoderLayer(hiddenSize, numHeads, intermediateSize, hiddenAct, eps, device, dtype));
        RegisterComponents();
    }

    public int Count => layers.Count;

    /// <summary>
    /// Runs every layer. With <paramref name="outputHiddenStates"/> the list holds the input followed by each layer's
    /// output (length layers + 1), as transformers' <c>hidden_states</c>; the last entry is the returned tensor.
    /// </summary>
    public (Tensor Last, IReadOnlyList<Tensor>? All) Run(Tensor inputsEmbeds, Tensor? mask, bool outputHiddenStates)
    {
        using var _ = NewDisposeScope();
        var all = outputHiddenStates ? new List<Tensor> { inputsEmbeds.alias() } : null;
        var h = inputsEmbeds;
        foreach (var layer in layers)
        {
            h = layer.forward(h, mask);
            all?.Add(h);
        }
        if (all is null) return (h.MoveToOuterDisposeScope(), null);
        foreach (var t in all) t.MoveToOuterDisposeScope();
        return (all[^1], all);
    }
}
