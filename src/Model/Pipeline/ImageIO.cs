using Repro.Model.IO;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Pipeline;

/// <summary>Converts between image tensors and PNG files through SkiaSharp.</summary>
public static class ImageIO
{
    /// <summary>
    /// (3, H, W) or (B, 3, H, W) in [-1, 1] (the VAE's decode range) to 8-bit RGB, rounded as diffusers'
    /// <c>numpy_to_pil</c> does: <c>(x / 2 + 0.5).clamp(0, 1) * 255</c>, then <c>round</c>.
    /// </summary>
    public static byte[,,] ToRgbBytes(Tensor image)
    {
        using var _ = torch.NewDisposeScope();
        var x = image.dim() == 4 ? image[0] : image;
        if (x.dim() != 3 || x.shape[0] != 3) throw new ArgumentException($"expected a (3, H, W) image tensor, got [{string.Join(", ", image.shape)}]");
        var pixels = (x.detach().to(float32).cpu() / 2 + 0.5).clamp(0, 1).mul(255).round().to(ScalarType.Byte).permute(1, 2, 0).contiguous();
        int h = (int)pixels.shape[0], w = (int)pixels.shape[1];
        var data = pixels.data<byte>().ToArray();
        var result = new byte[h, w, 3];
        Buffer.BlockCopy(data, 0, result, 0, data.Length);
        return result;
    }

    /// <summary>Writes a (3, H, W) image in [-1, 1] as an RGB PNG, atomically.</summary>
    public static void SavePng(Tensor image, string path)
    {
        var rgb = ToRgbBytes(image);
        int h = rgb.GetLength(0), w = rgb.GetLength(1);
        using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            bitmap.SetPixel(x, y, new SKColor(rgb[y, x, 0], rgb[y, x, 1], rgb[y, x, 2]));
        using var encoded = bitmap.Encode(SKEncodedImageFormat.Png, 100)
                            ?? throw new IOException($"{path}: PNG encoding failed");
        AtomicFile.WriteStream(path, encoded.SaveTo);
    }

    /// <summary>
    /// Reads a PNG or JPEG as (3, H, W) uint8 RGB, as PIL's <c>Image.open(f).convert("RGB")</c>: alpha is dropped
    /// (not composited), grayscale is replicated. <paramref name="applyExifOrientation"/> does what
    /// <c>ImageOps.exif_transpose</c> does (the training data path); the evaluation processors do not apply it.
    /// </summary>
    public static Tensor LoadRgbBytes(string path, bool applyExifOrientation)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: image not found", path);
        using var codec = SKCodec.Create(path, out var status)
                          ?? throw new InvalidDataException($"{path}: not a readable image ({status}); PNG or JPEG expected");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result == SKCodecResult.IncompleteInput) throw new InvalidDataException($"{path}: image data is truncated");
        if (result != SKCodecResult.Success) throw new InvalidDataException($"{path}: cannot decode the image ({result})");
        var bytes = bitmap.GetPixelSpan().ToArray();
        using var scope = torch.NewDisposeScope();
        var rgb = torch.tensor(bytes, dtype: ScalarType.Byte).reshape(info.Height, info.Width, 4)[.., .., ..3].permute(2, 0, 1);
        if (applyExifOrientation) rgb = Orient(rgb, codec.EncodedOrigin);
        return rgb.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>As <see cref="LoadRgbBytes"/>, scaled to float32 in [0, 1] (torchvision's ToTensor).</summary>
    public static Tensor LoadRgb(string path, bool applyExifOrientation = true)
    {
        using var bytes = LoadRgbBytes(path, applyExifOrientation);
        return bytes.to(float32).div(255);
    }

    /// <summary>Applies an EXIF orientation to a (C, H, W) image so it displays upright.</summary>
    public static Tensor Orient(Tensor image, SKEncodedOrigin origin) => origin switch
    {
        SKEncodedOrigin.TopRight => image.flip(2),
        SKEncodedOrigin.BottomRight => image.flip(1, 2),
        SKEncodedOrigin.BottomLeft => image.flip(1),
        SKEncodedOrigin.LeftTop => image.transpose(1, 2),
        SKEncodedOrigin.RightTop => image.transpose(1, 2).flip(2),
        SKEncodedOrigin.RightBottom => image.transpose(1, 2).flip(1, 2),
        SKEncodedOrigin.LeftBottom => image.transpose(1, 2).flip(1),
        _ => image.alias(),
    };
}
