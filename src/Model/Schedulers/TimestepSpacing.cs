namespace Repro.Model.Schedulers;

/// <summary>
/// The 'leading' / 'linspace' / 'trailing' timestep spacings of diffusers' <c>set_timesteps</c>, with numpy's
/// linspace, arange and round (half to even) reproduced in double precision.
/// </summary>
public static class TimestepSpacing
{
    /// <summary>DDPM/DDIM: <paramref name="steps"/> integer timesteps, descending.</summary>
    public static long[] Discrete(string spacing, int numTrainTimesteps, int steps, int stepsOffset)
    {
        CheckSteps(numTrainTimesteps, steps);
        return spacing switch
        {
            // "linspace" and "leading" correspond to annotation of Table 2. of https://arxiv.org/abs/2305.08891
            "linspace" => Reverse(Linspace(0, numTrainTimesteps - 1, steps).Select(RoundToLong)),
            // creates integer timesteps by multiplying by ratio; casting to int to avoid issues when num_inference_step is power of 3
            "leading" => Reverse(Enumerable.Range(0, steps).Select(i => (long)i * (numTrainTimesteps / steps) + stepsOffset)),
            "trailing" => Arange(numTrainTimesteps, 0, -(double)numTrainTimesteps / steps).Select(v => RoundToLong(v) - 1).ToArray(),
            _ => throw new ArgumentException($"timestep_spacing '{spacing}' is not one of leading, linspace, trailing", nameof(spacing)),
        };
    }

    /// <summary>
    /// DPM-Solver multistep: like <see cref="Discrete"/> but from <paramref name="lastTimestep"/> (lambda_min_clipped)
    /// and with steps + 1 points of which the last is dropped.
    /// </summary>
    public static long[] DpmSolver(string spacing, int numTrainTimesteps, int lastTimestep, int steps, int stepsOffset)
    {
        CheckSteps(numTrainTimesteps, steps);
        return spacing switch
        {
            "linspace" => Reverse(Linspace(0, lastTimestep - 1, steps + 1).Select(RoundToLong)).SkipLast(1).ToArray(),
            "leading" => Reverse(Enumerable.Range(0, steps + 1).Select(i => (long)i * (lastTimestep / (steps + 1)))).SkipLast(1).Select(t => t + stepsOffset).ToArray(),
            "trailing" => Arange(lastTimestep, 0, -(double)numTrainTimesteps / steps).Select(v => RoundToLong(v) - 1).ToArray(),
            _ => throw new ArgumentException($"timestep_spacing '{spacing}' is not one of leading, linspace, trailing", nameof(spacing)),
        };
    }

    /// <summary>Euler discrete: float32 timesteps (fractional for 'linspace').</summary>
    public static float[] Float(string spacing, int numTrainTimesteps, int steps, int stepsOffset)
    {
        CheckSteps(numTrainTimesteps, steps);
        return spacing switch
        {
            "linspace" => Linspace(0, numTrainTimesteps - 1, steps).Select(v => (float)v).Reverse().ToArray(),
            "leading" => Reverse(Enumerable.Range(0, steps).Select(i => (long)i * (numTrainTimesteps / steps))).Select(t => (float)t + stepsOffset).ToArray(),
            "trailing" => Arange(numTrainTimesteps, 0, -(double)numTrainTimesteps / steps).Select(v => (float)Math.Round(v) - 1f).ToArray(),
            _ => throw new ArgumentException($"timestep_spacing '{spacing}' is not one of leading, linspace, trailing", nameof(spacing)),
        };
    }

    /// <summary>numpy.linspace(start, stop, num) (endpoint included): start + i·step, last = stop.</summary>
    public static double[] Linspace(double start, double stop, int num)
    {
        var y = new double[num];
        if (num == 0) return y;
        if (num == 1) { y[0] = start; return y; }
        double step = (stop - start) / (num - 1);
        for (int i = 0; i < num; i++) y[i] = i * step + start;
        y[^1] = stop;
        return y;
    }

    /// <summary>numpy.arange(start, stop, step) for a float step: start + i·step, ceil((stop − start)/step) values.</summary>
    public static double[] Arange(double start, double stop, double step)
    {
        int n = Math.Max(0, (int)Math.Ceiling((stop - start) / step));
        var y = new double[n];
        for (int i = 0; i < n; i++) y[i] = start + i * step;
        return y;
    }

    /// <summary>numpy.interp(x, arange(len(fp)), fp) in double: linear interpolation on integer abscissae.</summary>
    public static double Interp(double x, IReadOnlyList<float> fp)
    {
        if (x <= 0) return fp[0];
        if (x >= fp.Count - 1) return fp[^1];
        int j = (int)Math.Floor(x);
        if (j == x) return fp[j];
        double slope = ((double)fp[j + 1] - fp[j]) / 1.0;
        return slope * (x - j) + fp[j];
    }

    private static long RoundToLong(double v) => (long)Math.Round(v, MidpointRounding.ToEven);

    private static long[] Reverse(IEnumerable<long> values) => values.Reverse().ToArray();

    private static void CheckSteps(int numTrainTimesteps, int steps)
    {
        if (steps <= 0 || steps > numTrainTimesteps)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"num_inference_steps must be in [1, num_train_timesteps = {numTrainTimesteps}]");
    }
}
