using System.Buffers.Binary;
using System.Text;

namespace Repro.Build.Tasks;

/// <summary>
/// Reads and edits the GNU symbol-versioning sections of a 64-bit little-endian ELF file:
/// SHT_GNU_verdef (versions a library defines) and SHT_GNU_verneed (versions it requires).
/// </summary>
public sealed class ElfSymbolVersions
{
    public const uint ShtGnuVerdef = 0x6ffffffd;
    public const uint ShtGnuVerneed = 0x6ffffffe;
    public const ushort VerFlagWeak = 0x2;

    /// <summary>A required version: the library it comes from, its name, its flags and where the flags live.</summary>
    public sealed record Requirement(string File, string Name, ushort Flags, long FlagsOffset)
    {
        public bool IsWeak => (Flags & VerFlagWeak) != 0;
    }

    private readonly byte[] _bytes;
    private readonly string _path;
    private readonly List<(uint Type, long Offset, long Size, uint Link, uint Info)> _sections = new();

    private ElfSymbolVersions(string path, byte[] bytes)
    {
        _path = path;
        _bytes = bytes;
        ParseSectionHeaders();
    }

    public static ElfSymbolVersions Read(string path) => new(path, File.ReadAllBytes(path));

    public static ElfSymbolVersions Parse(string name, byte[] bytes) => new(name, bytes);

    public byte[] Bytes => _bytes;

    /// <summary>Every entry of SHT_GNU_verneed, in file order.</summary>
    public IReadOnlyList<Requirement> Requirements()
    {
        var result = new List<Requirement>();
        foreach (var s in _sections.Where(s => s.Type == ShtGnuVerneed))
        {
            long entry = s.Offset;
            for (uint i = 0; i < s.Info; i++)
            {
                Need(entry + 16, "verneed entry");
                ushort count = U16(entry + 2);
                string file = String(s.Link, U32(entry + 4));
                long aux = entry + U32(entry + 8);
                for (int j = 0; j < count; j++)
                {
                    Need(aux + 16, "vernaux entry");
                    ushort flags = U16(aux + 4);
                    result.Add(new Requirement(file, String(s.Link, U32(aux + 8)), flags, aux + 4));
                    uint nextAux = U32(aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = U32(entry + 12);
                if (next == 0) break;
                entry += next;
            }
        }
        return result;
    }

    /// <summary>Every version name in SHT_GNU_verdef (the library's own name first).</summary>
    public IReadOnlyList<string> Definitions()
    {
        var result = new List<string>();
        foreach (var s in _sections.Where(s => s.Type == ShtGnuVerdef))
        {
            long entry = s.Offset;
            for (uint i = 0; i < s.Info; i++)
            {
                Need(entry + 20, "verdef entry");
                ushort count = U16(entry + 6);
                long aux = entry + U32(entry + 12);
                for (int j = 0; j < count; j++)
                {
                    Need(aux + 8, "verdaux entry");
                    result.Add(String(s.Link, U32(aux)));
                    uint nextAux = U32(aux + 4);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = U32(entry + 16);
                if (next == 0) break;
                entry += next;
            }
        }
        return result;
    }

    /// <summary>Sets VER_FLG_WEAK on every requirement named <paramref name="version"/>. Returns how many changed.</summary>
    public int MarkWeak(string version)
    {
        int changed = 0;
        foreach (var r in Requirements().Where(r => r.Name == version && !r.IsWeak))
        {
            BinaryPrimitives.WriteUInt16LittleEndian(_bytes.AsSpan((int)r.FlagsOffset, 2), (ushort)(r.Flags | VerFlagWeak));
            changed++;
        }
        return changed;
    }

    private void ParseSectionHeaders()
    {
        if (_bytes.Length < 64 || _bytes[0] != 0x7f || _bytes[1] != (byte)'E' || _bytes[2] != (byte)'L' || _bytes[3] != (byte)'F')
            throw new InvalidDataException($"{_path}: not an ELF file");
        if (_bytes[4] != 2 || _bytes[5] != 1)
            throw new InvalidDataException($"{_path}: only 64-bit little-endian ELF is supported");
        long shoff = (long)U64(0x28);
        ushort shentsize = U16(0x3A);
        ushort shnum = U16(0x3C);
        if (shnum == 0) return;
        if (shentsize < 64) throw new InvalidDataException($"{_path}: section header size {shentsize} is too small");
        Need(shoff + (long)shnum * shentsize, "section header table");
        for (int i = 0; i < shnum; i++)
        {
            long h = shoff + (long)i * shentsize;
            _sections.Add((U32(h + 4), (long)U64(h + 24), (long)U64(h + 32), U32(h + 40), U32(h + 44)));
        }
        foreach (var s in _sections.Where(s => s.Type is ShtGnuVerdef or ShtGnuVerneed))
            Need(s.Offset + s.Size, "versioning section");
    }

    private string String(uint section, uint offset)
    {
        if (section >= _sections.Count) throw new InvalidDataException($"{_path}: string table index {section} out of range");
        var table = _sections[(int)section];
        long start = table.Offset + offset;
        if (offset >= table.Size) throw new InvalidDataException($"{_path}: string offset {offset} past its table");
        long end = start;
        while (end < table.Offset + table.Size && _bytes[end] != 0) end++;
        return Encoding.ASCII.GetString(_bytes, (int)start, (int)(end - start));
    }

    private void Need(long end, string what)
    {
        if (end > _bytes.Length || end < 0) throw new InvalidDataException($"{_path}: truncated {what}");
    }

    private ushort U16(long at) { Need(at + 2, "field"); return BinaryPrimitives.ReadUInt16LittleEndian(_bytes.AsSpan((int)at, 2)); }
    private uint U32(long at) { Need(at + 4, "field"); return BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan((int)at, 4)); }
    private ulong U64(long at) { Need(at + 8, "field"); return BinaryPrimitives.ReadUInt64LittleEndian(_bytes.AsSpan((int)at, 8)); }
}
