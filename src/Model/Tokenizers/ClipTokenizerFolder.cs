using System.Text.Json;
using Repro.Model.IO;

namespace Repro.Model.Tokenizers;

/// <summary>Writes a Hugging Face CLIP tokenizer folder from the CLIP BPE vocabulary embedded in Repro.Model.</summary>
public static class ClipTokenizerFolder
{
    /// <param name="padToken">"!" as SD2.x pads, or "&lt;|endoftext|&gt;" as SD1.x and OpenAI CLIP do.</param>
    public static string Write(string dir, string padToken)
    {
        EmbeddedResources.CopyTo("clip-tokenizer/vocab.json", Path.Combine(dir, "vocab.json"));
        EmbeddedResources.CopyTo("clip-tokenizer/merges.txt", Path.Combine(dir, "merges.txt"));
        var config = new Dictionary<string, object>
        {
            ["bos_token"] = ClipTokenizer.DefaultBosToken, ["eos_token"] = ClipTokenizer.DefaultEosToken, ["unk_token"] = ClipTokenizer.DefaultEosToken,
            ["pad_token"] = padToken, ["model_max_length"] = ClipTokenizer.DefaultModelMaxLength, ["do_lower_case"] = true,
            ["tokenizer_class"] = "CLIPTokenizer",
        };
        AtomicFile.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return dir;
    }
}
