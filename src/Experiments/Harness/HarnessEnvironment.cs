using Repro.Experiments.MiniWorld;
using Repro.Model.Pipeline;

namespace Repro.Experiments.Harness;

/// <summary>
/// What the user chose (the MSBuild properties / CLI options); null = the default. <see cref="ModelDir"/> null = the
/// miniature world (<see cref="HarnessEnvironment.MiniWorldDir"/>), "tiny" = the tiny random SD (pipeline checks only).
/// <see cref="MiniWorldDir"/> overrides where the miniature world is read from (tests, snapshots of a model in training).
/// <see cref="Threads"/>: torch CPU threads of a run (see <see cref="HarnessEnvironment.TorchThreads"/>).
/// </summary>
public sealed record HarnessOptions(string ConfigsDir, string Scale = HarnessOptions.DefaultScale, string? ModelDir = null, string? DataDir = null, string? EvalModels = null,
                                    string? Device = null, IReadOnlyList<string>? Concepts = null, string? OutputDir = null, string? CacheDir = null,
                                    string? MiniWorldDir = null, int? Threads = null)
{
    /// <summary>The scale a run uses when none is given (smoke is for CI: -p:Scale=smoke).</summary>
    public const string DefaultScale = "mini";

    /// <summary>The -p:ModelDir value that selects the tiny random Stable Diffusion (and tiny random evaluators).</summary>
    public const string TinyModel = "tiny";

    /// <summary>Environment variable that points the default model at another miniature-world folder (same layout).</summary>
    public const string MiniWorldVariable = "REPRO_MINIWORLD_DIR";
}

/// <summary>A concept of the data folder: id (folder name), super-category, animate (CoRe picks its prompt files by it).</summary>
public sealed record ConceptInfo(string Id, string Category, bool Animate);

/// <summary>
/// The resolved world a table runs in: base model (default: the miniature world's SD; "tiny": the tiny random SD),
/// evaluators (default: the miniature world's CLIP and no DINO; with the tiny model: tiny random CLIP + DINO), concept
/// data (default: the miniature world's subjects), prompt files, cache and output folders. <see cref="DinoDir"/> is null
/// when no DINO exists; <see cref="DinoUnavailable"/> then says why (the DINO rows are reported, never measured).
/// </summary>
public sealed record HarnessEnvironment(HarnessOptions Options, string ModelDir, bool TinyModel, string ClipDir, string? DinoDir, bool RandomEvaluators,
                                        string DataDir, bool MiniWorldData, IReadOnlyList<ConceptInfo> Concepts, string PromptsDir, string CacheDir, string OutputDir,
                                        bool MiniWorldModel = false, string? DinoUnavailable = null)
{
    public const string DinoNotInMiniWorld = "not available in the miniature world";

    /// <summary>
    /// Torch CPU threads for a run: the option, else 1 for the miniature world and the tiny model (their tensors are
    /// too small to split: on 2 cores beside another job, 2 threads took 16× the CPU time of 1 for the same cells),
    /// else null (torch's default).
    /// </summary>
    public int? TorchThreads => Options.Threads ?? (MiniWorldModel || TinyModel ? 1 : null);

    /// <summary>
    /// The miniature world's folder: the option, else $REPRO_MINIWORLD_DIR, else &lt;repo&gt;/models/miniworld with
    /// &lt;repo&gt; = the parent of the paper-configs folder (never the current directory).
    /// </summary>
    public static string MiniWorldDir(HarnessOptions o) =>
        Path.GetFullPath(o.MiniWorldDir ?? (Environment.GetEnvironmentVariable(HarnessOptions.MiniWorldVariable) is { Length: > 0 } v ? v
                         : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(o.ConfigsDir).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar))!, "models", "miniworld")));

    public static HarnessEnvironment Resolve(HarnessOptions o, Action<string> log)
    {
        string cache = Path.GetFullPath(o.CacheDir ?? Path.Combine("out", "cache"));
        string output = Path.GetFullPath(o.OutputDir ?? (o.Scale == "smoke" ? Path.Combine("out", "smoke") : "results"));
        using var setup = FileLock.Acquire(Path.Combine(cache, "setup.lock"), log);
        bool tiny = string.Equals(o.ModelDir, HarnessOptions.TinyModel, StringComparison.OrdinalIgnoreCase), miniWorld = o.ModelDir is null;
        string model = tiny ? TinyRandomModel.EnsureWritten(Path.Combine(cache, "models", "tiny-random-sd"), seed: 0)
                     : miniWorld ? RequireMiniWorld(MiniWorldDir(o))
                     : RequireDir(o.ModelDir!, "-p:ModelDir (a diffusers Stable Diffusion folder, or \"tiny\" for the tiny random model)");
        string clip;
        string? dino, dinoUnavailable = null;
        if (o.EvalModels is { } eval)
        {
            clip = RequireDir(Path.Combine(eval, "clip"), "-p:EvalModels/clip (transformers CLIP, e.g. openai/clip-vit-base-patch32)");
            dino = RequireDir(Path.Combine(eval, "dino"), "-p:EvalModels/dino (transformers ViT, e.g. facebook/dino-vits16)");
        }
        else if (miniWorld)
        {
            clip = RequireDir(Path.Combine(model, "clip"), "the miniature world's evaluator CLIP (models/miniworld/clip, written by `repro miniworld pretrain --stage evaluator`)");
            string worldDino = Path.Combine(model, "dino");
            (dino, dinoUnavailable) = File.Exists(Path.Combine(worldDino, "model.safetensors")) ? (worldDino, null) : ((string?)null, DinoNotInMiniWorld);
        }
        else (clip, dino) = TinyEvaluators.EnsureWritten(Path.Combine(cache, "models", "tiny-random-eval"));
        string data;
        if (o.DataDir is { } d) data = RequireDir(d, "-p:DataDir (DreamBooth layout: <concept>/*.jpg|png)");
        else
        {
            data = Path.Combine(cache, "data", "miniworld");
            if (!File.Exists(Path.Combine(data, "concepts.csv"))) PersonalConcepts.WriteSubjects(data);
        }
        var concepts = ReadConcepts(data, Path.Combine(o.ConfigsDir, "concepts", "dreambooth_subjects.csv"));
        if (o.Concepts is { Count: > 0 } chosen)
        {
            var unknown = chosen.Where(c => concepts.All(k => k.Id != c)).ToList();
            if (unknown.Count > 0) throw new ArgumentException($"-p:Concepts: unknown concept(s) {string.Join(", ", unknown)} in {data} (available: {string.Join(", ", concepts.Select(c => c.Id))})");
            concepts = chosen.Select(c => concepts.First(k => k.Id == c)).ToList();
        }
        return new HarnessEnvironment(o, model, tiny, clip, dino, o.EvalModels is null && !miniWorld, data, o.DataDir is null, concepts,
                                      Path.Combine(o.ConfigsDir, "prompts"), cache, output, miniWorld, dinoUnavailable);
    }

    /// <summary>The miniature world's folder with a trained UNet, or an error naming the folder and the command that trains it.</summary>
    private static string RequireMiniWorld(string dir)
    {
        if (File.Exists(Path.Combine(dir, "unet", "config.json")) && File.Exists(Path.Combine(dir, "model_index.json"))) return dir;
        throw new DirectoryNotFoundException(
            $"{Path.Combine(dir, "unet")}: the miniature world's UNet is not there (the default model is the miniature world at {dir}). "
            + "Train it with `dotnet src/Experiments/bin/Release/net10.0/repro.dll miniworld pretrain --out models/miniworld --stage all` "
            + "(resumable; see docs/miniworld-pretraining.md), point -p:ModelDir at a diffusers Stable Diffusion folder, "
            + $"set {HarnessOptions.MiniWorldVariable} to another miniature-world folder, or check the pipeline only with -p:ModelDir=tiny (tiny random model).");
    }

    /// <summary>concepts.csv (id,category,animate,...) of the data folder, else the DreamBooth subject list (subject_name,class) for the folders present.</summary>
    public static IReadOnlyList<ConceptInfo> ReadConcepts(string dataDir, string dreamboothList)
    {
        string own = Path.Combine(dataDir, "concepts.csv");
        if (File.Exists(own))
            return File.ReadAllLines(own).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(','))
                       .Select(f => new ConceptInfo(f[0], f[1], f.Length > 2 && f[2] == "true")).ToList();
        if (!File.Exists(dreamboothList)) throw new FileNotFoundException($"{dreamboothList}: concept list not found (and {own} does not exist)");
        var classes = File.ReadAllLines(dreamboothList).Where(l => l.Length > 0 && !l.StartsWith('#')).Skip(1).Select(l => l.Split(','))
                          .ToDictionary(f => f[0].Trim(), f => f[1].Trim());
        var folders = Directory.GetDirectories(dataDir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var missing = folders.Where(f => !classes.ContainsKey(f!)).ToList();
        if (missing.Count > 0) throw new InvalidDataException($"{dataDir}: no category for concept folder(s) {string.Join(", ", missing)}: add a concepts.csv (id,category,animate)");
        return folders.Select(f => new ConceptInfo(f!, classes[f!], classes[f!] is "cat" or "dog")).ToList();
    }

    /// <summary>The prompt file of a protocol for a concept ("{kind}" = animate / inanimate), relative to the prompts folder.</summary>
    public string PromptFile(Definitions.PromptFiles files, ConceptInfo concept) =>
        (MiniWorldData ? files.Miniworld : files.Paper).Replace("{kind}", concept.Animate ? "animate" : "inanimate", StringComparison.Ordinal);

    private static string RequireDir(string dir, string what) =>
        Directory.Exists(dir) ? Path.GetFullPath(dir) : throw new DirectoryNotFoundException($"{dir}: {what} not found");
}
