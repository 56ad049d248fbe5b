namespace Repro.Experiments.Harness;

/// <summary>
/// An exclusive lock on a folder or cell: a lock file held open with FileShare.None (an OS lock that dies with the
/// process, so a killed run never leaves a stale lock). A second holder waits, saying who holds it (PID in the file).
/// </summary>
public sealed class FileLock : IDisposable
{
    private readonly FileStream _stream;

    private FileLock(FileStream stream) => _stream = stream;

    public static FileLock? TryAcquire(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            var pid = System.Text.Encoding.UTF8.GetBytes($"{Environment.ProcessId}@{Environment.MachineName}\n");
            stream.Write(pid);
            stream.Flush();
            return new FileLock(stream);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Waits until the lock is free (logging once who holds it), or throws after <paramref name="timeout"/>.</summary>
    public static FileLock Acquire(string path, Action<string> log, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromDays(7));
        bool told = false;
        while (true)
        {
            if (TryAcquire(path) is { } held) return held;
            if (!told)
            {
                string holder = TryRead(path);
                log($"waiting for {path} (held by {holder}; another run is working here)");
                told = true;
            }
            if (DateTime.UtcNow > deadline) throw new IOException($"{path}: still locked after {timeout} (held by {TryRead(path)})");
            Thread.Sleep(500);
        }
    }

    private static string TryRead(string path)
    {
        try
        {
            using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(s).ReadToEnd().Trim() is { Length: > 0 } t ? t : "another process";
        }
        catch (IOException)
        {
            return "another process";
        }
    }

    public void Dispose() => _stream.Dispose();
}
