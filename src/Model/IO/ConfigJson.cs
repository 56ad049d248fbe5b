using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Repro.Model.IO;

/// <summary>A config read from a Hugging Face <c>config.json</c>, with the keys that no property maps.</summary>
public sealed record ConfigFile<T>(string Path, T Config, IReadOnlyList<string> UnknownKeys);

/// <summary>
/// Reads Hugging Face config files (diffusers <c>config.json</c>, <c>scheduler_config.json</c>, transformers configs).
/// Keys starting with '_' are metadata and ignored, as diffusers' <c>extract_init_dict</c> does; keys that no
/// property maps are reported; bare <c>NaN</c>/<c>Infinity</c>/<c>-Infinity</c> (written by Python's json) are accepted.
/// </summary>
public static class ConfigJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    public static ConfigFile<T> Read<T>(string path, IEnumerable<string>? ignoredKeys = null)
    {
        var node = ReadObject(path);
        T config;
        try
        {
            config = node.Deserialize<T>(Options) ?? throw new InvalidDataException($"{path}: config is null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {(e.Path is { } p ? $"key {p}: " : "")}{e.Message}", e);
        }
        var mapped = MappedKeys(typeof(T));
        var ignored = new HashSet<string>(ignoredKeys ?? []);
        var unknown = node.Select(p => p.Key).Where(k => !k.StartsWith('_') && !mapped.Contains(k) && !ignored.Contains(k)).ToList();
        if (config is IValidatedConfig validated) validated.Validate(path);
        return new ConfigFile<T>(path, config, unknown);
    }

    /// <summary>The JSON object of a config file, with Python's non-standard float literals made readable.</summary>
    public static JsonObject ReadObject(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: config file not found", path);
        string text = QuoteNonFiniteLiterals(File.ReadAllText(path));
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                   ?? throw new InvalidDataException($"{path}: config is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>The JSON names of the properties of a config type.</summary>
    public static HashSet<string> MappedKeys(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name)
            .OfType<string>()
            .ToHashSet();

    /// <summary>Rewrites bare NaN, Infinity and -Infinity tokens (outside strings) as JSON strings.</summary>
    public static string QuoteNonFiniteLiterals(string json)
    {
        var sb = new StringBuilder(json.Length + 16);
        bool inString = false;
        for (int i = 0; i < json.Length; i++)
        {
            char c = json[i];
            if (inString)
            {
                sb.Append(c);
                if (c == '\\' && i + 1 < json.Length) sb.Append(json[++i]);
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"') { inString = true; sb.Append(c); continue; }
            string? literal = new[] { "-Infinity", "Infinity", "NaN" }.FirstOrDefault(l => string.CompareOrdinal(json, i, l, 0, l.Length) == 0);
            if (literal is not null)
            {
                sb.Append('"').Append(literal).Append('"');
                i += literal.Length - 1;
                continue;
            }
            sb.Append(c);
        }
        return sb.ToString();
    }
}

/// <summary>A config type that checks its own values after reading; errors name the file and the key.</summary>
public interface IValidatedConfig
{
    void Validate(string path);
}

/// <summary>Reads a JSON value that is either one integer or a list of integers (diffusers' attention_head_dim).</summary>
public sealed class IntOrListConverter : JsonConverter<int[]>
{
    public override int[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number) return [reader.GetInt32()];
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("expected an integer or a list of integers");
        var values = new List<int>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number) throw new JsonException("expected an integer in the list");
            values.Add(reader.GetInt32());
        }
        return values.ToArray();
    }

    public override void Write(Utf8JsonWriter writer, int[] value, JsonSerializerOptions options)
    {
        if (value.Length == 1) { writer.WriteNumberValue(value[0]); return; }
        writer.WriteStartArray();
        foreach (int v in value) writer.WriteNumberValue(v);
        writer.WriteEndArray();
    }
}
