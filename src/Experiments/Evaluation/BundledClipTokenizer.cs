using Repro.Model.Pipeline;

namespace Repro.Experiments.Evaluation;

/// <summary>The OpenAI CLIP BPE files embedded in Repro.Model, written once to a temp folder for <c>ClipTokenizer.FromFolder</c>.</summary>
internal static class BundledClipTokenizer
{
    public static string Folder()
    {
        string dir = Path.Combine(Path.GetTempPath(), "repro-clip-tokenizer");
        foreach (string name in new[] { "vocab.json", "merges.txt" })
        {
            string path = Path.Combine(dir, name);
            if (File.Exists(path)) continue;
            Directory.CreateDirectory(dir);
            using var stream = typeof(ImageIO).Assembly.GetManifestResourceStream("clip-tokenizer/" + name)
                               ?? throw new InvalidOperationException($"embedded resource 'clip-tokenizer/{name}' is missing from Repro.Model");
            string temp = path + $".{Environment.ProcessId}.tmp";
            using (var file = File.Create(temp)) stream.CopyTo(file);
            File.Move(temp, path, overwrite: true);
        }
        return dir;
    }
}
