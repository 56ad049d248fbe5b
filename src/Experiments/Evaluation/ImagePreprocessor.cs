using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.Evaluation;

/// <summary>How the centre-crop offset is rounded when the margin is odd.</summary>
public enum CropRounding
{
    /// <summary>transformers' <c>center_crop</c>: <c>(H − crop) // 2</c>.</summary>
    Floor,
    /// <summary>torchvision's <c>CenterCrop</c>: <c>int(round((H − crop) / 2))</c>, halves to even.</summary>
    RoundHalfEven,
}

/// <summary>
/// An evaluation model's image processor, as the reference processors run it on a decoded uint8 RGB image:
/// PIL bicubic resize (short side to <see cref="ShortSide"/>, long side truncated; or to exactly
/// <see cref="ExactSize"/>), centre crop, <c>float32(u8) / 255</c>, <c>(x − mean) / std</c> in float32.
/// No EXIF transpose: the reference processors read the stored pixel grid.
/// </summary>
public sealed record ImagePreprocessor(
    string Name,
    int? ShortSide,
    (int Height, int Width)? ExactSize,
    int? CropSize,
    CropRounding Rounding,
    float[] Mean,
    float[] Std)
{
    public static readonly float[] ClipMean = [0.48145466f, 0.4578275f, 0.40821073f];
    public static readonly float[] ClipStd = [0.26862954f, 0.26130258f, 0.27577711f];
    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    public static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>transformers' <c>CLIPImageProcessor</c> (openai/clip-vit-base-patch32): short side 224, crop 224 (floor).</summary>
    public static ImagePreprocessor Clip(int size = 224) =>
        new($"clip-shortest{size}-crop{size}-floor", size, null, size, CropRounding.Floor, ClipMean, ClipStd);

    /// <summary>The DINO evaluation transform: torchvision Resize(256, BICUBIC), CenterCrop(224) (round half even), ImageNet mean/std.</summary>
    public static ImagePreprocessor Dino(int resize = 256, int crop = 224) =>
        new($"dino-shortest{resize}-crop{crop}-round", resize, null, crop, CropRounding.RoundHalfEven, ImageNetMean, ImageNetStd);

    /// <summary>A stable description of every setting (part of a scorer's cache id).</summary>
    public string Describe() =>
        $"{Name}|short={ShortSide}|exact={ExactSize}|crop={CropSize}|{Rounding}|mean={string.Join(',', Mean)}|std={string.Join(',', Std)}";

    /// <summary>The resize target (height, width) of an image, as transformers / torchvision compute it.</summary>
    public (int Height, int Width) ResizeTarget(int height, int width)
    {
        if (ExactSize is { } exact) return exact;
        if (ShortSide is not int s) return (height, width);
        // Both libraries: short side = s, long side = int(s * long / short) (truncation).
        return height <= width ? (s, (int)(s * (double)width / height)) : ((int)(s * (double)height / width), s);
    }

    /// <summary>Resize and crop only: (3, H, W) uint8 planar bytes to the cropped uint8 bytes and their size.</summary>
    public (byte[] Pixels, int Height, int Width) ResizeAndCrop(byte[] planar, int height, int width)
    {
        var (th, tw) = ResizeTarget(height, width);
        var resized = PilResample.Resize(planar, 3, height, width, th, tw, PilResample.Filter.Bicubic);
        if (CropSize is not int crop) return (resized, th, tw);
        if (crop > th || crop > tw)
            throw new ArgumentException($"crop {crop} larger than the resized image {tw}x{th}");
        int top = Offset(th - crop), left = Offset(tw - crop);
        var cropped = new byte[3 * crop * crop];
        for (int c = 0; c < 3; c++)
        for (int y = 0; y < crop; y++)
            Buffer.BlockCopy(resized, (c * th + top + y) * tw + left, cropped, (c * crop + y) * crop, crop);
        return (cropped, crop, crop);
    }

    /// <summary>The full processor: (3, H, W) uint8 tensor to a normalised (3, h, w) float32 tensor.</summary>
    public Tensor Apply(Tensor rgbBytes)
    {
        if (rgbBytes.dim() != 3 || rgbBytes.shape[0] != 3 || rgbBytes.dtype != ScalarType.Byte)
            throw new ArgumentException($"expected a (3, H, W) uint8 image, got {rgbBytes.dtype} [{string.Join(", ", rgbBytes.shape)}]");
        int h = (int)rgbBytes.shape[1], w = (int)rgbBytes.shape[2];
        var (pixels, oh, ow) = ResizeAndCrop(rgbBytes.contiguous().data<byte>().ToArray(), h, w);
        return Normalize(pixels, oh, ow);
    }

    /// <summary><c>(float32(u8) / 255 − mean) / std</c> in float32, on planar bytes.</summary>
    public Tensor Normalize(byte[] planar, int height, int width)
    {
        using var _ = NewDisposeScope();
        var x = torch.tensor(planar, dtype: ScalarType.Byte).reshape(3, height, width).to(ScalarType.Float32).div(255f);
        var mean = torch.tensor(Mean).reshape(3, 1, 1);
        var std = torch.tensor(Std).reshape(3, 1, 1);
        return x.sub(mean).div(std).MoveToOuterDisposeScope();
    }

    private int Offset(int margin) => Rounding == CropRounding.Floor
        ? margin / 2
        : (int)Math.Round(margin / 2.0, MidpointRounding.ToEven);
}
