using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Clip;

/// <summary>
/// The <c>hidden_act</c> values of transformers' <c>ACT2FN</c> that CLIP and ViT checkpoints use:
/// <c>gelu</c> (exact erf), <c>quick_gelu</c> (x·σ(1.702x), OpenAI CLIP), and the tanh approximation under its
/// two names <c>gelu_new</c> / <c>gelu_pytorch_tanh</c>.
/// </summary>
public static class HiddenActivation
{
    public static IReadOnlyList<string> Names { get; } = ["gelu", "quick_gelu", "gelu_new", "gelu_pytorch_tanh"];

    public static bool IsKnown(string name) => Names.Contains(name);

    /// <summary>The activation function for <paramref name="name"/>; throws naming the config value otherwise.</summary>
    public static Func<Tensor, Tensor> Get(string name) => name switch
    {
        "gelu" => x => nn.functional.gelu(x),
        "quick_gelu" => x =>
        {
            using var s = torch.sigmoid(x * 1.702);
            return x * s;
        },
        "gelu_new" or "gelu_pytorch_tanh" => GeluTanh,
        _ => throw new ArgumentException($"hidden_act '{name}' is not supported (expected one of {string.Join(", ", Names)})"),
    };

    private static Tensor GeluTanh(Tensor x)
    {
        using var _ = NewDisposeScope();
        var inner = (x + x.pow(3) * 0.044715) * Math.Sqrt(2.0 / Math.PI);
        return (x * 0.5 * (inner.tanh() + 1.0)).MoveToOuterDisposeScope();
    }
}
