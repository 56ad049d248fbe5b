using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Schedulers;

/// <summary>
/// The immutable training noise schedule shared by every scheduler: betas, alphas = 1 − betas and
/// alphas_cumprod = cumprod(alphas), all float32 and computed exactly as diffusers does (betas from a float32
/// <c>torch.linspace</c>; <c>torch.cumprod</c>, which accumulates in double and rounds each entry to float32).
/// </summary>
public sealed class NoiseSchedule
{
    private readonly float[] _betas;
    private readonly float[] _alphas;
    private readonly float[] _alphasCumprod;

    private NoiseSchedule(float[] betas, float[] alphas, float[] alphasCumprod)
    {
        _betas = betas;
        _alphas = alphas;
        _alphasCumprod = alphasCumprod;
    }

    public int NumTrainTimesteps => _betas.Length;
    public IReadOnlyList<float> Betas => _betas;
    public IReadOnlyList<float> Alphas => _alphas;
    public IReadOnlyList<float> AlphasCumprod => _alphasCumprod;

    /// <summary>alphas_cumprod[t] with a check that t is a training timestep.</summary>
    public float AlphaCumprod(long t)
    {
        if (t < 0 || t >= _alphasCumprod.Length) throw new ArgumentOutOfRangeException(nameof(t), t, $"timestep outside [0, {_alphasCumprod.Length})");
        return _alphasCumprod[t];
    }

    /// <summary>The schedule of a config (betas from trained_betas or beta_schedule).</summary>
    public static NoiseSchedule FromConfig(SchedulerConfig config, string path)
    {
        SchedulerConfig.Require(!config.RescaleBetasZeroSnr, path, "NoiseSchedule", "rescale_betas_zero_snr", true);
        int n = config.NumTrainTimesteps;
        float[] betas = config.TrainedBetas is { } trained
            ? trained.Select(b => (float)b).ToArray()
            : config.BetaSchedule switch
            {
                "linear" => TorchLinspaceFloat32(config.BetaStart, config.BetaEnd, n),
                // this schedule is very specific to the latent diffusion model.
                "scaled_linear" => TorchLinspaceFloat32(Math.Sqrt(config.BetaStart), Math.Sqrt(config.BetaEnd), n).Select(b => b * b).ToArray(),
                // Glide cosine schedule
                "squaredcos_cap_v2" => BetasForAlphaBar(n).Select(b => (float)b).ToArray(),
                _ => throw new SchedulerConfigException(path, "beta_schedule", $"'{config.BetaSchedule}' is not supported"),
            };
        var alphas = betas.Select(b => 1f - b).ToArray();
        // torch.cumprod on CPU accumulates float32 in double and rounds each prefix product to float32.
        var alphasCumprod = new float[n];
        double cum = 1;
        for (int i = 0; i < n; i++) alphasCumprod[i] = (float)(cum *= alphas[i]);
        return new NoiseSchedule(betas, alphas, alphasCumprod);
    }

    /// <summary>
    /// <c>torch.linspace(start, end, steps, dtype=torch.float32)</c> bit for bit as the reference CPU build computes it
    /// (torch 1.13, AVX2: float32 step; blocks of 8 from base = fma(step, idx, start), or fma(−step, steps−idx−1, end)
    /// in the second half, then base + k·step; a scalar tail). Newer libtorch builds round some betas differently
    /// (up to 1 ulp), which is why the schedule is not computed with TorchSharp's linspace.
    /// </summary>
    public static float[] TorchLinspaceFloat32(double start, double end, int steps)
    {
        var r = new float[steps];
        if (steps == 0) return r;
        float s = (float)start, e = (float)end;
        if (steps == 1) { r[0] = s; return r; }
        float step = (e - s) / (steps - 1);
        int halfway = steps / 2;
        float At(int idx) => idx < halfway ? MathF.FusedMultiplyAdd(step, idx, s) : MathF.FusedMultiplyAdd(-step, steps - idx - 1, e);
        const int vec = 8;
        int i = 0;
        for (; i <= steps - 2 * vec; i += 2 * vec) // the vectorised loop handles two vectors per iteration
        {
            for (int v = i; v < i + 2 * vec; v += vec)
            {
                float bse = At(v);
                for (int k = 0; k < vec; k++) r[v + k] = bse + k * step;
            }
        }
        for (; i < steps; i++) r[i] = At(i);
        return r;
    }

    /// <summary>diffusers' <c>betas_for_alpha_bar</c> with the cosine transform, max_beta 0.999 (in double, as Python floats).</summary>
    private static double[] BetasForAlphaBar(int n, double maxBeta = 0.999)
    {
        static double AlphaBar(double t) { double c = Math.Cos((t + 0.008) / 1.008 * Math.PI / 2); return c * c; }
        var betas = new double[n];
        for (int i = 0; i < n; i++)
        {
            double t1 = (double)i / n, t2 = (double)(i + 1) / n;
            betas[i] = Math.Min(1 - AlphaBar(t2) / AlphaBar(t1), maxBeta);
        }
        return betas;
    }

    /// <summary>alphas_cumprod as a float32 CPU tensor (a fresh copy).</summary>
    public Tensor AlphasCumprodTensor() => torch.tensor(_alphasCumprod, ScalarType.Float32);

    /// <summary>
    /// Forward diffusion q(x_t | x_0): sqrt(ᾱ_t)·x0 + sqrt(1 − ᾱ_t)·noise, with ᾱ gathered per batch element and cast to the
    /// sample's dtype first (diffusers' <c>add_noise</c>).
    /// </summary>
    public Tensor AddNoise(Tensor originalSamples, Tensor noise, Tensor timesteps)
    {
        using var _ = torch.NewDisposeScope();
        var (sqrtAlphaProd, sqrtOneMinusAlphaProd) = Coefficients(originalSamples, timesteps);
        var noisy = sqrtAlphaProd * originalSamples + sqrtOneMinusAlphaProd * noise;
        return noisy.MoveToOuterDisposeScope();
    }

    /// <summary>The v-prediction target: sqrt(ᾱ_t)·noise − sqrt(1 − ᾱ_t)·sample (diffusers' <c>get_velocity</c>).</summary>
    public Tensor GetVelocity(Tensor sample, Tensor noise, Tensor timesteps)
    {
        using var _ = torch.NewDisposeScope();
        var (sqrtAlphaProd, sqrtOneMinusAlphaProd) = Coefficients(sample, timesteps);
        var velocity = sqrtAlphaProd * noise - sqrtOneMinusAlphaProd * sample;
        return velocity.MoveToOuterDisposeScope();
    }

    private (Tensor SqrtAlphaProd, Tensor SqrtOneMinusAlphaProd) Coefficients(Tensor sample, Tensor timesteps)
    {
        if (timesteps.dtype != ScalarType.Int64) throw new ArgumentException($"timesteps must be int64, got {timesteps.dtype}", nameof(timesteps));
        var t = timesteps.to(sample.device).flatten();
        if (t.numel() > 0)
        {
            long min = t.min().item<long>(), max = t.max().item<long>();
            if (min < 0 || max >= NumTrainTimesteps) throw new ArgumentOutOfRangeException(nameof(timesteps), $"timesteps in [{min}, {max}] outside [0, {NumTrainTimesteps})");
        }
        var alphasCumprod = AlphasCumprodTensor().to(sample.device).to(sample.dtype);
        var acp = alphasCumprod.index_select(0, t);
        var sqrtAlphaProd = acp.sqrt();
        var sqrtOneMinusAlphaProd = (1 - acp).sqrt();
        while (sqrtAlphaProd.dim() < sample.dim())
        {
            sqrtAlphaProd = sqrtAlphaProd.unsqueeze(-1);
            sqrtOneMinusAlphaProd = sqrtOneMinusAlphaProd.unsqueeze(-1);
        }
        return (sqrtAlphaProd, sqrtOneMinusAlphaProd);
    }
}
