using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Repro.Experiments.Diagnostics;
using Repro.Experiments.Methods;
using Repro.Experiments.Training;
using Repro.Model.Pipeline;
using TorchSharp;

namespace Repro.Experiments.Commands;

/// <summary>
/// <c>repro bench methods</c>: seconds per optimizer step of every method/stage at its official batch size on the tiny
/// random UNet (CPU), read from the stages' loss.csv (step_seconds, median after warm-up); and, with --memory-steps, the
/// resident memory over a long run (rss_mb at several steps) to show it stays flat.
/// </summary>
public static class MethodBenchmark
{
    private static readonly (string Preset, string Patch, string[] Stages)[] Rows =
    [
        ("ti", """{"steps": #S#}""", ["embedding"]),
        ("dreambooth", """{"steps": #S#}""", ["unet"]),
        ("ti-db", """{"steps": #S#}""", ["joint"]),
        ("custom-diffusion", """{"steps": #S#}""", ["kv-embedding"]),
        ("adb", """{"stage1": {"steps": #S#}, "stage2": {"steps": #S#}, "stage3": {"steps": #S#}}""", ["stage1-embedding", "stage2-cross-attention", "stage3-unet"]),
        ("adb-fast", """{"stage1": {"steps": 0}, "stage2": {"steps": 0}, "stage3": {"steps": #S#}}""", ["stage3-unet"]),
        ("core", """{"stage1Steps": #S#, "stage2Steps": #S#, "rescaleStart": 1, "rescaleStop": #S#}""", ["stage1-embedding", "stage2-unet"]),
        ("core-tto", """{"steps": #S#, "prompt": "a {} playing the guitar", "embeds": "#RUNS#/core/learned_embeds.safetensors", "unet": "#RUNS#/core/stage2-unet/unet"}""", ["tto"]),
    ];

    public static Command Command()
    {
        var steps = new Option<int>("--steps") { Description = "Timed steps per stage.", DefaultValueFactory = _ => 5 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed first steps per stage.", DefaultValueFactory = _ => 2 };
        var threads = new Option<int>("--threads") { Description = "Torch intra-op threads.", DefaultValueFactory = _ => 2 };
        var memory = new Option<int>("--memory-steps") { Description = "Also run ADB and CoRe stage 1 at batch 1 for this many steps and report RSS (0 = skip).", DefaultValueFactory = _ => 0 };
        var work = new Option<string>("--work") { Description = "Scratch folder.", DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "repro-bench-methods") };
        var command = new Command("methods", "Seconds per step of each method/stage on the tiny random UNet (CPU), as a Markdown table.") { steps, warmup, threads, memory, work };
        command.SetAction(r => Cli.Guard(() =>
        {
            Console.WriteLine(Table(r.GetValue(work)!, r.GetValue(steps), r.GetValue(warmup), r.GetValue(threads)));
            if (r.GetValue(memory) > 0) Console.WriteLine(Memory(r.GetValue(work)!, r.GetValue(memory), r.GetValue(threads)));
        }));
        return command;
    }

    private static (ConceptSettings Concept, string Root) World(string work, string name, int threads)
    {
        string model = TinyRandomModel.EnsureWritten(Path.Combine(work, "tiny-sd"), seed: 1);
        string images = Path.Combine(work, "concept");
        if (!Directory.Exists(images))
            for (int k = 0; k < 4; k++)
                using (var image = torch.rand([3, 48, 40], generator: new torch.Generator((ulong)k)) * 2 - 1)
                    ImageIO.SavePng(image, Path.Combine(images, $"{k}.png"));
        string output = Path.Combine(work, "runs", name);
        if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        return (new ConceptSettings
        {
            Model = model, InstanceDir = images, Category = "doll", Token = "sks_v0", Output = output, Device = "cpu", Threads = threads,
            CheckpointEvery = 0, ClassImages = 8, ClassSamplingSteps = 2,
        }, output);
    }

    private static JsonObject ConceptPatch(ConceptSettings c) =>
        (JsonObject)System.Text.Json.JsonSerializer.SerializeToNode(new { concept = c }, StageRunner.Json)!;

    public static string Table(string work, int steps, int warmup, int threads)
    {
        var sb = new StringBuilder("| method | stage | batch | s/step (median) | min |\n|---|---|---|---|---|\n");
        foreach (var (preset, patch, stages) in Rows)
        {
            var (concept, output) = World(work, preset, threads);
            var config = MethodPresets.Resolve(preset, JsonNode.Parse(patch.Replace("#S#", (steps + warmup).ToString(CultureInfo.InvariantCulture)).Replace("#RUNS#", Path.Combine(work, "runs")))!.AsObject(), ConceptPatch(concept));
            var manifest = MethodPresets.Run(preset, config, Console.Error.WriteLine);
            foreach (string stage in stages)
            {
                var times = LossLog.ReadColumn(Path.Combine(output, stage, "loss.csv"), "step_seconds").Skip(warmup).Select(t => t * 1000).ToList();
                var stats = TimingStats.Of(times);
                int batch = manifest["stages"]!.AsArray().Count == 0 ? 0 : BatchOf(output, stage);
                sb.Append(CultureInfo.InvariantCulture, $"| {preset} | {stage} | {batch} | {stats.MedianMs / 1000:F3} | {stats.MinMs / 1000:F3} |\n");
            }
        }
        return sb.ToString();
    }

    private static int BatchOf(string output, string stage)
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(output, stage, StageRunner.StageFile)))!["config"]!;
        int batch = node["batchSize"]!.GetValue<int>() * node["gradientAccumulation"]!.GetValue<int>();
        return node["prior"] is JsonObject ? 2 * batch : batch;
    }

    public static string Memory(string work, int steps, int threads)
    {
        var sb = new StringBuilder($"| run | steps | RSS MiB at step " + string.Join(" / ", Checkpoints(steps)) + " | peak RSS MiB |\n|---|---|---|---|\n");
        foreach (var (preset, patch, stage) in new[]
        {
            ("adb", "{\"stage1\": {\"steps\": 0}, \"stage2\": {\"steps\": 0}, \"stage3\": {\"steps\": " + steps + ", \"batchSize\": 1}}", "stage3-unet"),
            ("core", "{\"stage1Steps\": " + steps + ", \"stage1BatchSize\": 1, \"stage2Steps\": 0, \"rescaleStart\": " + steps / 4 + ", \"rescaleStop\": " + steps / 2 + "}", "stage1-embedding"),
        })
        {
            var (concept, output) = World(work, "memory-" + preset, threads);
            MethodPresets.Run(preset, MethodPresets.Resolve(preset, JsonNode.Parse(patch)!.AsObject(), ConceptPatch(concept)), Console.Error.WriteLine);
            var rss = LossLog.ReadColumn(Path.Combine(output, stage, "loss.csv"), "rss_mb");
            string at = string.Join(" / ", Checkpoints(steps).Select(s => rss[s - 1].ToString("F0", CultureInfo.InvariantCulture)));
            sb.Append(CultureInfo.InvariantCulture, $"| {preset} {stage} (batch 1) | {steps} | {at} | {ProcessMemory.PeakRssBytes() / 1048576.0:F0} |\n");
        }
        return sb.ToString();
    }

    private static int[] Checkpoints(int steps) => new[] { 10, steps / 10, steps / 4, steps / 2, 3 * steps / 4, steps }.Where(s => s >= 1).Distinct().Order().ToArray();
}
