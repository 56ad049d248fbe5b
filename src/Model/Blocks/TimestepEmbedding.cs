using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Blocks;

/// <summary>diffusers <c>TimestepEmbedding</c>: linear_1 → act → linear_2 (no cond_proj, no post-activation).</summary>
public sealed class TimestepEmbedding : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Linear linear_1;
    private readonly Linear linear_2;
#pragma warning restore IDE1006
    private readonly string _actFn;

    public TimestepEmbedding(long inChannels, long timeEmbedDim, string actFn) : base(nameof(TimestepEmbedding))
    {
        linear_1 = nn.Linear(inChannels, timeEmbedDim);
        linear_2 = nn.Linear(timeEmbedDim, timeEmbedDim);
        _actFn = actFn;
        RegisterComponents();
    }

    public override Tensor forward(Tensor sample)
    {
        using var _ = torch.NewDisposeScope();
        return linear_2.forward(Norms.Activation(_actFn, linear_1.forward(sample))).MoveToOuterDisposeScope();
    }
}
