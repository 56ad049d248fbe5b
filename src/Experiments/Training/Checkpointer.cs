using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Repro.Model.IO;
using static TorchSharp.torch;

namespace Repro.Experiments.Training;

/// <summary>
/// Checkpoints of one stage as <c>checkpoint-N/</c> folders holding <c>state.safetensors</c> (weights, optimizer state,
/// RNG state) and <c>state.json</c> (step, resolved config). Each is written to a temporary folder and renamed into
/// place, so a kill at any moment leaves either the previous set or the new one; older ones are rotated out after.
/// </summary>
public sealed class Checkpointer(string folder, int totalLimit = 1)
{
    public const string TensorsFile = "state.safetensors";
    public const string MetaFile = "state.json";

    public string Folder { get; } = folder;

    /// <summary>Completed checkpoints, oldest first.</summary>
    public IReadOnlyList<int> Steps()
    {
        if (!Directory.Exists(Folder)) return [];
        return Directory.EnumerateDirectories(Folder, "checkpoint-*")
            .Select(d => Path.GetFileName(d)["checkpoint-".Length..])
            .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : -1)
            .Where(n => n >= 0 && File.Exists(Path.Combine(PathOf(n), MetaFile)))
            .Order().ToList();
    }

    /// <summary>The latest complete checkpoint's step, or null ("resume from latest").</summary>
    public int? Latest() => Steps() is { Count: > 0 } s ? s[^1] : null;

    public string PathOf(int step) => Path.Combine(Folder, $"checkpoint-{step}");

    /// <summary>Writes checkpoint <paramref name="step"/> atomically, then keeps only the newest <c>totalLimit</c>.</summary>
    public void Save(int step, IEnumerable<KeyValuePair<string, Tensor>> tensors, JsonObject meta)
    {
        string target = PathOf(step);
        string temp = Path.Combine(Folder, $".checkpoint-{step}.{Environment.ProcessId}.tmp");
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);
        var cpu = tensors.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.detach().cpu().contiguous())).ToList();
        try
        {
            Safetensors.Save(Path.Combine(temp, TensorsFile), cpu);
        }
        finally
        {
            foreach (var (_, t) in cpu) t.Dispose();
        }
        meta["step"] = step;
        File.WriteAllText(Path.Combine(temp, MetaFile), meta.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        Directory.Move(temp, target);
        foreach (int old in Steps().SkipLast(Math.Max(totalLimit, 1))) Directory.Delete(PathOf(old), recursive: true);
    }

    /// <summary>Reads checkpoint <paramref name="step"/>: its tensors (CPU) and its metadata.</summary>
    public (Dictionary<string, Tensor> Tensors, JsonObject Meta) Load(int step)
    {
        string dir = PathOf(step);
        var meta = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, MetaFile))) as JsonObject
                   ?? throw new InvalidDataException($"{Path.Combine(dir, MetaFile)}: not a JSON object");
        return (Safetensors.Load(Path.Combine(dir, TensorsFile)), meta);
    }

    /// <summary>Removes every checkpoint (after the stage's outputs are safely written).</summary>
    public void DeleteAll()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
    }
}
