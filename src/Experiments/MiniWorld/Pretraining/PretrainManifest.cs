using Repro.Model.IO;
using System.Text.Json;
using System.Text.Json.Nodes;
using Repro.Model.Clip;
using Repro.Model.Schedulers;
using Repro.Model.Tokenizers;
using Repro.Model.UNet;
using Repro.Model.Vae;

namespace Repro.Experiments.MiniWorld.Pretraining;

/// <summary>
/// manifest.json of the model folder: every file's SHA-256 and size, each stage's settings (seeds, steps), progress
/// and latest held-out metrics, and the loss-curve files (listed like every other file).
/// </summary>
public static class PretrainManifest
{
    public const string FileName = "manifest.json";

    public static void Write(string root)
    {
        root = Path.GetFullPath(root);
        var files = new JsonArray();
        foreach (string rel in ListFiles(root))
        {
            string full = Path.Combine(root, rel);
            try { files.Add(new JsonObject { ["path"] = rel, ["bytes"] = new FileInfo(full).Length, ["sha256"] = StageTrainer.Sha256(full) }); }
            catch (FileNotFoundException) { }   // replaced by a stage running beside this one (--parallel); its next write lists it
        }
        var stages = new JsonObject();
        foreach (string state in Directory.Exists(Path.Combine(root, "state")) ? Directory.GetFiles(Path.Combine(root, "state"), "*.json").Order().ToArray() : [])
        {
            var s = StageTrainer.ReadState(state);
            stages[s.Settings.Stage] = new JsonObject
            {
                ["settings"] = JsonSerializer.SerializeToNode(s.Settings), ["step"] = s.Step, ["seconds"] = Math.Round(s.Seconds, 1),
                ["stop_step"] = s.StopStep ?? s.Settings.TotalSteps, ["complete"] = s.Complete, ["latest_eval"] = LatestEval(root, s.Settings.Stage),
            };
        }
        var manifest = new JsonObject
        {
            ["world_seed"] = WorldBatch.WorldSeed, ["regenerate"] = "repro miniworld pretrain --out <folder> --stage all (resumable; run until every stage is complete)",
            ["stages"] = stages, ["files"] = files,
        };
        AtomicFile.WriteAllText(Path.Combine(root, FileName), manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    private static JsonObject LatestEval(string root, string stage)
    {
        var result = new JsonObject();
        string path = Path.Combine(root, "curves", stage + "-eval.csv");
        if (!File.Exists(path)) return result;
        foreach (string line in File.ReadLines(path).Skip(1).Where(l => l.Length > 0))
        {
            var parts = line.Split(',');
            result[parts[2]] = double.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture);
        }
        return result;
    }

    /// <summary>Files under the root (relative, '/'-separated, sorted), without the manifest, temporary files and thread requests.</summary>
    public static List<string> ListFiles(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(f => f != FileName && !f.EndsWith(".tmp", StringComparison.Ordinal) && !f.EndsWith(".threads", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();

    /// <summary>Problems found (empty when the folder matches its manifest and every present model loads).</summary>
    public static List<string> Verify(string root)
    {
        root = Path.GetFullPath(root);
        var problems = new List<string>();
        string path = Path.Combine(root, FileName);
        if (!File.Exists(path)) return [$"{path}: manifest not found"];
        var manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var listed = new HashSet<string>();
        foreach (var entry in manifest["files"]!.AsArray())
        {
            string rel = entry!["path"]!.GetValue<string>();
            listed.Add(rel);
            string full = Path.Combine(root, rel);
            if (!File.Exists(full)) { problems.Add($"{rel}: missing"); continue; }
            if (StageTrainer.Sha256(full) != entry["sha256"]!.GetValue<string>()) problems.Add($"{rel}: SHA-256 differs from the manifest");
        }
        foreach (string rel in ListFiles(root).Where(f => !listed.Contains(f))) problems.Add($"{rel}: not in the manifest");
        problems.AddRange(CheckLoaders(root));
        return problems;
    }

    /// <summary>Loads every model folder that has weights through the loaders the experiments use.</summary>
    public static List<string> CheckLoaders(string root)
    {
        var problems = new List<string>();
        void Try(string folder, string weights, Action<string> load)
        {
            string dir = Path.Combine(root, folder);
            if (!File.Exists(Path.Combine(dir, weights))) return;
            try { load(dir); }
            catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or ArgumentException or InvalidOperationException or KeyNotFoundException)
            {
                problems.Add($"{folder}/: does not load ({e.Message})");
            }
        }
        Try("vae", "diffusion_pytorch_model.safetensors", d => AutoencoderKL.FromPretrained(d).Dispose());
        Try("unet", "diffusion_pytorch_model.safetensors", d => UNet2DConditionModel.FromPretrained(d).Dispose());
        Try("text_encoder", "model.safetensors", d => CLIPTextModel.FromPretrained(d).Dispose());
        Try("clip", "model.safetensors", d => CLIPModel.FromPretrained(d).Dispose());
        Try("dino", "model.safetensors", d => Model.Vit.ViTModel.FromPretrained(d, addPoolingLayer: false).Dispose());
        Try("tokenizer", "vocab.json", d => ClipTokenizer.FromFolder(d));
        Try("scheduler", "scheduler_config.json", d => SchedulerFactory.FromFolder(d));
        return problems;
    }
}
