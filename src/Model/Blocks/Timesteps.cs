using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Blocks;

/// <summary>
/// diffusers <c>Timesteps</c> / <c>get_timestep_embedding</c>: sinusoidal features of the timesteps,
/// <c>exp(-ln(max_period) * i / (half - freq_shift))</c>, [sin | cos] (or [cos | sin] with flip_sin_to_cos).
/// Has no weights.
/// </summary>
public sealed class Timesteps
{
    private readonly int _dim;
    private readonly bool _flipSinToCos;
    private readonly double _freqShift;
    private readonly double _maxPeriod;

    public Timesteps(int dim, bool flipSinToCos, double freqShift, double maxPeriod = 10000)
    {
        _dim = dim;
        _flipSinToCos = flipSinToCos;
        _freqShift = freqShift;
        _maxPeriod = maxPeriod;
    }

    /// <param name="timesteps">1-D (batch) tensor of timesteps, any numeric dtype.</param>
    public Tensor Forward(Tensor timesteps)
    {
        if (timesteps.dim() != 1) throw new ArgumentException($"Timesteps: expected a 1-D tensor, got shape [{string.Join(", ", timesteps.shape)}]");
        using var _ = torch.NewDisposeScope();
        int half = _dim / 2;
        var exponent = torch.arange(0, half, dtype: ScalarType.Float32, device: timesteps.device) * (-Math.Log(_maxPeriod));
        exponent = exponent / (half - _freqShift);
        var freqs = torch.exp(exponent);
        var args = timesteps[.., TensorIndex.None].to(ScalarType.Float32) * freqs[TensorIndex.None, ..];
        var emb = torch.cat([torch.sin(args), torch.cos(args)], dim: -1);
        if (_flipSinToCos) emb = torch.cat([emb[.., half..], emb[.., ..half]], dim: -1);
        if (_dim % 2 == 1) emb = nn.functional.pad(emb, [0, 1, 0, 0]);
        return emb.MoveToOuterDisposeScope();
    }
}
