namespace Repro.Experiments.Evaluation;

/// <summary>
/// Concept → category word for CLIP-T's "[V] only" removal: a CSV of <c>concept,category</c> lines (a
/// <c>subject_name,class</c> header and <c>#</c> lines are skipped), as paper-configs/concepts/dreambooth_subjects.csv.
/// A concept not listed uses its folder name with '_' read as a space.
/// </summary>
public sealed class ConceptCategories(IReadOnlyDictionary<string, string> map)
{
    public static ConceptCategories Empty { get; } = new(new Dictionary<string, string>());

    public string For(string concept) => map.TryGetValue(concept, out var c) ? c : concept.Replace('_', ' ');

    public bool Has(string concept) => map.ContainsKey(concept);

    public static ConceptCategories Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: concept category file not found", path);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        string[] lines = File.ReadAllLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#') || line == "subject_name,class" || line == "concept,category") continue;
            int comma = line.IndexOf(',');
            if (comma <= 0 || comma == line.Length - 1)
                throw new FormatException($"{path}: line {i + 1} is not 'concept,category': '{line}'");
            map[line[..comma].Trim()] = line[(comma + 1)..].Trim();
        }
        return new ConceptCategories(map);
    }
}
