using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Repro.Build.Tasks;

namespace Repro.Build.Tests;

public sealed class ElfPatchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("repro-elf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] TorchSharpLike() => TinyElf.Build(
        [
            ("libc.so.6", [("GLIBC_2.34", 0), ("GLIBC_2.2.5", 0)]),
            ("libstdc++.so.6", [("GLIBCXX_3.4.30", 0), ("GLIBCXX_3.4.32", 0), ("CXXABI_1.3.13", 0)]),
        ],
        []);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Requirements_are_read_with_their_files_and_flags()
    {
        var reqs = ElfSymbolVersions.Parse("tiny", TorchSharpLike()).Requirements();
        Assert.Equal(5, reqs.Count);
        Assert.Equal(["GLIBC_2.34", "GLIBC_2.2.5", "GLIBCXX_3.4.30", "GLIBCXX_3.4.32", "CXXABI_1.3.13"], reqs.Select(r => r.Name));
        Assert.All(reqs.Take(2), r => Assert.Equal("libc.so.6", r.File));
        Assert.All(reqs.Skip(2), r => Assert.Equal("libstdc++.so.6", r.File));
        Assert.All(reqs, r => Assert.False(r.IsWeak));
    }

    [Fact]
    public void Marking_weak_sets_only_the_named_version_and_is_idempotent()
    {
        string lib = Write("libLibTorchSharp.so", TorchSharpLike());
        Assert.Equal(1, WeakenMissingLibstdcxxVersion.WeakenInPlace(lib, "GLIBCXX_3.4.32"));
        byte[] once = File.ReadAllBytes(lib);
        var reqs = ElfSymbolVersions.Read(lib).Requirements();
        Assert.True(reqs.Single(r => r.Name == "GLIBCXX_3.4.32").IsWeak);
        Assert.Equal(ElfSymbolVersions.VerFlagWeak, reqs.Single(r => r.Name == "GLIBCXX_3.4.32").Flags);
        Assert.All(reqs.Where(r => r.Name != "GLIBCXX_3.4.32"), r => Assert.Equal(0, r.Flags));

        Assert.Equal(0, WeakenMissingLibstdcxxVersion.WeakenInPlace(lib, "GLIBCXX_3.4.32"));
        Assert.Equal(once, File.ReadAllBytes(lib));

        // Exactly one byte differs from the original: the low byte of the vernaux flags field.
        var diff = TorchSharpLike().Zip(once).Count(p => p.First != p.Second);
        Assert.Equal(1, diff);
    }

    [Fact]
    public void Definitions_are_read_from_verdef()
    {
        var lib = TinyElf.Build([], ["libstdc++.so.6", "GLIBCXX_3.4", "GLIBCXX_3.4.30"]);
        Assert.Equal(["libstdc++.so.6", "GLIBCXX_3.4", "GLIBCXX_3.4.30"], ElfSymbolVersions.Parse("std", lib).Definitions());
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void Task_patches_only_when_the_system_lacks_the_version(bool systemHasIt, bool expectWeak)
    {
        string[] versions = systemHasIt ? ["GLIBCXX_3.4.30", "GLIBCXX_3.4.32"] : ["GLIBCXX_3.4.29", "GLIBCXX_3.4.30"];
        string system = Write("libstdc++.so.6", TinyElf.Build([], versions));
        string lib = Write("libLibTorchSharp.so", TorchSharpLike());
        var engine = new RecordingEngine();
        var task = new WeakenMissingLibstdcxxVersion
        {
            BuildEngine = engine,
            Libraries = [new TaskItem(lib)],
            Version = "GLIBCXX_3.4.32",
            SystemLibstdcxx = system,
        };
        Assert.True(task.Execute());
        Assert.Equal(expectWeak, ElfSymbolVersions.Read(lib).Requirements().Single(r => r.Name == "GLIBCXX_3.4.32").IsWeak);
        Assert.Empty(engine.Errors);
    }

    [Fact]
    public void Task_reports_a_corrupt_library_by_name()
    {
        string system = Write("libstdc++.so.6", TinyElf.Build([], ["GLIBCXX_3.4.30"]));
        string bad = Write("libLibTorchSharp.so", TorchSharpLike()[..100]);
        var engine = new RecordingEngine();
        var task = new WeakenMissingLibstdcxxVersion
        {
            BuildEngine = engine, Libraries = [new TaskItem(bad)], Version = "GLIBCXX_3.4.32", SystemLibstdcxx = system,
        };
        Assert.False(task.Execute());
        Assert.Contains(engine.Errors, e => e.Contains(bad) && e.Contains("truncated"));
    }

    [Fact]
    public void Non_elf_input_is_refused()
    {
        var e = Assert.Throws<InvalidDataException>(() => ElfSymbolVersions.Parse("notes.txt", new byte[128]));
        Assert.Contains("notes.txt", e.Message);
    }

    [Fact]
    public void The_real_system_libstdcxx_is_readable_when_present()
    {
        string? system = WeakenMissingLibstdcxxVersion.FindSystemLibstdcxx();
        if (system is null) return;
        var defs = ElfSymbolVersions.Read(system).Definitions();
        Assert.Contains("GLIBCXX_3.4", defs);
    }

    private sealed class RecordingEngine : IBuildEngine
    {
        public List<string> Errors { get; } = new();
        public bool ContinueOnError => false;
        public int LineNumberOfTaskNode => 0;
        public int ColumnNumberOfTaskNode => 0;
        public string ProjectFileOfTaskNode => "test.proj";
        public bool BuildProjectFile(string f, string[] t, System.Collections.IDictionary g, System.Collections.IDictionary o) => true;
        public void LogCustomEvent(CustomBuildEventArgs e) { }
        public void LogErrorEvent(BuildErrorEventArgs e) => Errors.Add(e.Message ?? "");
        public void LogMessageEvent(BuildMessageEventArgs e) { }
        public void LogWarningEvent(BuildWarningEventArgs e) { }
    }
}
