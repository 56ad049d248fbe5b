using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TorchSharp;

namespace Repro.Model.IO;

/// <summary>One tensor's entry in a safetensors header; offsets are absolute positions in the file.</summary>
public sealed record SafetensorsEntry(string Name, string DType, torch.ScalarType ScalarType, long[] Shape, long Start, long Length);

/// <summary>
/// The validated header of a safetensors file: 8-byte little-endian header length, a JSON object, raw data.
/// Every entry is checked before any byte of data is trusted.
/// </summary>
public sealed class SafetensorsHeader
{
    /// <summary>The reference implementation refuses headers over 100 MB; so do we.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public string Path { get; }
    public IReadOnlyList<SafetensorsEntry> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public long DataStart { get; }

    private readonly Dictionary<string, SafetensorsEntry> _byName;

    private SafetensorsHeader(string path, List<SafetensorsEntry> entries, Dictionary<string, string> metadata, long dataStart)
    {
        Path = path;
        Entries = entries;
        Metadata = metadata;
        DataStart = dataStart;
        _byName = entries.ToDictionary(e => e.Name);
    }

    public SafetensorsEntry this[string name] =>
        _byName.TryGetValue(name, out var e) ? e : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");

    public bool Contains(string name) => _byName.ContainsKey(name);

    public static SafetensorsHeader Read(string path)
    {
        RefusePickle(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        using var stream = File.OpenRead(path);
        long fileLength = stream.Length;
        if (fileLength < 8) throw Fail(path, null, $"file is {fileLength} bytes, shorter than the 8-byte header length");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength < 2) throw Fail(path, null, $"header length {headerLength} is too small for a JSON object");
        if (headerLength > MaxHeaderBytes) throw Fail(path, null, $"header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit");
        if ((long)headerLength > fileLength - 8)
            throw Fail(path, null, $"header length {headerLength} runs past the end of the file ({fileLength} bytes)");
        var json = new byte[headerLength];
        stream.ReadExactly(json);
        long dataStart = 8 + (long)headerLength;
        return Parse(path, json, dataStart, fileLength - dataStart);
    }

    private static SafetensorsHeader Parse(string path, byte[] json, long dataStart, long dataLength)
    {
        if (json[0] != (byte)'{') throw Fail(path, null, "header does not start with '{'");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw Fail(path, null, $"header is not valid JSON ({e.Message})");
        }
        catch (ArgumentException e)
        {
            throw Fail(path, null, $"header is not valid UTF-8 JSON ({e.Message})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Fail(path, null, "header JSON is not an object");
            var entries = new List<SafetensorsEntry>();
            var metadata = new Dictionary<string, string>();
            var seen = new HashSet<string>();
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name)) throw Fail(path, property.Name, "appears twice in the header");
                if (property.Name == "__metadata__")
                    ReadMetadata(path, property.Value, metadata);
                else
                    entries.Add(ReadEntry(path, property.Name, property.Value, dataStart, dataLength));
            }
            CheckLayout(path, entries, dataStart, dataLength);
            return new SafetensorsHeader(path, entries, metadata, dataStart);
        }
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object) throw Fail(path, null, "__metadata__ is not an object");
        foreach (var p in value.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String) throw Fail(path, null, $"__metadata__ value '{p.Name}' is not a string");
            metadata[p.Name] = p.Value.GetString()!;
        }
    }

    private static SafetensorsEntry ReadEntry(string path, string name, JsonElement value, long dataStart, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object) throw Fail(path, name, "entry is not an object");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Fail(path, name, "missing or non-string 'dtype'");
        string dtype = dtypeElement.GetString()!;
        if (!SafetensorsDType.TryParse(dtype, out var scalarType, out int itemSize))
            throw Fail(path, name, $"unknown dtype '{dtype}' (supported: {string.Join(", ", SafetensorsDType.Names)})");
        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Fail(path, name, "missing or non-array 'shape'");
        var shape = new List<long>();
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0)
                throw Fail(path, name, $"shape entry {d.GetRawText()} is not a non-negative integer");
            shape.Add(dim);
        }
        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw Fail(path, name, "missing 'data_offsets' or it is not a [begin, end] pair");
        if (!offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end) || begin < 0 || end < 0)
            throw Fail(path, name, $"data_offsets {offsets.GetRawText()} are not non-negative integers");
        if (end < begin) throw Fail(path, name, $"data_offsets [{begin}, {end}] end before they begin");
        if (end > dataLength) throw Fail(path, name, $"data_offsets [{begin}, {end}] run past the data section ({dataLength} bytes)");
        long expected = itemSize;
        try
        {
            foreach (long d in shape) expected = checked(expected * d);
        }
        catch (OverflowException)
        {
            throw Fail(path, name, $"shape [{string.Join(", ", shape)}] overflows");
        }
        if (expected != end - begin)
            throw Fail(path, name, $"{dtype} shape [{string.Join(", ", shape)}] needs {expected} bytes but data_offsets span {end - begin}");
        return new SafetensorsEntry(name, dtype, scalarType, shape.ToArray(), dataStart + begin, end - begin);
    }

    /// <summary>Entries must tile the data section exactly: no overlap, no gap, nothing left over.</summary>
    private static void CheckLayout(string path, List<SafetensorsEntry> entries, long dataStart, long dataLength)
    {
        long cursor = dataStart;
        SafetensorsEntry? previous = null;
        foreach (var e in entries.OrderBy(e => e.Start).ThenBy(e => e.Length))
        {
            if (e.Start < cursor)
                throw Fail(path, e.Name, $"data overlaps tensor '{previous!.Name}'");
            if (e.Start > cursor)
                throw Fail(path, e.Name, $"{e.Start - cursor} unaccounted bytes before its data");
            cursor = e.Start + e.Length;
            previous = e;
        }
        if (cursor != dataStart + dataLength)
            throw Fail(path, null, $"{dataStart + dataLength - cursor} bytes after the last tensor belong to no tensor");
    }

    /// <summary>We never unpickle: .bin, .ckpt, .pt and .pth files are refused before they are opened.</summary>
    public static void RefusePickle(string path)
    {
        string ext = System.IO.Path.GetExtension(path).ToLowerInvariant();
        if (ext is ".bin" or ".ckpt" or ".pt" or ".pth" or ".pkl")
            throw new NotSupportedException(
                $"{path}: pickle checkpoints ({ext}) are refused because loading them can run arbitrary code; " +
                "convert the folder to safetensors first (for example with diffusers' save_pretrained(safe_serialization=True)).");
    }

    internal static SafetensorsFormatException Fail(string path, string? tensor, string problem) => new(path, tensor, problem);

    internal static byte[] Serialize(IEnumerable<SafetensorsEntry> entries, long dataStart, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) writer.WriteString(k, v);
                writer.WriteEndObject();
            }
            foreach (var e in entries)
            {
                writer.WriteStartObject(e.Name);
                writer.WriteString("dtype", e.DType);
                writer.WriteStartArray("shape");
                foreach (long d in e.Shape) writer.WriteNumberValue(d);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(e.Start - dataStart);
                writer.WriteNumberValue(e.Start - dataStart + e.Length);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    internal static string Describe(SafetensorsEntry e) => $"{e.DType}[{string.Join(", ", e.Shape)}]";

    internal static Encoding Utf8 { get; } = new UTF8Encoding(false, true);
}
