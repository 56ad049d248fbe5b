using System.Diagnostics;
using Repro.Experiments.Diagnostics;
using Repro.Model.UNet;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.Commands;

/// <summary>
/// <c>repro bench unet</c>: one training step (forward, MSE, backward, AdamW) of a randomly initialised UNet built from
/// a config.json, timed over N steps after warm-up; the same measurement a diffusers script makes on that config.
/// </summary>
public static class UNetBenchmark
{
    public sealed record Result(string Config, int Batch, int Threads, long Parameters, TimingStats Step, long PeakRssBytes);

    public static Result Run(string configPath, int batch, int steps, int warmup, int? threads, Device device, Action<string>? log = null)
    {
        if (threads is { } t) torch.set_num_threads(t);
        torch.manual_seed(0);
        var config = UNet2DConditionModel.ReadConfig(configPath);
        using var unet = new UNet2DConditionModel(config);
        unet.to(device).train();
        long parameters = unet.parameters().Sum(p => p.numel());
        using var optimizer = torch.optim.AdamW(unet.parameters(), lr: 1e-5, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 1e-2);

        int size = config.LatentSize ?? 64;
        using var sample = torch.randn([batch, config.InChannels, size, size], device: device);
        using var target = torch.randn([batch, config.OutChannels, size, size], device: device);
        using var context = torch.randn([batch, 77, config.CrossAttentionDim[0]], device: device);
        using var timesteps = torch.randint(0, 1000, [batch], dtype: int64, device: device);

        var times = new List<double>();
        for (int i = 0; i < warmup + steps; i++)
        {
            var watch = Stopwatch.StartNew();
            using (torch.NewDisposeScope())
            {
                optimizer.zero_grad();
                var prediction = unet.forward(sample, timesteps, context);
                var loss = nn.functional.mse_loss(prediction, target);
                loss.backward();
                optimizer.step();
                if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
            }
            watch.Stop();
            if (i >= warmup) times.Add(watch.Elapsed.TotalMilliseconds);
            log?.Invoke($"step {i + 1}/{warmup + steps}{(i < warmup ? " (warm-up)" : "")}: {watch.Elapsed.TotalMilliseconds:F1} ms");
        }
        return new Result(configPath, batch, torch.get_num_threads(), parameters, TimingStats.Of(times), ProcessMemory.PeakRssBytes());
    }
}
