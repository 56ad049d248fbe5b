namespace Repro.Model.IO;

/// <summary>Strict loading failed: the message lists missing keys, unexpected keys and shape mismatches.</summary>
public sealed class CheckpointMismatchException : IOException
{
    public IReadOnlyList<string> Missing { get; }
    public IReadOnlyList<string> Unexpected { get; }
    public IReadOnlyList<string> ShapeMismatches { get; }

    public CheckpointMismatchException(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> shapeMismatches)
        : base(Describe(source, missing, unexpected, shapeMismatches))
    {
        Missing = missing;
        Unexpected = unexpected;
        ShapeMismatches = shapeMismatches;
    }

    private static string Describe(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> shapes)
    {
        var parts = new List<string> { $"{source} does not match the model built from its config:" };
        void Add(string title, IReadOnlyList<string> keys)
        {
            if (keys.Count == 0) return;
            const int shown = 25;
            parts.Add($"  {title} ({keys.Count}): {string.Join(", ", keys.Take(shown))}{(keys.Count > shown ? $", ... and {keys.Count - shown} more" : "")}");
        }
        Add("missing keys", missing);
        Add("unexpected keys", unexpected);
        Add("shape mismatches", shapes);
        return string.Join(Environment.NewLine, parts);
    }
}
