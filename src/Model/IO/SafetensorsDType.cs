using TorchSharp;

namespace Repro.Model.IO;

/// <summary>The dtypes of the safetensors format that we read and write, with their torch equivalents.</summary>
public static class SafetensorsDType
{
    private static readonly Dictionary<string, (torch.ScalarType Type, int Size)> ByName = new()
    {
        ["F64"] = (torch.ScalarType.Float64, 8),
        ["F32"] = (torch.ScalarType.Float32, 4),
        ["F16"] = (torch.ScalarType.Float16, 2),
        ["BF16"] = (torch.ScalarType.BFloat16, 2),
        ["I64"] = (torch.ScalarType.Int64, 8),
        ["I32"] = (torch.ScalarType.Int32, 4),
        ["I16"] = (torch.ScalarType.Int16, 2),
        ["I8"] = (torch.ScalarType.Int8, 1),
        ["U8"] = (torch.ScalarType.Byte, 1),
        ["BOOL"] = (torch.ScalarType.Bool, 1),
    };

    public static bool TryParse(string name, out torch.ScalarType type, out int size)
    {
        bool ok = ByName.TryGetValue(name, out var entry);
        (type, size) = entry;
        return ok;
    }

    public static string NameOf(torch.ScalarType type) =>
        ByName.FirstOrDefault(p => p.Value.Type == type).Key
        ?? throw new ArgumentException($"dtype {type} cannot be stored in safetensors by this writer");

    public static int SizeOf(torch.ScalarType type) => ByName[NameOf(type)].Size;

    public static IEnumerable<string> Names => ByName.Keys;
}
