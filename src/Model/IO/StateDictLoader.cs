using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.IO;

/// <summary>
/// Strict loading of a checkpoint into a module: every key of the module must be in the checkpoint with the same
/// shape, and every key of the checkpoint must be in the module (except those the model declares ignorable).
/// Tensors are read and copied one at a time, so peak memory stays near the model's own size.
/// </summary>
public static class StateDictLoader
{
    /// <param name="rename">Maps a checkpoint key to the module's key (diffusers' legacy VAE names), or null.</param>
    /// <param name="ignoreUnexpected">Checkpoint keys that may be present and are skipped (e.g. old position_ids).</param>
    public static void Load(nn.Module module, SafetensorsCheckpoint checkpoint,
                            Func<string, string>? rename = null, Func<string, bool>? ignoreUnexpected = null)
    {
        var expected = module.state_dict();
        var byModuleKey = new Dictionary<string, string>();
        var unexpected = new List<string>();
        foreach (string key in checkpoint.Names)
        {
            string target = rename?.Invoke(key) ?? key;
            if (expected.ContainsKey(target)) byModuleKey[target] = key;
            else if (ignoreUnexpected?.Invoke(key) != true) unexpected.Add(key);
        }
        var missing = expected.Keys.Where(k => !byModuleKey.ContainsKey(k)).ToList();
        var shapes = new List<string>();
        foreach (var (target, key) in byModuleKey)
        {
            long[] stored = checkpoint.Entry(key).Shape;
            long[] wanted = expected[target].shape;
            if (!stored.SequenceEqual(wanted))
                shapes.Add($"{key}: checkpoint [{string.Join(", ", stored)}] vs model [{string.Join(", ", wanted)}]");
        }
        if (missing.Count > 0 || unexpected.Count > 0 || shapes.Count > 0)
            throw new CheckpointMismatchException(checkpoint.Path, missing, unexpected.Order().ToList(), shapes);

        using var _ = torch.no_grad();
        foreach (var (target, key) in byModuleKey)
        {
            using var value = checkpoint.Read(key);
            expected[target].copy_(value);
        }
    }

    /// <summary>Loads a state-dict file (or sharded index) strictly into <paramref name="module"/>.</summary>
    public static void Load(nn.Module module, string path, Func<string, string>? rename = null, Func<string, bool>? ignoreUnexpected = null) =>
        Load(module, SafetensorsCheckpoint.Open(path), rename, ignoreUnexpected);

    /// <summary>The module's state dict as (key, shape) pairs, for layout tests and diagnostics.</summary>
    public static IReadOnlyList<(string Key, long[] Shape)> Layout(nn.Module module) =>
        module.state_dict().Select(p => (p.Key, p.Value.shape)).ToList();
}
