using Repro.Model.Pipeline;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.Sampling;

/// <summary>Per-token cross-attention of one generated image: the image (3, H, W) in [−1, 1] and one (H, W) map per prompt token in [0, 1].</summary>
public sealed record TokenHeatmaps(string Prompt, Tensor Image, IReadOnlyList<string> Tokens, Tensor Maps) : IDisposable
{
    public void Dispose()
    {
        Image.Dispose();
        Maps.Dispose();
    }
}

/// <summary>
/// The heatmaps of the papers' Figures 2 and 5: while one image is generated with CFG, the conditional half of every
/// attn2 map (batch, 77, heads, pixels) is averaged over heads, upsampled to the image size, and averaged over the 16
/// layers and all timesteps; each prompt token's map (BOS/EOS/padding left out) is min–max normalised.
/// </summary>
public static class AttentionHeatmaps
{
    public static TokenHeatmaps Compute(StableDiffusionPipeline pipeline, string prompt, GenerationOptions options)
    {
        var ids = pipeline.Tokenizer.EncodePadded(prompt, pipeline.Tokenizer.ModelMaxLength);
        int eos = Array.IndexOf(ids, pipeline.Tokenizer.EosId, 1);
        var tokens = pipeline.Tokenizer.ConvertIdsToTokens(ids[1..eos]).Select(t => t.Replace("</w>", "", StringComparison.Ordinal)).ToList();
        Tensor? sum = null;
        int count = 0;
        options = options with { ImagesPerPrompt = 1 };
        using var capture = pipeline.UNet.CaptureCrossAttention();
        Tensor image;
        using (var scope = NewDisposeScope())
        {
            var generated = pipeline.Generate([prompt], options, step =>
            {
                long height = step.Latents.shape[2], width = step.Latents.shape[3];
                int factor = pipeline.VaeScaleFactor;
                using var _ = NewDisposeScope();
                foreach (var map in capture.Maps)
                {
                    var p = map.Probabilities;
                    var cond = p[p.shape[0] - 1].to(float32).mean([1]);                      // (77, pixels): conditional half, heads averaged
                    long h = (long)Math.Round(Math.Sqrt(cond.shape[1] * (double)height / width));
                    var grid = cond[1..eos].reshape(1, eos - 1, h, cond.shape[1] / h);
                    var up = nn.functional.interpolate(grid, [height * factor, width * factor], mode: InterpolationMode.Bilinear, align_corners: false)[0];
                    if (sum is null) sum = up.detach().cpu().DetachFromDisposeScope();
                    else sum.add_(up.cpu());
                    count++;
                }
            });
            image = generated[0].cpu().DetachFromDisposeScope();
        }
        if (sum is null) throw new InvalidOperationException("no cross-attention maps were captured (the UNet has no attn2 layers?)");
        using var _2 = NewDisposeScope();
        var mean = sum / count;
        sum.Dispose();
        var flat = mean.flatten(1);
        var (lo, hi) = (flat.min(1).values.view(-1, 1, 1), flat.max(1).values.view(-1, 1, 1));
        var maps = ((mean - lo) / (hi - lo + 1e-12)).DetachFromDisposeScope();
        return new TokenHeatmaps(prompt, image, tokens, maps);
    }
}
