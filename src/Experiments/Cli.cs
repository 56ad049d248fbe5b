using System.CommandLine;
using Repro.Experiments.Commands;
using Repro.Model.Runtime;

namespace Repro.Experiments;

/// <summary>The <c>repro</c> command line: one subcommand per capability.</summary>
public static class Cli
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("Repro: AttnDreamBooth and CoRe reproduced on TorchSharp.")
        {
            Generate(),
            Bench(),
            MethodCommands.Train(),
            MethodCommands.Tto(),
            MethodCommands.Sample(),
            MethodCommands.Attention(),
            ScoreCommand.Create(Guard),
            MiniWorldCommand.Create(),
            TableCommand.Create(),
            TableCommand.Slurm(),
            BaselineCommand.Create(),
        };
        return root.Parse(args).Invoke();
    }

    private static Command Generate()
    {
        var model = new Option<string?>("--model") { Description = "A diffusers Stable Diffusion folder (model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/). Default: a tiny random model." };
        var prompts = new Option<string[]>("--prompt") { Description = "Prompt (repeat for several).", Required = true, AllowMultipleArgumentsPerToken = false };
        var output = new Option<string>("--out") { Description = "Output folder for PNG files.", DefaultValueFactory = _ => "out/generate" };
        var steps = new Option<int>("--steps") { Description = "Denoising steps.", DefaultValueFactory = _ => 50 };
        var guidance = new Option<double>("--guidance-scale") { Description = "Classifier-free guidance scale (1 = off).", DefaultValueFactory = _ => 7.5 };
        var images = new Option<int>("--images-per-prompt") { Description = "Images per prompt.", DefaultValueFactory = _ => 1 };
        var seed = new Option<long>("--seed") { Description = "Seed; each prompt's generator is re-seeded with it (as the official inference).", DefaultValueFactory = _ => 0 };
        var height = new Option<int?>("--height") { Description = "Image height in pixels (default: from the UNet config)." };
        var width = new Option<int?>("--width") { Description = "Image width in pixels (default: from the UNet config)." };
        var sampler = new Option<string>("--sampler") { Description = "dpm++ (DPM-Solver++ 2M), ddim, euler or ddpm.", DefaultValueFactory = _ => "dpm++" };
        var device = DeviceOption();
        var variant = new Option<string?>("--variant") { Description = "Weights variant, e.g. fp16 (diffusion_pytorch_model.fp16.safetensors)." };
        var command = new Command("generate", "Text-to-image with classifier-free guidance; writes PNG files.")
            { model, prompts, output, steps, guidance, images, seed, height, width, sampler, device, variant };
        command.SetAction(r => Guard(() => GenerateCommand.Run(new GenerateCommand.Settings(
            r.GetValue(model), r.GetValue(prompts)!, r.GetValue(output)!, r.GetValue(steps), r.GetValue(guidance),
            r.GetValue(images), r.GetValue(seed), r.GetValue(height), r.GetValue(width), r.GetValue(sampler)!,
            r.GetValue(device), r.GetValue(variant)), Console.Error.WriteLine)));
        return command;
    }

    private static Command Bench()
    {
        var config = new Option<string>("--config") { Description = "A UNet config.json (random weights are built from it).", Required = true };
        var batch = new Option<int>("--batch") { Description = "Batch size.", DefaultValueFactory = _ => 8 };
        var steps = new Option<int>("--steps") { Description = "Timed steps.", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up steps.", DefaultValueFactory = _ => 2 };
        var threads = new Option<int?>("--threads") { Description = "Torch intra-op threads (default: torch's choice)." };
        var device = DeviceOption();
        var unet = new Command("unet", "Times forward + backward + AdamW steps of a UNet built from a config; prints median/min ms and peak RSS.")
            { config, batch, steps, warmup, threads, device };
        unet.SetAction(r => Guard(() =>
        {
            var result = UNetBenchmark.Run(r.GetValue(config)!, r.GetValue(batch), r.GetValue(steps), r.GetValue(warmup),
                                           r.GetValue(threads), TorchDevice.Resolve(r.GetValue(device)), Console.Error.WriteLine);
            Console.WriteLine($"config {result.Config}  params {result.Parameters:N0}  batch {result.Batch}  threads {result.Threads}");
            Console.WriteLine($"forward+backward+AdamW step: median {result.Step.MedianMs:F1} ms  min {result.Step.MinMs:F1} ms  (n={result.Step.Count})");
            Console.WriteLine($"peak RSS {result.PeakRssBytes / (1024.0 * 1024.0):F0} MiB");
        }));
        return new Command("bench", "Benchmarks.") { unet, MethodBenchmark.Command(), PretrainUNetBenchmark.Command() };
    }

    private static Option<string?> DeviceOption() =>
        new("--device") { Description = "cpu, cuda or cuda:N (default: cuda when available)." };

    /// <summary>Runs a command; a bad input prints its message (which names the file and the problem) and exits 1.</summary>
    internal static int Guard(Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or NotSupportedException or FormatException or InvalidOperationException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
