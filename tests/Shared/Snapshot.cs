using System.Runtime.CompilerServices;

namespace Repro.Tests;

/// <summary>
/// Text snapshots committed beside the tests (<c>__snapshots__/NAME.snap</c>). A missing or different snapshot fails
/// the test; snapshots are written only when <c>REPRO_UPDATE_SNAPSHOTS=1</c>, so CI can never create one silently.
/// </summary>
public static class Snapshot
{
    public static void Match(string name, string actual, [CallerFilePath] string testFile = "")
    {
        string dir = Path.Combine(Path.GetDirectoryName(testFile)!, "__snapshots__");
        string path = Path.Combine(dir, name + ".snap");
        string normalized = actual.ReplaceLineEndings("\n");
        if (Environment.GetEnvironmentVariable("REPRO_UPDATE_SNAPSHOTS") == "1")
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(path, normalized);
            return;
        }
        if (!File.Exists(path))
            throw new Xunit.Sdk.XunitException(
                $"Snapshot {path} is missing. Review the text below and create it with REPRO_UPDATE_SNAPSHOTS=1 dotnet test ...\n{normalized}");
        string expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        if (expected == normalized) return;
        var e = expected.Split('\n');
        var a = normalized.Split('\n');
        int line = Enumerable.Range(0, Math.Min(e.Length, a.Length)).FirstOrDefault(i => e[i] != a[i], Math.Min(e.Length, a.Length));
        throw new Xunit.Sdk.XunitException(
            $"Snapshot {path} differs at line {line + 1}:\n  expected: {(line < e.Length ? e[line] : "<end>")}\n  actual:   {(line < a.Length ? a[line] : "<end>")}\n" +
            "If the change is intended, rerun with REPRO_UPDATE_SNAPSHOTS=1 and review the diff.");
    }
}
