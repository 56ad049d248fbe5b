using System.Globalization;
using CsvHelper;

namespace Repro.Experiments.Harness;

/// <summary>Atomic writes (temp file + rename): a kill leaves the old file or the new one, never half of one.</summary>
public static class Atomic
{
    public static void WriteText(string path, string text) => Write(path, temp => File.WriteAllText(temp, text));

    public static void WriteCsv(string path, IEnumerable<string[]> rows) => Write(path, temp =>
    {
        using var writer = new StreamWriter(temp);
        using var csv = CsvWriter.Create(writer, null, leaveOpen: true);
        foreach (var row in rows) csv.WriteRecord(row);
    });

    public static void Write(string path, Action<string> write)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = $"{full}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            write(temp);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public static string Number(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);

    public static double Parse(string s) => s.Length == 0 ? double.NaN : double.Parse(s, CultureInfo.InvariantCulture);
}
