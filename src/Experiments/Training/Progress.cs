using Repro.Model.IO;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Repro.Experiments.Training;

/// <summary>
/// One progress line per report for long loops: stage, step/total, each loss term, lr, steps/s, ETA. Lines are emitted at
/// most every <c>interval</c> (and always for the first and the last step) so logs stay readable.
/// </summary>
public sealed class Progress(string stage, int total, Action<string> log, TimeSpan? interval = null)
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly TimeSpan _interval = interval ?? TimeSpan.FromSeconds(2);
    private TimeSpan _lastReport = TimeSpan.MinValue;
    private int _first = -1;

    /// <summary>Steps per second since the first reported step.</summary>
    public double StepsPerSecond { get; private set; }

    public void Report(int step, IReadOnlyDictionary<string, double> terms, double lr)
    {
        if (_first < 0) _first = step - 1;
        double seconds = Math.Max(_watch.Elapsed.TotalSeconds, 1e-9);
        StepsPerSecond = (step - _first) / seconds;
        bool due = step == total || step == _first + 1 || _watch.Elapsed - _lastReport >= _interval;
        if (!due) return;
        _lastReport = _watch.Elapsed;
        log(Line(step, terms, lr));
    }

    public string Line(int step, IReadOnlyDictionary<string, double> terms, double lr)
    {
        var sb = new StringBuilder().Append(CultureInfo.InvariantCulture, $"[{stage}] step {step}/{total} |");
        foreach (var (name, value) in terms) sb.Append(CultureInfo.InvariantCulture, $" {name} {value:G5}");
        double eta = StepsPerSecond > 0 ? (total - step) / StepsPerSecond : 0;
        sb.Append(CultureInfo.InvariantCulture, $" | lr {lr:G3} | {StepsPerSecond:F2} steps/s | ETA {TimeSpan.FromSeconds(eta):hh\\:mm\\:ss}");
        return sb.ToString();
    }
}

/// <summary>
/// The loss curve of a stage as CSV (step, lr, each term, total, then diagnostics such as embedding_norm and rss_mb). On resume the rows after the checkpoint's step
/// are dropped, so a resumed run's file equals an uninterrupted one's.
/// </summary>
public sealed class LossLog(string path)
{
    public string Path { get; } = path;

    /// <summary>Keeps the header and the rows with step ≤ <paramref name="step"/> (all rows are removed for 0).</summary>
    public void TruncateAfter(int step)
    {
        if (!File.Exists(Path)) return;
        var lines = File.ReadAllLines(Path);
        var kept = lines.Take(1).Concat(lines.Skip(1).Where(l =>
            int.TryParse(l.Split(',')[0], NumberStyles.None, CultureInfo.InvariantCulture, out int s) && s <= step)).ToArray();
        AtomicFile.Write(Path, temp => File.WriteAllLines(temp, step == 0 ? [] : kept));
    }

    public void Append(int step, double lr, IReadOnlyDictionary<string, double> terms, double total, IReadOnlyDictionary<string, double> diagnostics)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
        bool header = !File.Exists(Path) || new FileInfo(Path).Length == 0;
        using var writer = File.AppendText(Path);
        if (header) writer.WriteLine(string.Join(',', new[] { "step", "lr" }.Concat(terms.Keys).Concat(["total"]).Concat(diagnostics.Keys)));
        var values = new[] { lr }.Concat(terms.Values).Concat([total]).Concat(diagnostics.Values).Select(v => v.ToString("R", CultureInfo.InvariantCulture));
        writer.WriteLine(step.ToString(CultureInfo.InvariantCulture) + "," + string.Join(',', values));
    }

    /// <summary>Reads a column by name (for tests and reports).</summary>
    public static double[] ReadColumn(string path, string column)
    {
        var lines = File.ReadAllLines(path);
        int index = Array.IndexOf(lines[0].Split(','), column);
        if (index < 0) throw new ArgumentException($"{path}: no column '{column}'");
        return lines.Skip(1).Select(l => double.Parse(l.Split(',')[index], CultureInfo.InvariantCulture)).ToArray();
    }
}
