namespace Repro.Experiments.Evaluation;

/// <summary>
/// A port of Pillow's <c>ImagingResample</c> (libImaging/Resample.c, Pillow 9.x) for 8-bit planar images:
/// separable, horizontal pass first, the kernel's support scaled by the downscale factor (antialiasing),
/// coefficients normalised to sum 1 then converted to fixed point with 22 fractional bits, each pass rounded
/// (+0.5 in fixed point) and clipped to uint8. With the same decoded pixels the result is PIL's, bit for bit.
/// </summary>
public static class PilResample
{
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>PIL's resampling filters: the kernel and its support (in input pixels, before scaling).</summary>
    public enum Filter { Bilinear, Bicubic }

    /// <summary>Resizes a (channels, height, width) uint8 image stored planar (channel-major) to (outH, outW).</summary>
    public static byte[] Resize(byte[] planar, int channels, int height, int width, int outH, int outW, Filter filter)
    {
        if (planar.Length != channels * height * width)
            throw new ArgumentException($"image buffer has {planar.Length} bytes, expected {channels}x{height}x{width}");
        if (outH <= 0 || outW <= 0) throw new ArgumentException($"resize target {outW}x{outH} must be positive");
        if (outH == height && outW == width) return (byte[])planar.Clone();
        var (kernel, support) = Kernel(filter);
        var horizontal = Coefficients.Compute(width, outW, kernel, support);
        var vertical = Coefficients.Compute(height, outH, kernel, support);
        bool needHorizontal = outW != width, needVertical = outH != height;

        // Like PIL: the horizontal pass only computes the rows the vertical pass reads.
        int firstRow = needVertical ? vertical.Bounds[0] : 0;
        int lastRow = needVertical ? vertical.Bounds[2 * outH - 2] + vertical.Bounds[2 * outH - 1] : height;
        byte[] source = planar;
        int rows = height;
        if (needHorizontal)
        {
            rows = lastRow - firstRow;
            source = Horizontal(planar, channels, height, width, firstRow, rows, outW, horizontal);
        }
        else firstRow = 0;
        if (!needVertical) return source;
        return Vertical(source, channels, rows, outW, firstRow, outH, vertical);
    }

    private static byte[] Horizontal(byte[] input, int channels, int height, int width, int firstRow, int rows, int outW, Coefficients c)
    {
        var output = new byte[channels * rows * outW];
        for (int ch = 0; ch < channels; ch++)
        for (int y = 0; y < rows; y++)
        {
            var row = new ReadOnlySpan<byte>(input, (ch * height + y + firstRow) * width, width);
            var outRow = new Span<byte>(output, (ch * rows + y) * outW, outW);
            for (int x = 0; x < outRow.Length; x++)
            {
                int min = c.Bounds[2 * x], count = c.Bounds[2 * x + 1];
                var pixels = row.Slice(min, count);
                var weights = new ReadOnlySpan<int>(c.Fixed, x * c.Size, count);
                int sum = 1 << (PrecisionBits - 1);
                for (int i = 0; i < pixels.Length; i++) sum += pixels[i] * weights[i];
                outRow[x] = Clip8(sum);
            }
        }
        return output;
    }

    /// <summary>
    /// The vertical pass, accumulated row by row (streaming through memory); integer sums are order-independent, so
    /// the result equals PIL's column-wise loop.
    /// </summary>
    private static byte[] Vertical(byte[] input, int channels, int rows, int width, int rowOffset, int outH, Coefficients c)
    {
        var output = new byte[channels * outH * width];
        var sums = new int[width];
        for (int ch = 0; ch < channels; ch++)
        for (int y = 0; y < outH; y++)
        {
            int min = c.Bounds[2 * y] - rowOffset, count = c.Bounds[2 * y + 1], k = y * c.Size;
            Array.Fill(sums, 1 << (PrecisionBits - 1));
            for (int i = 0; i < count; i++)
            {
                int weight = c.Fixed[k + i];
                var row = new ReadOnlySpan<byte>(input, (ch * rows + min + i) * width, width);
                for (int x = 0; x < row.Length; x++) sums[x] += row[x] * weight;
            }
            var outRow = new Span<byte>(output, (ch * outH + y) * width, width);
            for (int x = 0; x < outRow.Length; x++) outRow[x] = Clip8(sums[x]);
        }
        return output;
    }

    /// <summary>PIL's <c>clip8</c>: arithmetic shift out the fraction, clamp to 0..255.</summary>
    private static byte Clip8(int value)
    {
        int v = value >> PrecisionBits;
        return (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
    }

    private static (Func<double, double> Kernel, double Support) Kernel(Filter filter) => filter switch
    {
        Filter.Bicubic => (Bicubic, 2.0),
        Filter.Bilinear => (Bilinear, 1.0),
        _ => throw new ArgumentException($"unknown filter {filter}"),
    };

    /// <summary>Cubic convolution with a = −0.5 (PIL's <c>bicubic_filter</c>).</summary>
    private static double Bicubic(double x)
    {
        const double a = -0.5;
        if (x < 0.0) x = -x;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    private static double Bilinear(double x)
    {
        if (x < 0.0) x = -x;
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    /// <summary>PIL's <c>precompute_coeffs</c> + <c>normalize_coeffs_8bpc</c> for one axis (box = the whole image).</summary>
    private sealed class Coefficients
    {
        public required int Size { get; init; }
        public required int[] Bounds { get; init; }
        public required int[] Fixed { get; init; }

        public static Coefficients Compute(int inSize, int outSize, Func<double, double> kernel, double baseSupport)
        {
            double scale = (double)inSize / outSize;
            double filterScale = Math.Max(scale, 1.0);
            double support = baseSupport * filterScale;
            int size = (int)Math.Ceiling(support) * 2 + 1;
            var bounds = new int[outSize * 2];
            var fixedPoint = new int[outSize * size];
            var weights = new double[size];
            for (int xx = 0; xx < outSize; xx++)
            {
                double center = (xx + 0.5) * scale;
                double ss = 1.0 / filterScale, total = 0.0;
                int min = (int)(center - support + 0.5);
                if (min < 0) min = 0;
                int max = (int)(center + support + 0.5);
                if (max > inSize) max = inSize;
                max -= min;
                for (int x = 0; x < max; x++)
                {
                    double w = kernel((x + min - center + 0.5) * ss);
                    weights[x] = w;
                    total += w;
                }
                for (int x = 0; x < max; x++)
                {
                    double w = total != 0.0 ? weights[x] / total : weights[x];
                    fixedPoint[xx * size + x] = w < 0 ? (int)(-0.5 + w * (1 << PrecisionBits)) : (int)(0.5 + w * (1 << PrecisionBits));
                }
                bounds[2 * xx] = min;
                bounds[2 * xx + 1] = max;
            }
            return new Coefficients { Size = size, Bounds = bounds, Fixed = fixedPoint };
        }
    }
}
