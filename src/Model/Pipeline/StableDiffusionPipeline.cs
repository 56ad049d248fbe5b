using Repro.Model.Clip;
using Repro.Model.Schedulers;
using Repro.Model.Tokenizers;
using Repro.Model.UNet;
using Repro.Model.Vae;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Pipeline;

/// <summary>
/// Text-to-image as diffusers' <c>StableDiffusionPipeline</c>: tokenizer → text encoder → classifier-free-guided
/// denoising loop (batch order [uncond, cond]) → VAE decode. Images come out in [-1, 1] as (B, 3, H, W).
/// </summary>
public sealed class StableDiffusionPipeline : IDisposable
{
    public ClipTokenizer Tokenizer { get; }
    public CLIPTextModel TextEncoder { get; }
    public UNet2DConditionModel UNet { get; }
    public AutoencoderKL Vae { get; }
    public IScheduler Scheduler { get; set; }
    public Device Device { get; }

    public StableDiffusionPipeline(ClipTokenizer tokenizer, CLIPTextModel textEncoder, UNet2DConditionModel unet,
                                   AutoencoderKL vae, IScheduler scheduler, Device? device = null)
    {
        Tokenizer = tokenizer;
        TextEncoder = textEncoder;
        UNet = unet;
        Vae = vae;
        Scheduler = scheduler;
        Device = device ?? CPU;
        foreach (nn.Module m in new nn.Module[] { textEncoder, unet, vae })
        {
            m.to(Device);
            m.eval();
        }
    }

    /// <summary>
    /// Loads a diffusers folder. <paramref name="schedulerClass"/> swaps the sampler as diffusers' <c>from_config</c>
    /// does (e.g. <c>DPMSolverMultistepScheduler</c> on SD2.1's DDIM config).
    /// </summary>
    public static StableDiffusionPipeline FromPretrained(string folder, Device? device = null, string? schedulerClass = null, string? variant = null)
    {
        var sd = DiffusersFolder.Open(folder);
        return new StableDiffusionPipeline(
            ClipTokenizer.FromFolder(sd.PathOf("tokenizer")),
            CLIPTextModel.FromPretrained(sd.PathOf("text_encoder"), variant),
            UNet2DConditionModel.FromPretrained(sd.PathOf("unet"), variant),
            AutoencoderKL.FromPretrained(sd.PathOf("vae"), variant),
            SchedulerFactory.FromFolder(sd.PathOf("scheduler"), schedulerClass),
            device);
    }

    public int VaeScaleFactor => 1 << (Vae.Config.BlockOutChannels.Length - 1);

    /// <summary>Token ids (B, 77) as the pipelines tokenize: padded to max length, truncated.</summary>
    public Tensor Tokenize(IReadOnlyList<string> prompts)
    {
        int length = Tokenizer.ModelMaxLength;
        var ids = new long[prompts.Count * length];
        for (int i = 0; i < prompts.Count; i++)
        {
            var row = Tokenizer.EncodePadded(prompts[i], length);
            for (int j = 0; j < length; j++) ids[i * length + j] = row[j];
        }
        return torch.tensor(ids, [prompts.Count, length], dtype: int64, device: Device);
    }

    /// <summary>The UNet's conditioning: last hidden state of the text encoder (final layer norm applied).</summary>
    public Tensor EncodePrompts(IReadOnlyList<string> prompts)
    {
        using var _ = torch.NewDisposeScope();
        var output = TextEncoder.forward(Tokenize(prompts));
        return output.LastHiddenState.MoveToOuterDisposeScope();
    }

    /// <summary>Generates <c>ImagesPerPrompt</c> images per prompt; returns (prompts × images, 3, H, W) in [-1, 1].</summary>
    public Tensor Generate(IReadOnlyList<string> prompts, GenerationOptions options, Action<DenoisingStep>? onStep = null)
    {
        if (prompts.Count == 0) throw new ArgumentException("no prompts to generate");
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        int n = options.ImagesPerPrompt;
        var expanded = prompts.SelectMany(p => Enumerable.Repeat(p, n)).ToList();
        using var latents = options.Latents?.to(float32).to(Device) ?? InitialLatents(prompts.Count, options);
        int batch = options.BatchSize > 0 ? options.BatchSize : expanded.Count;
        var images = new List<Tensor>();
        for (int start = 0; start < expanded.Count; start += batch)
        {
            int count = Math.Min(batch, expanded.Count - start);
            var chunk = expanded.GetRange(start, count);
            images.Add(Denoise(chunk, latents.narrow(0, start, count), options, onStep));
        }
        return torch.cat(images, 0).MoveToOuterDisposeScope();
    }

    /// <summary>N(0, I) latents per prompt, each prompt from a generator seeded with the options' seed (or one draw).</summary>
    public Tensor InitialLatents(int promptCount, GenerationOptions options)
    {
        int height = options.Height ?? DefaultLatentSize() * VaeScaleFactor;
        int width = options.Width ?? DefaultLatentSize() * VaeScaleFactor;
        if (height % VaeScaleFactor != 0 || width % VaeScaleFactor != 0)
            throw new ArgumentException($"height and width must be multiples of {VaeScaleFactor}, got {height}x{width}");
        long[] shape = [options.ImagesPerPrompt, UNet.Config.InChannels, height / VaeScaleFactor, width / VaeScaleFactor];
        if (!options.ReseedPerPrompt)
        {
            using var generator = new Generator((ulong)options.Seed);
            shape[0] *= promptCount;
            return torch.randn(shape, generator: generator).to(Device);
        }
        var draws = new List<Tensor>();
        for (int p = 0; p < promptCount; p++)
        {
            using var generator = new Generator((ulong)options.Seed);
            draws.Add(torch.randn(shape, generator: generator));
        }
        using var all = torch.cat(draws, 0);
        foreach (var d in draws) d.Dispose();
        return all.to(Device);
    }

    private int DefaultLatentSize() => UNet.Config.LatentSize
        ?? throw new InvalidOperationException("the UNet config has no sample_size: pass the image height and width explicitly");

    private Tensor Denoise(IReadOnlyList<string> prompts, Tensor initialLatents, GenerationOptions options, Action<DenoisingStep>? onStep)
    {
        using var scope = torch.NewDisposeScope();
        int b = prompts.Count;
        bool guided = options.GuidanceScale > 1.0;
        var text = EncodePrompts(prompts);
        var context = guided ? torch.cat([EncodePrompts(Enumerable.Repeat(options.NegativePrompt, b).ToList()), text], 0) : text;
        using var sampler = Scheduler.Create(options.Steps);
        var latents = initialLatents * sampler.InitNoiseSigma;
        for (int i = 0; i < sampler.Timesteps.Count; i++)
        {
            using var step = torch.NewDisposeScope();
            double t = sampler.Timesteps[i];
            var input = guided ? torch.cat([latents, latents], 0) : latents;
            input = sampler.ScaleModelInput(input, t);
            using var timestep = torch.tensor(t, dtype: float32, device: Device);
            var output = UNet.forward(input, timestep, context);
            var prediction = output;
            if (guided)
            {
                var parts = output.chunk(2, 0);
                prediction = parts[0] + options.GuidanceScale * (parts[1] - parts[0]);
            }
            var next = sampler.Step(prediction, t, latents);
            onStep?.Invoke(new DenoisingStep(i, t, output, next));
            latents = next.MoveToOuterDisposeScope();
        }
        return DecodeLatents(latents).MoveToOuterDisposeScope();
    }

    /// <summary>VAE decode of latents divided by the scaling factor; the image stays in [-1, 1] (no clamp).</summary>
    public Tensor DecodeLatents(Tensor latents)
    {
        using var _ = torch.NewDisposeScope();
        return Vae.Decode(latents / Vae.ScalingFactor).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        TextEncoder.Dispose();
        UNet.Dispose();
        Vae.Dispose();
    }
}
