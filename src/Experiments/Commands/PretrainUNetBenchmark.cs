using System.CommandLine;
using System.Diagnostics;
using Repro.Experiments.Diagnostics;
using Repro.Experiments.MiniWorld;
using Repro.Experiments.MiniWorld.Pretraining;
using Repro.Model.Clip;
using Repro.Model.Tokenizers;
using Repro.Model.Vae;
using TorchSharp;

namespace Repro.Experiments.Commands;

/// <summary>
/// <c>repro bench pretrain-unet</c>: where a miniature-world UNet pretraining step's time goes. Times the data path's
/// parts (rendering the batch, the VAE encoding, the text tower) alone, then whole <see cref="UNetTrainer"/> steps
/// (those parts + UNet forward, backward, AdamW) on a fresh UNet of the chosen size; nothing is written to the folder.
/// </summary>
public static class PretrainUNetBenchmark
{
    public sealed record Result(int Batch, int Threads, TimingStats Render, TimingStats VaeEncode, TimingStats Text, TimingStats Step);

    public static Result Run(string root, int batch, int steps, int warmup, int threads, string variant = MiniWorldModels.DefaultUNet)
    {
        if (steps < 1) throw new ArgumentException($"--steps must be at least 1, got {steps}");
        torch.set_num_threads(threads);
        using var vae = AutoencoderKL.FromPretrained(Path.Combine(root, "vae"));
        using var text = CLIPTextModel.FromPretrained(Path.Combine(root, "text_encoder"));
        var tokenizer = ClipTokenizer.FromFolder(Path.Combine(root, "tokenizer"));
        List<double> render = [], encode = [], textMs = [], step = [];
        for (int i = 0; i < warmup + steps; i++)
        {
            using var _ = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var watch = Stopwatch.StartNew();
            var examples = WorldBatch.Examples(WorldBatch.WorldSeed, WorldSplit.Train, (long)i * batch, batch);
            double r = Lap(watch);
            vae.Encode(WorldBatch.Pixels(examples.Select(e => e.Image).ToList())).Mode();
            double e = Lap(watch);
            text.forward(WorldBatch.Tokens(tokenizer, examples.Select(x => x.Caption).ToList()));
            double t = Lap(watch);
            if (i < warmup) continue;
            render.Add(r); encode.Add(e); textMs.Add(t);
        }
        using var trainer = new UNetTrainer(root, UNetTrainer.DefaultSettings(variant) with { BatchSize = batch, Restart = null });
        for (int i = 0; i < warmup + steps; i++)
        {
            var watch = Stopwatch.StartNew();
            trainer.Run();
            if (i >= warmup) step.Add(watch.Elapsed.TotalMilliseconds);
        }
        return new Result(batch, torch.get_num_threads(), TimingStats.Of(render), TimingStats.Of(encode), TimingStats.Of(textMs), TimingStats.Of(step));
    }

    private static double Lap(Stopwatch watch)
    {
        double ms = watch.Elapsed.TotalMilliseconds;
        watch.Restart();
        return ms;
    }

    public static Command Command()
    {
        var model = new Option<string>("--model") { Description = "Miniature-world folder (vae/, text_encoder/, tokenizer/, scheduler/).", DefaultValueFactory = _ => PretrainCommands.DefaultRoot };
        var batch = new Option<int>("--batch") { Description = "Batch size (the recipe's: 32).", DefaultValueFactory = _ => 32 };
        var steps = new Option<int>("--steps") { Description = "Timed steps.", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up steps.", DefaultValueFactory = _ => 2 };
        var threads = new Option<int>("--threads") { Description = "Torch intra-op threads.", DefaultValueFactory = _ => 2 };
        var command = new Command("pretrain-unet", "Median ms of a miniature-world UNet pretraining step and of its data path's parts (render, VAE encode, text tower).")
            { model, batch, steps, warmup, threads };
        command.SetAction(r => Cli.Guard(() =>
        {
            var result = Run(r.GetValue(model)!, r.GetValue(batch), r.GetValue(steps), r.GetValue(warmup), r.GetValue(threads));
            Console.WriteLine($"batch {result.Batch}, {result.Threads} thread(s), median (min) ms over {result.Step.Count} steps:");
            foreach (var (name, s) in new[] { ("render", result.Render), ("VAE encode", result.VaeEncode), ("text tower", result.Text), ("whole step", result.Step) })
                Console.WriteLine($"  {name,-11} {s.MedianMs,8:F1} ({s.MinMs:F1})");
        }));
        return command;
    }
}
