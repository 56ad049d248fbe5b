namespace Repro.Model.Tokenizers;

/// <summary>
/// Splits raw text on added/special tokens the way transformers' <c>Trie.split</c> does for CLIP: matching is
/// on the raw text before any normalisation, case-sensitive, also inside words, leftmost match first and the
/// longest token at that position. Every other piece is normalised and BPE-encoded separately.
/// </summary>
internal sealed class AddedTokenSplitter
{
    private readonly Dictionary<string, int> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<char, List<string>> _byFirstChar = new();

    public int Count => _tokens.Count;

    public bool TryGetId(string content, out int id) => _tokens.TryGetValue(content, out id);

    public IEnumerable<KeyValuePair<string, int>> Tokens => _tokens;

    public void Add(string content, int id)
    {
        if (content.Length == 0 || !_tokens.TryAdd(content, id)) return;
        if (!_byFirstChar.TryGetValue(content[0], out var list)) _byFirstChar[content[0]] = list = [];
        list.Add(content);
        list.Sort((a, b) => b.Length.CompareTo(a.Length));   // longest first
    }

    /// <summary>Pieces of <paramref name="text"/>: (text, token id) for added tokens, (text, null) otherwise.</summary>
    public List<(string Text, int? Id)> Split(string text)
    {
        var pieces = new List<(string, int?)>();
        int start = 0;
        for (int i = 0; i < text.Length;)
        {
            string? match = MatchAt(text, i);
            if (match is null) { i++; continue; }
            if (i > start) pieces.Add((text[start..i], null));
            pieces.Add((match, _tokens[match]));
            i += match.Length;
            start = i;
        }
        if (start < text.Length) pieces.Add((text[start..], null));
        return pieces;
    }

    private string? MatchAt(string text, int i)
    {
        if (!_byFirstChar.TryGetValue(text[i], out var candidates)) return null;
        foreach (string c in candidates)
            if (i + c.Length <= text.Length && string.CompareOrdinal(text, i, c, 0, c.Length) == 0)
                return c;
        return null;
    }
}
