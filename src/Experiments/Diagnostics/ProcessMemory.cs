namespace Repro.Experiments.Diagnostics;

/// <summary>Resident memory of this process as the kernel reports it (Linux /proc; 0 elsewhere).</summary>
public static class ProcessMemory
{
    /// <summary>Peak resident set size (VmHWM) in bytes.</summary>
    public static long PeakRssBytes() => ReadStatusKb("VmHWM:") * 1024;

    /// <summary>Current resident set size (VmRSS) in bytes.</summary>
    public static long RssBytes() => ReadStatusKb("VmRSS:") * 1024;

    private static long ReadStatusKb(string field)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return 0;
        foreach (string line in File.ReadLines(status))
        {
            if (!line.StartsWith(field, StringComparison.Ordinal)) continue;
            var parts = line[field.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return long.TryParse(parts[0], out long kb) ? kb : 0;
        }
        return 0;
    }
}
