using Repro.Model.Pipeline;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.Evaluation;

/// <summary>
/// CoRe's foreground masking (following JeDi): pixels outside the mask are replaced by a fill colour before the
/// processor runs. A mask is a PNG (or any image <see cref="ImageIO"/> reads) of the image's size, white =
/// foreground: a pixel is foreground when the mean of its RGB values is at least 128.
/// </summary>
public sealed record ForegroundMask(byte FillRed = 0, byte FillGreen = 0, byte FillBlue = 0)
{
    public string Describe() => $"mask-fill={FillRed},{FillGreen},{FillBlue}|threshold=128";

    /// <summary>Reads <paramref name="maskPath"/> and applies it to <paramref name="rgb"/> (3, H, W) uint8 read from <paramref name="imagePath"/>.</summary>
    public Tensor Apply(Tensor rgb, string imagePath, string maskPath, bool applyExifOrientation)
    {
        if (!File.Exists(maskPath))
            throw new FileNotFoundException($"{maskPath}: foreground mask for {imagePath} not found (masking is on; every image needs a mask)", maskPath);
        using var _ = NewDisposeScope();
        var mask = ImageIO.LoadRgbBytes(maskPath, applyExifOrientation);
        if (mask.shape[1] != rgb.shape[1] || mask.shape[2] != rgb.shape[2])
            throw new InvalidDataException(
                $"{maskPath}: mask is {mask.shape[2]}x{mask.shape[1]} but its image {imagePath} is {rgb.shape[2]}x{rgb.shape[1]}");
        var foreground = mask.to(ScalarType.Int32).sum(0, keepdim: true).ge(3 * 128);
        var fill = torch.tensor(new[] { FillRed, FillGreen, FillBlue }, dtype: ScalarType.Byte).reshape(3, 1, 1).expand_as(rgb);
        return torch.where(foreground, rgb, fill).contiguous().MoveToOuterDisposeScope();
    }
}
