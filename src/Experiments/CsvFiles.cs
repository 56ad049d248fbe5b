using System.Globalization;
using CsvHelper;
using Repro.Model.IO;

namespace Repro.Experiments;

/// <summary>Result CSVs (CsvHelper, written atomically) and their number format: round-trip, invariant, NaN = empty.</summary>
public static class CsvFiles
{
    public static void Write(string path, IEnumerable<string[]> rows) => AtomicFile.Write(path, temp =>
    {
        using var writer = new StreamWriter(temp);
        using var csv = CsvWriter.Create(writer, null, leaveOpen: true);
        foreach (var row in rows) csv.WriteRecord(row);
    });

    public static string Number(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);

    public static double Parse(string s) => s.Length == 0 ? double.NaN : double.Parse(s, CultureInfo.InvariantCulture);
}
