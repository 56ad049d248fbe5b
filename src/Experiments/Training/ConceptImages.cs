using Repro.Model.Pipeline;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.Training;

/// <summary>How training images are augmented.</summary>
public enum Augmentation
{
    /// <summary>The official DreamBoothDataset: rotation ±45° with expand (p 0.75), shorter side to R, flip p 0.25, random crop.</summary>
    Official,

    /// <summary>Shorter side to R and a centre crop; nothing random.</summary>
    None,
}

/// <summary>
/// The concept images of a folder (JPEG/PNG, EXIF orientation honoured), decoded once, and batches drawn from them with
/// the augmentation of papers.md §1.4. Every random choice (which image, rotation, angle, flip, crop) comes from the
/// caller's generator, so a restored generator state replays the same batches.
/// </summary>
public sealed class ConceptImages : IDisposable
{
    private static readonly string[] Extensions = [".jpg", ".jpeg", ".png"];
    private readonly List<Tensor> _images;

    private ConceptImages(string folder, List<string> files, List<Tensor> images, int resolution, Augmentation augmentation)
    {
        (Folder, Files, _images, Resolution, Augmentation) = (folder, files, images, resolution, augmentation);
    }

    public string Folder { get; }
    public IReadOnlyList<string> Files { get; }
    public int Resolution { get; }
    public Augmentation Augmentation { get; }

    /// <summary>Reads every JPEG/PNG of <paramref name="folder"/> (sorted by name); errors name the folder or the file.</summary>
    public static ConceptImages FromFolder(string folder, int resolution, Augmentation augmentation)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: concept image folder not found");
        var files = Directory.EnumerateFiles(folder)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new FileNotFoundException($"{folder}: no .jpg/.jpeg/.png images");
        var images = files.Select(f => ImageIO.LoadRgb(f, applyExifOrientation: true).DetachFromDisposeScope()).ToList();
        return new ConceptImages(folder, files, images, resolution, augmentation);
    }

    /// <summary>A batch (B, 3, R, R) in [−1, 1] on the CPU: images drawn uniformly (with replacement), each augmented.</summary>
    public Tensor Next(int batch, Generator generator)
    {
        using var _ = NewDisposeScope();
        var samples = new List<Tensor>();
        for (int i = 0; i < batch; i++)
        {
            // One draw of six uniforms per sample: image, rotate?, angle, flip?, crop x, crop y.
            var u = torch.rand(6, dtype: float64, generator: generator).data<double>().ToArray();
            var image = _images[Math.Min((int)(u[0] * _images.Count), _images.Count - 1)];
            samples.Add(Augment(image, u));
        }
        return (torch.stack(samples) * 2 - 1).MoveToOuterDisposeScope();
    }

    private Tensor Augment(Tensor image, double[] u)
    {
        if (Augmentation == Augmentation.None)
            return CenterCrop(ResizeShorterSide(image, Resolution), Resolution);
        var x = u[1] < 0.75 ? RotateExpand(image, -45 + 90 * u[2]) : image;
        x = ResizeShorterSide(x, Resolution);
        if (u[3] < 0.25) x = x.flip(2);
        long top = (long)Math.Floor(u[5] * (x.shape[1] - Resolution + 1));
        long left = (long)Math.Floor(u[4] * (x.shape[2] - Resolution + 1));
        return x[.., TensorIndex.Slice(top, top + Resolution), TensorIndex.Slice(left, left + Resolution)];
    }

    /// <summary>Rotation by <paramref name="degrees"/> about the centre on a canvas grown to hold the whole image; corners black (PIL expand=True, nearest).</summary>
    public static Tensor RotateExpand(Tensor image, double degrees)
    {
        using var _ = NewDisposeScope();
        double a = degrees * Math.PI / 180, c = Math.Cos(a), s = Math.Sin(a);
        long h = image.shape[1], w = image.shape[2];
        long newW = (long)Math.Ceiling(Math.Abs(w * c) + Math.Abs(h * s) - 1e-6);
        long newH = (long)Math.Ceiling(Math.Abs(w * s) + Math.Abs(h * c) - 1e-6);
        // Output pixel (u, v) (normalised to the new canvas) samples the input at R(−a)·(u·W'/2, v·H'/2), renormalised.
        var theta = torch.tensor(new float[] { (float)(c * newW / w), (float)(s * newH / w), 0f, (float)(-s * newW / h), (float)(c * newH / h), 0f }).reshape(1, 2, 3);
        var grid = nn.functional.affine_grid(theta, [1, image.shape[0], newH, newW], align_corners: false);
        var rotated = nn.functional.grid_sample(image.unsqueeze(0), grid, mode: GridSampleMode.Nearest, padding_mode: GridSamplePaddingMode.Zeros, align_corners: false);
        return rotated.squeeze(0).MoveToOuterDisposeScope();
    }

    /// <summary>Bilinear resize (antialiased, as PIL) so that the shorter side equals <paramref name="size"/>.</summary>
    public static Tensor ResizeShorterSide(Tensor image, int size)
    {
        long h = image.shape[1], w = image.shape[2];
        if (Math.Min(h, w) == size) return image.alias();
        long newH = h <= w ? size : (long)(size * (double)h / w);
        long newW = h <= w ? (long)(size * (double)w / h) : size;
        using var batch = image.unsqueeze(0);
        using var resized = nn.functional.interpolate(batch, [newH, newW], mode: InterpolationMode.Bilinear, align_corners: false, antialias: true);
        return resized.squeeze(0);
    }

    private static Tensor CenterCrop(Tensor image, int size)
    {
        long top = (image.shape[1] - size) / 2, left = (image.shape[2] - size) / 2;
        return image[.., TensorIndex.Slice(top, top + size), TensorIndex.Slice(left, left + size)];
    }

    public void Dispose()
    {
        foreach (var image in _images) image.Dispose();
    }
}
