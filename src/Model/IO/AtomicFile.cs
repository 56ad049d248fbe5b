using System.Text;

namespace Repro.Model.IO;

/// <summary>
/// Writes that a kill cannot leave half done: the content goes to a unique temporary file beside the target, which is
/// then renamed over it. Readers see the old file or the new one.
/// </summary>
public static class AtomicFile
{
    /// <summary>Calls <paramref name="writeTemp"/> with a temporary path, then renames it to <paramref name="path"/>.</summary>
    public static void Write(string path, Action<string> writeTemp)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = $"{full}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            writeTemp(temp);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, temp => File.WriteAllBytes(temp, bytes));

    public static void WriteAllText(string path, string text) => Write(path, temp => File.WriteAllText(temp, text, new UTF8Encoding(false)));

    public static void WriteStream(string path, Action<Stream> write) => Write(path, temp =>
    {
        using var stream = File.Create(temp);
        write(stream);
    });
}
