using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Experiments.Training;

/// <summary>
/// torch.optim.AdamW (Loshchilov &amp; Hutter 2019) over named parameters, written out so that its state (m, v, step)
/// is plain named tensors for checkpoints: p ← p·(1 − lr·λ); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
/// p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε). The learning rate is passed to each step (a pure function of the step).
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly IReadOnlyList<(string Name, Parameter Parameter)> _parameters;
    private readonly Dictionary<string, Tensor> _m = [];
    private readonly Dictionary<string, Tensor> _v = [];

    public AdamW(IReadOnlyList<(string Name, Parameter Parameter)> parameters, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2)
    {
        if (parameters.Count == 0) throw new ArgumentException("AdamW needs at least one trainable parameter.", nameof(parameters));
        (_parameters, Beta1, Beta2, Eps, WeightDecay) = (parameters, beta1, beta2, eps, weightDecay);
        foreach (var (name, p) in parameters)
        {
            _m[name] = torch.zeros_like(p).DetachFromDisposeScope();
            _v[name] = torch.zeros_like(p).DetachFromDisposeScope();
        }
    }

    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public double WeightDecay { get; }

    /// <summary>Optimizer steps taken (t).</summary>
    public int Steps { get; private set; }

    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters => _parameters;

    /// <summary>One update with learning rate <paramref name="lr"/>; parameters without a gradient are left alone.</summary>
    public void Step(double lr)
    {
        Steps++;
        double bias1 = 1 - Math.Pow(Beta1, Steps), bias2 = Math.Sqrt(1 - Math.Pow(Beta2, Steps));
        using var _ = torch.no_grad();
        using var scope = NewDisposeScope();
        foreach (var (name, p) in _parameters)
        {
            var g = p.grad;
            if (g is null) continue;
            p.mul_(1 - lr * WeightDecay);
            _m[name].mul_(Beta1).add_(g, alpha: 1 - Beta1);
            _v[name].mul_(Beta2).addcmul_(g, g, value: 1 - Beta2);
            var denom = (_v[name].sqrt() / bias2).add_(Eps);
            p.addcdiv_(_m[name], denom, value: -lr / bias1);
        }
    }

    /// <summary>Zeroes every gradient (kept allocated, so memory stays flat).</summary>
    public void ZeroGrad()
    {
        using var scope = NewDisposeScope();
        foreach (var (_, p) in _parameters) p.grad?.zero_();
    }

    /// <summary>Clips the global L2 norm of the gradients to <paramref name="maxNorm"/>; returns the norm before clipping.</summary>
    public double ClipGradNorm(double maxNorm)
    {
        using var scope = NewDisposeScope();
        var grads = _parameters.Select(p => p.Parameter.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return 0;
        var norm = torch.stack(grads.Select(g => g.norm()).ToList()).norm().item<float>();
        double scale = maxNorm / (norm + 1e-6);
        if (scale < 1)
            using (torch.no_grad())
                foreach (var g in grads) g.mul_(scale);
        return norm;
    }

    /// <summary>m and v of every parameter as "adam.m.NAME" / "adam.v.NAME" (live tensors, not copies).</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> State() =>
        _parameters.SelectMany(p => new[]
        {
            KeyValuePair.Create("adam.m." + p.Name, _m[p.Name]),
            KeyValuePair.Create("adam.v." + p.Name, _v[p.Name]),
        });

    /// <summary>Restores m, v (from <see cref="State"/>'s keys) and the step count; a missing key is an error naming it.</summary>
    public void Restore(IReadOnlyDictionary<string, Tensor> state, int steps, string source)
    {
        using var _ = torch.no_grad();
        foreach (var (name, _) in _parameters)
        foreach (var (key, target) in new[] { ("adam.m." + name, _m[name]), ("adam.v." + name, _v[name]) })
        {
            if (!state.TryGetValue(key, out var value)) throw new InvalidDataException($"{source}: optimizer state '{key}' is missing");
            target.copy_(value);
        }
        Steps = steps;
    }

    public void Dispose()
    {
        foreach (var t in _m.Values.Concat(_v.Values)) t.Dispose();
    }
}
