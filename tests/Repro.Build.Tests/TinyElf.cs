using System.Buffers.Binary;
using System.Text;

namespace Repro.Build.Tests;

/// <summary>Writes a minimal 64-bit little-endian ELF with .dynstr, .gnu.version_r and .gnu.version_d sections.</summary>
internal static class TinyElf
{
    /// <param name="needs">Per required library: its file name and (version, flags) entries.</param>
    /// <param name="defines">Version names the file defines (verdef), empty for none.</param>
    public static byte[] Build(IReadOnlyList<(string File, (string Name, ushort Flags)[] Versions)> needs, IReadOnlyList<string> defines)
    {
        var dynstr = new MemoryStream();
        dynstr.WriteByte(0);
        uint Str(string s)
        {
            uint at = (uint)dynstr.Length;
            var b = Encoding.ASCII.GetBytes(s);
            dynstr.Write(b);
            dynstr.WriteByte(0);
            return at;
        }

        var verneed = new List<byte>();
        for (int i = 0; i < needs.Count; i++)
        {
            var (file, versions) = needs[i];
            var entry = new byte[16];
            W16(entry, 0, 1);
            W16(entry, 2, (ushort)versions.Length);
            W32(entry, 4, Str(file));
            W32(entry, 8, 16);
            W32(entry, 12, i == needs.Count - 1 ? 0u : (uint)(16 + 16 * versions.Length));
            verneed.AddRange(entry);
            for (int j = 0; j < versions.Length; j++)
            {
                var aux = new byte[16];
                W32(aux, 0, 0x1234);
                W16(aux, 4, versions[j].Flags);
                W16(aux, 6, (ushort)(2 + j));
                W32(aux, 8, Str(versions[j].Name));
                W32(aux, 12, j == versions.Length - 1 ? 0u : 16u);
                verneed.AddRange(aux);
            }
        }

        var verdef = new List<byte>();
        for (int i = 0; i < defines.Count; i++)
        {
            var entry = new byte[20];
            W16(entry, 0, 1);
            W16(entry, 4, (ushort)(i + 1));
            W16(entry, 6, 1);
            W32(entry, 12, 20);
            W32(entry, 16, i == defines.Count - 1 ? 0u : 28u);
            verdef.AddRange(entry);
            var aux = new byte[8];
            W32(aux, 0, Str(defines[i]));
            verdef.AddRange(aux);
        }

        var shstr = new MemoryStream();
        shstr.WriteByte(0);
        uint Sh(string s)
        {
            uint at = (uint)shstr.Length;
            shstr.Write(Encoding.ASCII.GetBytes(s));
            shstr.WriteByte(0);
            return at;
        }
        uint nDynstr = Sh(".dynstr"), nNeed = Sh(".gnu.version_r"), nDef = Sh(".gnu.version_d"), nShstr = Sh(".shstrtab");

        var body = new List<byte>(new byte[64]);
        long oDynstr = body.Count; body.AddRange(dynstr.ToArray());
        long oNeed = body.Count; body.AddRange(verneed);
        long oDef = body.Count; body.AddRange(verdef);
        long oShstr = body.Count; body.AddRange(shstr.ToArray());
        while (body.Count % 8 != 0) body.Add(0);
        long shoff = body.Count;

        var sections = new List<byte[]>
        {
            new byte[64],
            Section(nDynstr, 3, oDynstr, dynstr.Length, 0, 0),
            Section(nNeed, 0x6ffffffe, oNeed, verneed.Count, 1, (uint)needs.Count),
            Section(nDef, 0x6ffffffd, oDef, verdef.Count, 1, (uint)defines.Count),
            Section(nShstr, 3, oShstr, shstr.Length, 0, 0),
        };
        foreach (var s in sections) body.AddRange(s);

        var bytes = body.ToArray();
        bytes[0] = 0x7f; bytes[1] = (byte)'E'; bytes[2] = (byte)'L'; bytes[3] = (byte)'F';
        bytes[4] = 2; bytes[5] = 1; bytes[6] = 1;
        W16(bytes, 16, 3);      // ET_DYN
        W16(bytes, 18, 62);     // EM_X86_64
        W32(bytes, 20, 1);
        W64(bytes, 0x28, (ulong)shoff);
        W16(bytes, 0x34, 64);
        W16(bytes, 0x3A, 64);
        W16(bytes, 0x3C, (ushort)sections.Count);
        W16(bytes, 0x3E, 4);
        return bytes;
    }

    private static byte[] Section(uint name, uint type, long offset, long size, uint link, uint info)
    {
        var h = new byte[64];
        W32(h, 0, name);
        W32(h, 4, type);
        W64(h, 24, (ulong)offset);
        W64(h, 32, (ulong)size);
        W32(h, 40, link);
        W32(h, 44, info);
        W64(h, 48, 1);
        return h;
    }

    private static void W16(byte[] b, int at, ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(at), v);
    private static void W32(byte[] b, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v);
    private static void W64(byte[] b, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(at), v);
}
