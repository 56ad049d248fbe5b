using Repro.Model.IO;
using System.Globalization;
using CsvHelper;

namespace Repro.Experiments.Harness;

/// <summary>CSV written atomically, and the number format of the harness's CSV files (round-trip, NaN = empty).</summary>
public static class Atomic
{
    public static void WriteCsv(string path, IEnumerable<string[]> rows) => AtomicFile.Write(path, temp =>
    {
        using var writer = new StreamWriter(temp);
        using var csv = CsvWriter.Create(writer, null, leaveOpen: true);
        foreach (var row in rows) csv.WriteRecord(row);
    });

    public static string Number(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);

    public static double Parse(string s) => s.Length == 0 ? double.NaN : double.Parse(s, CultureInfo.InvariantCulture);
}
