using System.Buffers.Binary;
using System.Text;
using Repro.Model.IO;

namespace Repro.Model.Tests.IO;

/// <summary>Hand-made broken files: each must give a clear error naming the file (and tensor), never a crash.</summary>
public sealed class MalformedSafetensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("repro-bad-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] File(string header, int dataBytes, long? declaredLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(declaredLength ?? json.Length));
        json.CopyTo(bytes, 8);
        return bytes;
    }

    private const string Good = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";

    public static TheoryData<string, byte[], string?, string> Cases() => new()
    {
        { "empty file", [], null, "shorter than the 8-byte header length" },
        { "only 5 bytes", [1, 2, 3, 4, 5], null, "shorter than the 8-byte header length" },
        { "header length past the end", File(Good, 8, declaredLength: 4096), null, "runs past the end of the file" },
        { "header length absurd", File(Good, 8, declaredLength: long.MaxValue), null, "exceeds" },
        { "header length zero", File(Good, 8, declaredLength: 0), null, "too small" },
        { "not JSON", File("{this is not json}", 0), null, "not valid JSON" },
        { "JSON array", File("""[1,2,3]   """, 0), null, "does not start with '{'" },
        { "truncated JSON", File("""{"a":{"dtype":"F32","shape":[2],""", 0), null, "not valid JSON" },
        { "unknown dtype", File("""{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}""", 8), "a", "unknown dtype 'Q4'" },
        { "dtype not a string", File("""{"a":{"dtype":4,"shape":[2],"data_offsets":[0,8]}}""", 8), "a", "dtype" },
        { "missing shape", File("""{"a":{"dtype":"F32","data_offsets":[0,8]}}""", 8), "a", "shape" },
        { "negative dimension", File("""{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", 8), "a", "non-negative integer" },
        { "fractional dimension", File("""{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}""", 8), "a", "non-negative integer" },
        { "missing offsets", File("""{"a":{"dtype":"F32","shape":[2]}}""", 8), "a", "data_offsets" },
        { "offsets of length 3", File("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}}""", 8), "a", "data_offsets" },
        { "offsets reversed", File("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", 8), "a", "end before they begin" },
        { "offsets out of range", File("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 4), "a", "run past the data section" },
        { "shape and length disagree", File("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8), "a", "needs 12 bytes but data_offsets span 8" },
        { "F16 length mismatch", File("""{"a":{"dtype":"F16","shape":[2,2],"data_offsets":[0,4]}}""", 4), "a", "needs 8 bytes" },
        { "overlapping tensors", File("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8), "b", "overlaps tensor 'a'" },
        { "gap between tensors", File("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12), "b", "unaccounted bytes" },
        { "trailing bytes", File(Good, 12), null, "belong to no tensor" },
        { "duplicate names", File("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8), "a", "appears twice" },
        { "entry not an object", File("""{"a":[1,2]}""", 0), "a", "not an object" },
        { "metadata not strings", File("""{"__metadata__":{"format":1},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8), null, "__metadata__ value 'format'" },
        { "shape overflows", File("""{"a":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,8]}}""", 8), "a", "overflows" },
        { "invalid UTF-8 header", InvalidUtf8(), null, "not valid" },
    };

    private static byte[] InvalidUtf8()
    {
        var bytes = File("""{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}""", 0);
        bytes[10] = 0xC3; // a lead byte followed by an ASCII byte
        bytes[11] = (byte)'x';
        return bytes;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bad_file_gives_a_clear_error(string description, byte[] content, string? tensor, string problem)
    {
        string path = Path.Combine(_dir, description.Replace(' ', '_') + ".safetensors");
        System.IO.File.WriteAllBytes(path, content);
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsCheckpoint.Open(path));
        Assert.Equal(path, e.File);
        Assert.Contains(path, e.Message);
        Assert.Equal(tensor, e.Tensor);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void The_good_file_used_by_the_cases_is_itself_valid()
    {
        string path = Path.Combine(_dir, "good.safetensors");
        System.IO.File.WriteAllBytes(path, File(Good, 8));
        Assert.Equal(new long[] { 2 }, SafetensorsCheckpoint.Open(path).Entry("a").Shape);
    }
}
