using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.MiniWorld.Pretraining;

/// <summary>The measures of results/miniworld/quality.csv: PSNR and retrieval (argmax over candidate captions) accuracy.</summary>
public static class QualityMetrics
{
    /// <summary>
    /// Per-image PSNR in dB of (B, C, H, W) images in [-1, 1] (both clamped, mapped to [0, 1]): 10·log10(1 / MSE);
    /// an exact reconstruction gives +∞.
    /// </summary>
    public static double[] Psnr(Tensor prediction, Tensor target)
    {
        using var _ = torch.NewDisposeScope();
        var p = prediction.clamp(-1, 1).add(1).div(2).to(ScalarType.Float64);
        var t = target.clamp(-1, 1).add(1).div(2).to(ScalarType.Float64);
        var mse = (p - t).pow(2).flatten(1).mean([1L]);
        return mse.data<double>().ToArray().Select(m => 10 * Math.Log10(1.0 / m)).ToArray();
    }

    /// <summary>
    /// Retrieval accuracy: row i of <paramref name="similarity"/> scores example i against its candidates;
    /// it is correct when the highest score is at <paramref name="truth"/>[i] (ties count as wrong).
    /// </summary>
    public static double RetrievalAccuracy(float[][] similarity, int[] truth)
    {
        if (similarity.Length != truth.Length) throw new ArgumentException("one true index per row");
        if (similarity.Length == 0) return double.NaN;
        int correct = 0;
        for (int i = 0; i < similarity.Length; i++)
        {
            var row = similarity[i];
            float best = row[truth[i]];
            bool wins = true;
            for (int j = 0; j < row.Length; j++)
                if (j != truth[i] && row[j] >= best) { wins = false; break; }
            if (wins) correct++;
        }
        return (double)correct / similarity.Length;
    }
}
