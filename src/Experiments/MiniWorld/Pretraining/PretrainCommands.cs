using System.CommandLine;
using System.Diagnostics;
using TorchSharp;

namespace Repro.Experiments.MiniWorld.Pretraining;

/// <summary><c>repro miniworld pretrain | verify | quality</c>.</summary>
public static class PretrainCommands
{
    public const string DefaultRoot = "models/miniworld";

    public static Command Pretrain()
    {
        var output = new Option<string>("--out") { Description = "Model folder (diffusers layout + clip/ + state/ + curves/).", DefaultValueFactory = _ => DefaultRoot };
        var stage = new Option<string>("--stage") { Description = "vae, clip, evaluator, unet, dino or all (in that order; evaluator and unet need clip, unet needs vae).", DefaultValueFactory = _ => "all" };
        var minutes = new Option<double>("--max-minutes") { Description = "Time budget of this piece (the state is saved when it ends).", DefaultValueFactory = _ => 50 };
        var threads = new Option<int>("--threads") { Description = "Torch CPU threads.", DefaultValueFactory = _ => 1 };
        var variant = new Option<string?>("--variant") { Description = "Model size variant of the stage (default: the chosen size)." };
        var steps = new Option<long?>("--total-steps") { Description = "Total steps of the stage (default: the chosen schedule)." };
        var batch = new Option<int?>("--batch-size") { Description = "Batch size of the stage (default: the chosen schedule)." };
        var lr = new Option<double?>("--lr") { Description = "Peak learning rate of the stage (default: the chosen schedule)." };
        var conditioning = new Option<string?>("--conditioning") { Description = "UNet only: condition on this finished CLIP stage's text tower from step 0 (evaluator)." };
        var varied = new Option<bool>("--varied-instances") { Description = "UNet only: train on varied instances of each category from step 0." };
        var checkpointMinutes = new Option<double>("--checkpoint-minutes") { Description = "Minutes between checkpoints.", DefaultValueFactory = _ => 5 };
        var parallel = new Option<int>("--parallel")
        {
            Description = "With --stage all: stages run as child processes, this many at a time, each once the stages it needs are complete (default: 2 on a machine with 2 or more cores).",
            DefaultValueFactory = _ => Math.Min(2, Environment.ProcessorCount),
        };
        var command = new Command("pretrain", "Pretrains the miniature world's VAE, conditioning CLIP (its text tower conditions the UNet), evaluator CLIP and UNet; resumable, in pieces.")
            { output, stage, minutes, threads, variant, steps, batch, lr, conditioning, varied, checkpointMinutes, parallel };
        command.SetAction(r => Cli.Guard(() =>
        {
            if (r.GetValue(stage) == "all" && r.GetValue(parallel) > 1)
            {
                PretrainSchedule.Run(r.GetValue(output)!, r.GetValue(parallel), r.GetValue(minutes), r.GetValue(threads), r.GetValue(checkpointMinutes), Console.Error.WriteLine);
                PretrainManifest.Write(r.GetValue(output)!);
                return;
            }
            RunStages(r.GetValue(output)!, r.GetValue(stage)!, r.GetValue(minutes), r.GetValue(threads),
                new StageOverrides(r.GetValue(variant), r.GetValue(steps), r.GetValue(batch), r.GetValue(lr), r.GetValue(conditioning), r.GetValue(varied)),
                r.GetValue(checkpointMinutes), Console.Error.WriteLine);
        }));
        return command;
    }

    public static Command Verify()
    {
        var output = new Option<string>("--out") { Description = "Model folder with manifest.json.", DefaultValueFactory = _ => DefaultRoot };
        var command = new Command("verify", "Checks every file of the model folder against manifest.json (SHA-256) and loads the models with the real loaders.") { output };
        command.SetAction(r => Cli.Guard(() =>
        {
            var problems = PretrainManifest.Verify(r.GetValue(output)!);
            foreach (string p in problems) Console.Error.WriteLine(p);
            if (problems.Count > 0) throw new InvalidDataException($"verify failed: {problems.Count} problem(s)");
            Console.WriteLine("verify: ok");
        }));
        return command;
    }

    public static Command Quality()
    {
        var output = new Option<string>("--out") { Description = "Model folder.", DefaultValueFactory = _ => DefaultRoot };
        var results = new Option<string>("--results") { Description = "Results folder (quality.csv).", DefaultValueFactory = _ => "results/miniworld" };
        var count = new Option<int>("--count") { Description = "Held-out images (and generated prompts) per measure.", DefaultValueFactory = _ => 256 };
        var threads = new Option<int>("--threads") { Description = "Torch CPU threads.", DefaultValueFactory = _ => 1 };
        var steps = new Option<int>("--steps") { Description = "Sampling steps of the generated images (DPM-Solver++).", DefaultValueFactory = _ => QualityReport.GenerationSteps };
        var guidance = new Option<double>("--guidance") { Description = "Classifier-free guidance scale of the generated images.", DefaultValueFactory = _ => QualityReport.GuidanceScale };
        var command = new Command("quality", "Measures VAE PSNR and CLIP per-attribute accuracy on held-out images, and generated images' per-attribute accuracy.")
            { output, results, count, threads, steps, guidance };
        command.SetAction(r => Cli.Guard(() =>
        {
            torch.set_num_threads(r.GetValue(threads));
            QualityReport.Run(r.GetValue(output)!, r.GetValue(results)!, r.GetValue(count), Console.Error.WriteLine, r.GetValue(steps), r.GetValue(guidance));
        }));
        return command;
    }

    /// <summary>Command-line changes to a stage's default settings (measurement runs).</summary>
    public sealed record StageOverrides(string? Variant = null, long? TotalSteps = null, int? BatchSize = null, double? LearningRate = null,
        string? Conditioning = null, bool VariedInstances = false)
    {
        public bool Any => Variant is not null || TotalSteps is not null || BatchSize is not null || LearningRate is not null || Conditioning is not null || VariedInstances;

        public StageSettings Apply(StageSettings s) => s with
        {
            Variant = Variant ?? s.Variant, TotalSteps = TotalSteps ?? s.TotalSteps, BatchSize = BatchSize ?? s.BatchSize,
            LearningRate = LearningRate ?? s.LearningRate, Restart = Any ? null : s.Restart,   // measurement runs: one plain schedule
            Conditioning = Conditioning ?? s.Conditioning, VariedInstances = VariedInstances || s.VariedInstances,
        };
    }

    public static void RunStages(string root, string stage, double maxMinutes, int threads, StageOverrides overrides,
        double checkpointMinutes, Action<string> log)
    {
        torch.set_num_threads(threads);
        string[] stages = stage switch
        {
            "all" => ["vae", "clip", "evaluator", "unet", "dino"],
            "vae" or "clip" or "evaluator" or "unet" or "dino" => [stage],
            _ => throw new ArgumentException($"unknown stage '{stage}' (vae, clip, evaluator, unet, dino, all)"),
        };
        if (stages.Length > 1 && overrides.Any)
            throw new ArgumentException("--variant, --total-steps, --batch-size, --lr, --conditioning and --varied-instances apply to a single --stage");
        if ((overrides.Conditioning is not null || overrides.VariedInstances) && stage != "unet")
            throw new ArgumentException("--conditioning and --varied-instances apply to --stage unet");
        Directory.CreateDirectory(root);
        MiniWorldModels.WriteFixedFiles(root);
        var clock = Stopwatch.StartNew();
        foreach (string s in stages)
        {
            double left = maxMinutes - clock.Elapsed.TotalMinutes;
            if (left <= 0.05) { log($"time budget spent before stage {s}"); break; }
            using var trainer = CreateTrainer(root, s, overrides);
            if (trainer is ClipTrainer { FreshFromConditioning.Count: > 0 } clip)
                log($"[{s}] not in the conditioning CLIP (another variant), trained from initialisation: {string.Join(", ", clip.FreshFromConditioning)}");
            if (!PretrainRunner.Run(trainer, new PretrainOptions(root, left, CheckpointMinutes: checkpointMinutes), log)) break;
        }
        PretrainManifest.Write(root);
        log($"manifest written: {Path.Combine(root, PretrainManifest.FileName)}");
    }

    /// <summary>A stage's schedule and stop step as the committed world was trained.</summary>
    public static (StageSettings Settings, long StopStep) Recipe(string stage) => stage switch
    {
        "vae" => (VaeTrainer.DefaultSettings(), VaeTrainer.DefaultStopStep),
        "clip" => (ClipTrainer.DefaultSettings(), ClipTrainer.ConditioningStopStep),
        "evaluator" => (ClipTrainer.EvaluatorSettings(), ClipTrainer.EvaluatorSettings().TotalSteps),
        "unet" => (UNetTrainer.DefaultSettings(), UNetTrainer.DefaultStopStep),
        "dino" => (InstanceViTTrainer.DefaultSettings(), InstanceViTTrainer.DefaultStopStep),
        _ => throw new ArgumentException($"unknown stage '{stage}'"),
    };

    /// <summary>A stage's trainer with the chosen schedule and stop step (a --total-steps override trains to its end).</summary>
    public static StageTrainer CreateTrainer(string root, string stage, StageOverrides? overrides = null)
    {
        overrides ??= new StageOverrides();
        var (recipe, stopStep) = Recipe(stage);
        var settings = overrides.Apply(recipe);
        long stop = overrides.TotalSteps ?? stopStep;
        return stage switch
        {
            "vae" => new VaeTrainer(root, settings) { StopStep = stop },
            "clip" => new ClipTrainer(root, settings) { StopStep = stop },
            "evaluator" => new ClipTrainer(root, settings, ClipRole.Evaluator) { StopStep = stop },
            "dino" => new InstanceViTTrainer(root, settings) { StopStep = stop },
            _ => new UNetTrainer(root, settings) { StopStep = stop },
        };
    }
}
