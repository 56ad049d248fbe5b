using System.Security.Cryptography;
using Repro.Model.IO;

namespace Repro.Experiments.Evaluation;

/// <summary>SHA-256 of a transformers model folder's config.json and weights file: part of a scorer's cache id.</summary>
public static class ModelFolderHash
{
    public static string Compute(string folder)
    {
        string config = Path.Combine(folder, "config.json");
        if (!File.Exists(config)) throw new FileNotFoundException($"{config}: model config not found", config);
        string weights = ModelWeights.Resolve(folder, "model");
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(File.ReadAllBytes(config));
        using (var stream = File.OpenRead(weights))
        {
            var buffer = new byte[1 << 20];
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0) sha.AppendData(buffer, 0, read);
        }
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }
}
