using Repro.Model.Tokenizers;

namespace Repro.Experiments.Evaluation;

/// <summary>The OpenAI CLIP BPE files embedded in Repro.Model, written once to a temp folder for <c>ClipTokenizer.FromFolder</c>.</summary>
internal static class BundledClipTokenizer
{
    public static string Folder()
    {
        string dir = Path.Combine(Path.GetTempPath(), "repro-clip-tokenizer");
        return File.Exists(Path.Combine(dir, "tokenizer_config.json")) ? dir : ClipTokenizerFolder.Write(dir, ClipTokenizer.DefaultEosToken);
    }
}
