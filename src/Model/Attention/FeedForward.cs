using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Attention;

/// <summary>diffusers <c>FeedForward(activation_fn="geglu")</c>: net = [GEGLU(dim, 4*dim), Dropout, Linear(4*dim, dim)].</summary>
public sealed class FeedForward : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly ModuleList<nn.Module<Tensor, Tensor>> net;
#pragma warning restore IDE1006

    public FeedForward(long dim, double dropout = 0.0, int mult = 4) : base(nameof(FeedForward))
    {
        long inner = dim * mult;
        net = new ModuleList<nn.Module<Tensor, Tensor>>(new GEGLU(dim, inner), nn.Dropout(dropout), nn.Linear(inner, dim));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var _ = torch.NewDisposeScope();
        var h = input;
        foreach (var layer in net) h = layer.forward(h);
        return h.MoveToOuterDisposeScope();
    }
}
