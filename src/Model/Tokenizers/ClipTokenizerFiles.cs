using System.Text.Json;

namespace Repro.Model.Tokenizers;

/// <summary>Reads the Hugging Face tokenizer folder layout (vocab.json, merges.txt and the optional configs).</summary>
internal static class ClipTokenizerFiles
{
    // CLIPTokenizer keeps merges[1 : 49152 - 256 - 2 + 1] of merges.txt (the header line is skipped).
    public const int MaxMerges = 49152 - 256 - 2;

    public static Dictionary<string, int> ReadVocab(string path, bool allowEmpty = false)
    {
        using var doc = ParseJson(path);
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{path}: expected a JSON object of token -> id.");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int id))
                throw new InvalidDataException($"{path}: id of token '{p.Name}' is not an integer.");
            vocab[p.Name] = id;
        }
        if (vocab.Count == 0 && !allowEmpty) throw new InvalidDataException($"{path}: the vocabulary is empty.");
        return vocab;
    }

    public static List<(string, string)> ReadMerges(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"CLIP tokenizer file not found: {path}", path);
        string[] lines = File.ReadAllText(path).Trim().Split('\n');
        var merges = new List<(string, string)>(Math.Min(lines.Length, MaxMerges));
        for (int i = 1; i < lines.Length && merges.Count < MaxMerges; i++)
        {
            string[] parts = lines[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
                throw new InvalidDataException($"{path}: line {i + 1} is not a merge pair: '{lines[i].TrimEnd()}'.");
            merges.Add((parts[0], parts[1]));
        }
        return merges;
    }

    /// <summary>Special tokens and model_max_length from tokenizer_config.json, overridden by special_tokens_map.json.</summary>
    public static Dictionary<string, JsonElement> ReadConfig(string dir)
    {
        var settings = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (string name in new[] { "tokenizer_config.json", "special_tokens_map.json" })
        {
            string path = Path.Combine(dir, name);
            if (!File.Exists(path)) continue;
            using var doc = ParseJson(path);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: expected a JSON object.");
            foreach (var p in doc.RootElement.EnumerateObject())
                settings[p.Name] = p.Value.Clone();
        }
        return settings;
    }

    /// <summary>A special-token entry: a plain string or an object with a "content" field (null when absent).</summary>
    public static string? TokenContent(Dictionary<string, JsonElement> settings, string key)
    {
        if (!settings.TryGetValue(key, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object when v.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String
                => c.GetString(),
            JsonValueKind.Null => null,
            _ => throw new InvalidDataException($"tokenizer config: '{key}' must be a string or an object with \"content\"."),
        };
    }

    /// <summary>added_tokens.json (token -> id), in id order; empty when the file is absent.</summary>
    public static List<(string Token, int Id)> ReadAddedTokens(string dir)
    {
        string path = Path.Combine(dir, "added_tokens.json");
        if (!File.Exists(path)) return [];
        var map = ReadVocab(path, allowEmpty: true);
        return map.Select(p => (p.Key, p.Value)).OrderBy(p => p.Value).ToList();
    }

    private static JsonDocument ParseJson(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"CLIP tokenizer file not found: {path}", path);
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: malformed JSON ({e.Message})", e);
        }
    }
}
