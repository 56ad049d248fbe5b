using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Blocks;

/// <summary>
/// Normalisation layers built with PyTorch's initial values. TorchSharp 0.107's <c>GroupNorm</c> leaves its affine
/// weight and bias uninitialised, so every GroupNorm in the model is made here (weight 1, bias 0).
/// </summary>
public static class Norms
{
    public static GroupNorm GroupNorm(long groups, long channels, double eps)
    {
        if (channels % groups != 0)
            throw new ArgumentException($"GroupNorm: {channels} channels are not divisible into {groups} groups");
        var norm = nn.GroupNorm(groups, channels, eps, affine: true);
        using (torch.no_grad())
        {
            norm.weight!.fill_(1.0);
            norm.bias!.zero_();
        }
        return norm;
    }

    public static LayerNorm LayerNorm(long dim, double eps = 1e-5)
    {
        var norm = nn.LayerNorm(dim, eps);
        using (torch.no_grad())
        {
            norm.weight!.fill_(1.0);
            norm.bias!.zero_();
        }
        return norm;
    }

    /// <summary>The activation named by a diffusers <c>act_fn</c>; only SiLU is used by SD 1.x/2.x.</summary>
    public static Tensor Activation(string actFn, Tensor x) => actFn switch
    {
        "silu" or "swish" => nn.functional.silu(x),
        "gelu" => nn.functional.gelu(x),
        "relu" => nn.functional.relu(x),
        "mish" => nn.functional.mish(x),
        _ => throw new NotSupportedException($"activation '{actFn}' is not supported (expected silu, swish, gelu, relu or mish)"),
    };

    public static void CheckActivation(string actFn, string path, string key)
    {
        if (actFn is not ("silu" or "swish" or "gelu" or "relu" or "mish"))
            throw new NotSupportedException($"{path}: {key} '{actFn}' is not supported (expected silu, swish, gelu, relu or mish)");
    }
}
