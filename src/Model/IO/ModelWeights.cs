namespace Repro.Model.IO;

/// <summary>
/// Finds the weights of one model folder as Hugging Face publishes it: <c>{name}.safetensors</c>, a sharded
/// <c>{name}.safetensors.index.json</c>, or their variants (<c>{name}.fp16.safetensors</c>). Pickles are refused.
/// </summary>
public static class ModelWeights
{
    /// <param name="baseName"><c>diffusion_pytorch_model</c> (diffusers) or <c>model</c> (transformers).</param>
    /// <param name="variant">e.g. <c>fp16</c>; null prefers the plain file and falls back to a lone variant.</param>
    public static string Resolve(string folder, string baseName, string? variant = null)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: model folder not found");
        string infix = variant is null ? "" : "." + variant;
        string[] candidates = [$"{baseName}{infix}.safetensors", $"{baseName}{infix}.safetensors.index.json"];
        foreach (string c in candidates)
        {
            string path = Path.Combine(folder, c);
            if (File.Exists(path)) return path;
        }
        if (variant is null)
        {
            var variants = Directory.GetFiles(folder, $"{baseName}.*.safetensors")
                .Concat(Directory.GetFiles(folder, $"{baseName}.*.safetensors.index.json"))
                .Where(p => !Path.GetFileName(p).StartsWith($"{baseName}-", StringComparison.Ordinal))
                .ToList();
            if (variants.Count == 1) return variants[0];
            if (variants.Count > 1)
                throw new FileNotFoundException($"{folder}: no {baseName}.safetensors but several variants ({string.Join(", ", variants.Select(Path.GetFileName))}); choose one with --variant");
        }
        var pickles = new[] { ".bin", ".ckpt", ".pt", ".pth" }
            .SelectMany(ext => Directory.GetFiles(folder, $"{baseName}*{ext}")).Select(Path.GetFileName).ToList();
        if (pickles.Count > 0)
            throw new NotSupportedException($"{folder}: only pickle weights ({string.Join(", ", pickles)}) were found; pickles are refused " +
                                            "because loading them can run arbitrary code. Convert the folder to safetensors first.");
        throw new FileNotFoundException($"{folder}: no weights found (looked for {string.Join(", ", candidates)})");
    }
}
