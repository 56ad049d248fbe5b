using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Repro.Build.Tasks;

/// <summary>
/// When the system libstdc++ does not define <see cref="Version"/>, marks that requirement weak in each of
/// <see cref="Libraries"/> so the dynamic loader accepts them. Idempotent; does nothing when the version exists.
/// </summary>
public sealed class WeakenMissingLibstdcxxVersion : Microsoft.Build.Utilities.Task
{
    public static readonly string[] DefaultSearchDirectories =
    [
        "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib",
    ];

    [Required] public ITaskItem[] Libraries { get; set; } = [];
    [Required] public string Version { get; set; } = "";

    /// <summary>An explicit libstdc++.so.6 to check; by default the first one in the standard directories.</summary>
    public string? SystemLibstdcxx { get; set; }

    public override bool Execute()
    {
        string? system = SystemLibstdcxx ?? FindSystemLibstdcxx();
        if (system is null)
        {
            Log.LogMessage(MessageImportance.Low, "No system libstdc++.so.6 found; native libraries left as they are.");
            return true;
        }
        if (SystemDefines(system, Version))
        {
            Log.LogMessage(MessageImportance.Low, $"{system} defines {Version}; nothing to patch.");
            return true;
        }
        foreach (var item in Libraries)
        {
            string path = item.ItemSpec;
            try
            {
                int changed = WeakenInPlace(path, Version);
                if (changed > 0)
                    Log.LogMessage(MessageImportance.Normal, $"Marked {Version} weak in {path} ({changed} entr{(changed == 1 ? "y" : "ies")}).");
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Log.LogError($"Could not patch {path}: {e.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }

    public static string? FindSystemLibstdcxx(IEnumerable<string>? directories = null) =>
        (directories ?? DefaultSearchDirectories).Select(d => Path.Combine(d, "libstdc++.so.6")).FirstOrDefault(File.Exists);

    public static bool SystemDefines(string library, string version) =>
        ElfSymbolVersions.Read(library).Definitions().Contains(version);

    /// <summary>Marks <paramref name="version"/> weak in the file; writes only when something changed.</summary>
    public static int WeakenInPlace(string path, string version)
    {
        var elf = ElfSymbolVersions.Read(path);
        int changed = elf.MarkWeak(version);
        if (changed == 0) return 0;
        string temp = path + ".repro-patch.tmp";
        File.WriteAllBytes(temp, elf.Bytes);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, File.GetUnixFileMode(path));
        File.Move(temp, path, overwrite: true);
        return changed;
    }
}
