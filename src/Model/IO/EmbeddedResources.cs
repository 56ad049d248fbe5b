namespace Repro.Model.IO;

/// <summary>Files embedded in Repro.Model (the CLIP vocabulary, the tiny random model's configs).</summary>
public static class EmbeddedResources
{
    /// <summary>Writes the embedded resource <paramref name="name"/> (e.g. <c>clip-tokenizer/vocab.json</c>) to <paramref name="path"/>, atomically.</summary>
    public static void CopyTo(string name, string path)
    {
        var assembly = typeof(EmbeddedResources).Assembly;
        using var stream = assembly.GetManifestResourceStream(name)
                           ?? throw new InvalidOperationException($"embedded resource '{name}' is missing from {assembly.GetName().Name}");
        AtomicFile.WriteStream(path, stream.CopyTo);
    }
}
