using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Repro.Experiments.Methods;
using Repro.Experiments.Sampling;
using Repro.Experiments.Training;
using Repro.Model.Pipeline;

namespace Repro.Experiments.Commands;

/// <summary><c>repro train</c>, <c>tto</c>, <c>sample</c> and <c>attention</c>: the personalization commands.</summary>
public static class MethodCommands
{
    private sealed record ConceptOptions(Option<string?> Model, Option<string?> Images, Option<string?> Category, Option<string?> Token,
                                         Option<string?> Out, Option<long?> Seed, Option<string?> Device, Option<int?> Threads)
    {
        public static ConceptOptions Create() => new(
            new("--model") { Description = "Diffusers Stable Diffusion folder (concept.model)." },
            new("--instance-dir") { Description = "Folder of concept images, JPEG/PNG (concept.instanceDir)." },
            new("--category") { Description = "Super-category word, e.g. doll (concept.category)." },
            new("--token") { Description = "Placeholder token, e.g. new_concept_v0 (concept.token)." },
            new("--out") { Description = "Output folder (concept.output)." },
            new("--seed") { Description = "Run seed (concept.seed)." },
            new("--device") { Description = "cpu, cuda or cuda:N (concept.device)." },
            new("--threads") { Description = "Torch intra-op threads (concept.threads)." });

        public IEnumerable<Option> All => [Model, Images, Category, Token, Out, Seed, Device, Threads];

        /// <summary>The options given on the command line as a {"concept": {...}} patch.</summary>
        public JsonObject Patch(ParseResult r)
        {
            var concept = new JsonObject();
            void Set<T>(string key, T? value) { if (value is not null) concept[key] = JsonValue.Create(value); }
            Set("model", r.GetValue(Model)); Set("instanceDir", r.GetValue(Images)); Set("category", r.GetValue(Category));
            Set("token", r.GetValue(Token)); Set("output", r.GetValue(Out)); Set("seed", r.GetValue(Seed));
            Set("device", r.GetValue(Device)); Set("threads", r.GetValue(Threads));
            return new JsonObject { ["concept"] = concept };
        }
    }

    private static JsonObject? ReadConfig(string? path) =>
        path is null ? null : JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object");

    public static Command Train()
    {
        var preset = new Option<string>("--preset") { Description = $"Method or ablation: {string.Join(", ", MethodPresets.Presets.Keys)}.", Required = true };
        var config = new Option<string?>("--config") { Description = "JSON overrides of the preset's config (any field, e.g. scaled-down schedules)." };
        var print = new Option<bool>("--print-config") { Description = "Print the resolved config as JSON and exit." };
        var concept = ConceptOptions.Create();
        var command = new Command("train", "Trains a personalization method; resumes from the latest checkpoint in --out.") { preset, config, print };
        foreach (var o in concept.All) command.Options.Add(o);
        command.SetAction(r => Cli.Guard(() =>
        {
            string name = r.GetValue(preset)!;
            var resolved = MethodPresets.Resolve(name, ReadConfig(r.GetValue(config)), concept.Patch(r));
            if (r.GetValue(print)) Console.WriteLine(JsonSerializer.Serialize(resolved, resolved.GetType(), StageRunner.Json));
            else MethodPresets.Run(name, resolved, Console.Error.WriteLine);
        }));
        return command;
    }

    public static Command Tto()
    {
        var prompt = new Option<string>("--prompt") { Description = "Target prompt with {} for the concept, e.g. \"a {} playing the guitar\".", Required = true };
        var run = new Option<string?>("--run") { Description = "A CoRe training output folder (reads run.json for model, embedding, UNet, token, category)." };
        var embeds = new Option<string?>("--embeds") { Description = "learned_embeds.safetensors of CoRe stage 1 (overrides --run)." };
        var unet = new Option<string?>("--unet") { Description = "unet/ folder of CoRe stage 2 (overrides --run)." };
        var config = new Option<string?>("--config") { Description = "JSON overrides (steps, learningRate, batchSize, lambdas, concept...)." };
        var concept = ConceptOptions.Create();
        var command = new Command("tto", "CoRe test-time optimization of the embedding on one prompt (10 steps, lr 5e-4, regularizers only).") { prompt, run, embeds, unet, config };
        foreach (var o in concept.All) command.Options.Add(o);
        command.SetAction(r => Cli.Guard(() =>
        {
            var patch = new JsonObject { ["prompt"] = r.GetValue(prompt) };
            var fromRun = new JsonObject();
            if (r.GetValue(run) is { } dir)
            {
                var outputs = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, TrainingRun.ManifestFile)))!["outputs"]!;
                patch["embeds"] = outputs["embeds"]?.DeepClone();
                if (outputs["unet"] is { } u) patch["unet"] = u.DeepClone();
                fromRun["concept"] = new JsonObject { ["model"] = outputs["model"]?.DeepClone(), ["token"] = outputs["token"]?.DeepClone(), ["category"] = outputs["category"]?.DeepClone() };
            }
            if (r.GetValue(embeds) is { } e) patch["embeds"] = e;
            if (r.GetValue(unet) is { } n) patch["unet"] = n;
            var resolved = MethodPresets.Resolve("core-tto", fromRun, ReadConfig(r.GetValue(config)), patch, concept.Patch(r));
            MethodPresets.Run("core-tto", resolved, Console.Error.WriteLine);
        }));
        return command;
    }

    public static Command Sample()
    {
        var (run, model, embeds, unet, device) = WeightsOptions();
        var prompts = new Option<string?>("--prompts") { Description = "Prompt file ({} per line), e.g. adb_eval_24.txt, core_eval_animate.txt." };
        var prompt = new Option<string[]>("--prompt") { Description = "A prompt template with {} (repeatable)." };
        var category = new Option<string?>("--category") { Description = "Fill {} with \"<token> <category>\" (ADB) instead of \"<token>\" (CoRe)." };
        var output = new Option<string>("--out") { Description = "Output folder.", DefaultValueFactory = _ => "out/sample" };
        var images = new Option<int>("--images-per-prompt") { Description = "Images per prompt.", DefaultValueFactory = _ => 16 };
        var batch = new Option<int>("--batch-size") { Description = "Images per denoising batch.", DefaultValueFactory = _ => 8 };
        var steps = new Option<int>("--steps") { Description = "DPM-Solver++ steps.", DefaultValueFactory = _ => 50 };
        var guidance = new Option<double>("--guidance-scale") { Description = "CFG scale.", DefaultValueFactory = _ => 7.5 };
        var seed = new Option<long>("--seed") { Description = "Seed, re-applied before every prompt.", DefaultValueFactory = _ => 0 };
        var command = new Command("sample", "Evaluation sampling as the official inference.py.")
            { run, model, embeds, unet, device, prompts, prompt, category, output, images, batch, steps, guidance, seed };
        command.SetAction(r => Cli.Guard(() =>
        {
            var templates = (r.GetValue(prompts) is { } file ? PromptTemplates.ReadFile(file) : []).Concat(r.GetValue(prompt) ?? []).ToList();
            if (templates.Count == 0) throw new ArgumentException("give --prompts FILE or --prompt TEMPLATE");
            var weights = ConceptWeights.FromRun(r.GetValue(run), r.GetValue(model), r.GetValue(embeds), r.GetValue(unet));
            EvaluationSampler.Run(new EvaluationSampler.Settings(weights, templates, r.GetValue(category), r.GetValue(output)!)
            {
                ImagesPerPrompt = r.GetValue(images), BatchSize = r.GetValue(batch), Steps = r.GetValue(steps),
                GuidanceScale = r.GetValue(guidance), Seed = r.GetValue(seed), Device = r.GetValue(device),
            }, Console.Error.WriteLine);
        }));
        return command;
    }

    public static Command Attention()
    {
        var (run, model, embeds, unet, device) = WeightsOptions();
        var prompt = new Option<string[]>("--prompt") { Description = "Prompt (repeatable: one row each); {} = the concept.", Required = true };
        var category = new Option<string?>("--category") { Description = "Fill {} with \"<token> <category>\"." };
        var output = new Option<string>("--out") { Description = "PNG file.", DefaultValueFactory = _ => "out/attention.png" };
        var steps = new Option<int>("--steps") { Description = "DPM-Solver++ steps.", DefaultValueFactory = _ => 50 };
        var guidance = new Option<double>("--guidance-scale") { Description = "CFG scale.", DefaultValueFactory = _ => 7.5 };
        var seed = new Option<long>("--seed") { Description = "Seed.", DefaultValueFactory = _ => 0 };
        var command = new Command("attention", "Per-token cross-attention heatmaps (16 layers, all timesteps) over the generated image, one column per token.")
            { run, model, embeds, unet, device, prompt, category, output, steps, guidance, seed };
        command.SetAction(r => Cli.Guard(() =>
        {
            var weights = ConceptWeights.FromRun(r.GetValue(run), r.GetValue(model), r.GetValue(embeds), r.GetValue(unet));
            var (pipeline, token) = PersonalizedPipeline.Load(weights, r.GetValue(device));
            using var _ = pipeline;
            var options = new GenerationOptions { Steps = r.GetValue(steps), GuidanceScale = r.GetValue(guidance), Seed = r.GetValue(seed) };
            var rows = r.GetValue(prompt)!.Select(p => AttentionHeatmaps.Compute(pipeline, PersonalizedPipeline.Format(p, token, r.GetValue(category)), options)).ToList();
            HeatmapFigure.Save(rows, r.GetValue(output)!);
            foreach (var row in rows) row.Dispose();
            Console.Error.WriteLine($"Wrote {Path.GetFullPath(r.GetValue(output)!)}.");
        }));
        return command;
    }

    private static (Option<string?> Run, Option<string?> Model, Option<string?> Embeds, Option<string?> UNet, Option<string?> Device) WeightsOptions() => (
        new("--run") { Description = "A training output folder (run.json gives model, embedding, UNet)." },
        new("--model") { Description = "Base diffusers folder (overrides --run)." },
        new("--embeds") { Description = "learned_embeds.safetensors (overrides --run)." },
        new("--unet") { Description = "A fine-tuned unet/ folder (overrides --run)." },
        new("--device") { Description = "cpu, cuda or cuda:N." });
}
