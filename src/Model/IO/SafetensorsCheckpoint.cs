using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.IO;

/// <summary>
/// A checkpoint made of one safetensors file or of shards listed in a <c>*.safetensors.index.json</c>.
/// Headers are validated on open; tensor data is read one tensor at a time, on demand.
/// </summary>
public sealed class SafetensorsCheckpoint
{
    private readonly Dictionary<string, SafetensorsHeader> _owner = new();

    public string Path { get; }
    public IReadOnlyList<SafetensorsHeader> Files { get; }

    private SafetensorsCheckpoint(string path, IReadOnlyList<SafetensorsHeader> files)
    {
        Path = path;
        Files = files;
        foreach (var header in files)
        foreach (var e in header.Entries)
        {
            if (!_owner.TryAdd(e.Name, header))
                throw new SafetensorsFormatException(header.Path, e.Name, $"also stored in {_owner[e.Name].Path}");
        }
    }

    public IEnumerable<string> Names => _owner.Keys;

    public IEnumerable<SafetensorsEntry> Entries => Files.SelectMany(f => f.Entries);

    public bool Contains(string name) => _owner.ContainsKey(name);

    public SafetensorsEntry Entry(string name) => Header(name)[name];

    /// <summary>Opens a <c>.safetensors</c> file or a sharded <c>.safetensors.index.json</c>.</summary>
    public static SafetensorsCheckpoint Open(string path)
    {
        SafetensorsHeader.RefusePickle(path);
        if (path.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase))
            return new SafetensorsCheckpoint(path, ReadIndex(path).Select(SafetensorsHeader.Read).ToList());
        return new SafetensorsCheckpoint(path, [SafetensorsHeader.Read(path)]);
    }

    /// <summary>Reads one tensor onto the CPU in its stored dtype.</summary>
    public Tensor Read(string name)
    {
        var header = Header(name);
        var e = header[name];
        using var stream = new FileStream(header.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return ReadEntry(stream, header.Path, e);
    }

    /// <summary>Reads every tensor onto the CPU (small checkpoints and fixtures; models load tensor by tensor).</summary>
    public Dictionary<string, Tensor> ReadAll()
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var header in Files)
        {
            using var stream = new FileStream(header.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            foreach (var e in header.Entries) result[e.Name] = ReadEntry(stream, header.Path, e);
        }
        return result;
    }

    internal static Tensor ReadEntry(FileStream stream, string path, SafetensorsEntry e)
    {
        if (e.Length > int.MaxValue) throw new SafetensorsFormatException(path, e.Name, "tensors over 2 GiB are not supported");
        var tensor = torch.empty(e.Shape, e.ScalarType, device: CPU);
        if (e.Length == 0) return tensor;
        stream.Seek(e.Start, SeekOrigin.Begin);
        int read = stream.ReadAtLeast(tensor.bytes, (int)e.Length, throwOnEndOfStream: false);
        if (read < e.Length)
        {
            tensor.Dispose();
            throw new SafetensorsFormatException(path, e.Name, "file ended inside the tensor's data");
        }
        return tensor;
    }

    private SafetensorsHeader Header(string name) =>
        _owner.TryGetValue(name, out var h) ? h : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");

    /// <summary>The shard files of an index, in first-use order; names must stay inside the index's folder.</summary>
    private static List<string> ReadIndex(string indexPath)
    {
        if (!File.Exists(indexPath)) throw new FileNotFoundException($"{indexPath}: file not found", indexPath);
        string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(indexPath))!;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{indexPath}: not valid JSON ({e.Message})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object ||
                !doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{indexPath}: missing 'weight_map' object");
            var files = new List<string>();
            foreach (var p in map.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                    throw new InvalidDataException($"{indexPath}: weight_map entry '{p.Name}' is not a file name");
                string file = p.Value.GetString()!;
                if (file.Contains('/') || file.Contains('\\') || file == ".." || file.Length == 0)
                    throw new InvalidDataException($"{indexPath}: weight_map entry '{p.Name}' names '{file}', outside the index's folder");
                string full = System.IO.Path.Combine(dir, file);
                if (!files.Contains(full)) files.Add(full);
            }
            // The headers must then hold exactly the keys the index promises.
            var checkpoint = files.Select(SafetensorsHeader.Read).ToList();
            foreach (var p in map.EnumerateObject())
            {
                string full = System.IO.Path.Combine(dir, p.Value.GetString()!);
                if (!checkpoint.First(h => h.Path == full).Contains(p.Name))
                    throw new InvalidDataException($"{indexPath}: weight_map puts '{p.Name}' in {p.Value.GetString()}, which does not hold it");
            }
            return files;
        }
    }
}
