using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.IO;

/// <summary>Reads and writes safetensors files (the format of Hugging Face checkpoints).</summary>
public static class Safetensors
{
    /// <summary>All tensors of a file or sharded index, on the CPU, in their stored dtypes.</summary>
    public static Dictionary<string, Tensor> Load(string path) => SafetensorsCheckpoint.Open(path).ReadAll();

    /// <summary>
    /// Writes tensors atomically (a temporary file renamed into place). Order is kept; the header is padded
    /// with spaces to a multiple of 8 bytes as the reference writer does.
    /// </summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var items = tensors.ToList();
        var duplicate = items.GroupBy(t => t.Key).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"{path}: tensor '{duplicate.Key}' given twice");

        var entries = new List<SafetensorsEntry>();
        long offset = 0;
        foreach (var (name, tensor) in items)
        {
            string dtype = SafetensorsDType.NameOf(tensor.dtype);
            long length = tensor.numel() * SafetensorsDType.SizeOf(tensor.dtype);
            entries.Add(new SafetensorsEntry(name, dtype, tensor.dtype, tensor.shape, offset, length));
            offset += length;
        }
        byte[] header = SafetensorsHeader.Serialize(entries, 0, metadata);
        int padded = (header.Length + 7) / 8 * 8;

        AtomicFile.Write(path, temp =>
        {
            using var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            Span<byte> length = stackalloc byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(header);
            for (int i = header.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var (_, tensor) in items) WriteData(stream, tensor);
            stream.Flush(flushToDisk: true);
        });
    }

    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(path, tensors.AsEnumerable(), metadata);

    private static void WriteData(Stream stream, Tensor tensor)
    {
        using var cpu = tensor.detach().cpu().contiguous();
        if (cpu.numel() > 0) stream.Write(cpu.bytes);
    }
}
