using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Repro.Experiments.Harness;

/// <summary>How a cell samples and scores (part of its identity).</summary>
public sealed record CellProtocol(string PromptFile, string PromptFileHash, int Prompts, int ImagesPerPrompt, int SamplingSteps, double GuidanceScale,
                                  string? Mention, string ClipTextRemoval, bool ExcludeTaggedPrompts, string EvaluatorsId);

/// <summary>
/// A cell = (resolved method config, concept, base model identity, seed) plus how it is sampled and scored. Its key is
/// the SHA-256 of that canonical JSON: two tables naming the same run (ADB "Ours" and Table 4 "Full Model") share it.
/// </summary>
public sealed record CellSpec(string Preset, JsonObject KeyConfig, string Concept, string Category, bool Animate, string DataId,
                              string ModelId, long Seed, CellProtocol Protocol)
{
    public string Key => Hash(Canonical());

    public string Canonical() => new JsonObject
    {
        ["preset"] = Preset, ["config"] = KeyConfig.DeepClone(), ["concept"] = Concept, ["category"] = Category, ["data"] = DataId,
        ["model"] = ModelId, ["seed"] = Seed, ["protocol"] = JsonSerializer.SerializeToNode(Protocol),
    }.ToJsonString();

    public static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();
}

/// <summary>Content identity of a folder (model or concept images): SHA-256 over every file's relative path, size, first and last MiB.</summary>
public static class FolderIdentity
{
    public static string Of(string folder, Func<string, bool>? include = null)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: folder not found");
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string file in Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string rel = Path.GetRelativePath(folder, file).Replace('\\', '/');
            if (include is not null && !include(rel)) continue;
            using var s = File.OpenRead(file);
            sha.AppendData(Encoding.UTF8.GetBytes($"{rel}\0{s.Length}\0"));
            var buffer = new byte[1 << 20];
            int n = s.Read(buffer, 0, buffer.Length);
            sha.AppendData(buffer, 0, n);
            if (s.Length > 2 * buffer.Length)
            {
                s.Seek(-buffer.Length, SeekOrigin.End);
                n = s.Read(buffer, 0, buffer.Length);
                sha.AppendData(buffer, 0, n);
            }
        }
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant()[..16];
    }
}
