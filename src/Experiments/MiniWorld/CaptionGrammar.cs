namespace Repro.Experiments.MiniWorld;

/// <summary>The attributes a caption states (null / None / Plain where it states nothing).</summary>
public sealed record ParsedCaption(Category? Category, WorldColor? Color, Pattern Pattern, Background? Background,
    Style Style, Accessory Accessory, Category? Companion);

/// <summary>
/// Scene → caption and caption → attributes. A caption is a style phrasing around the noun phrase
/// "a [color] [pattern] category [wearing …] [next to a companion] [background phrase]", e.g.
/// "a watercolor painting of a blue striped cup on the beach". Monochrome styles (pencil, manga) never
/// state a color; plain objects state no pattern.
/// </summary>
public static class CaptionGrammar
{
    /// <summary>
    /// The caption of a scene with the chosen style phrasing and background phrase (indices wrap).
    /// <paramref name="subjectMention"/> replaces the category word (e.g. "sks cat" or "{}" for a template);
    /// a concept's pattern is never stated, its color only when the scene recolors it.
    /// </summary>
    public static string Caption(Scene scene, int phrasing = 0, int backgroundPhrase = 0, bool includeBackground = true,
        string? subjectMention = null)
    {
        var words = new List<string>();
        if (scene.Color is { } color && WorldVocabulary.KeepsColor(scene.Style)) words.Add(WorldVocabulary.Word(color));
        if (scene.Concept is null && WorldVocabulary.Word(scene.Pattern) is { } pattern) words.Add(pattern);
        words.Add(subjectMention ?? WorldVocabulary.Word(scene.Category));
        string noun = $"{WorldVocabulary.Article(words[0])} {string.Join(' ', words)}";
        if (WorldVocabulary.Phrase(scene.Accessory) is { } accessory) noun += " " + accessory;
        if (scene.Companion is { } companion) noun += $" {WorldVocabulary.CompanionPrefix} {WorldVocabulary.Word(companion)}";
        if (includeBackground)
        {
            var phrases = WorldVocabulary.Phrases(scene.Background);
            noun += " " + phrases[Math.Abs(backgroundPhrase) % phrases.Count];
        }
        var phrasings = WorldVocabulary.Phrasings(scene.Style);
        return phrasings[Math.Abs(phrasing) % phrasings.Count].Replace("{}", noun);
    }

    /// <summary>A caption with a random phrasing and background phrase; the background is left out with probability 0.1.</summary>
    public static string Sample(Scene scene, Random rng, string? subjectMention = null) =>
        Caption(scene, rng.Next(3), rng.Next(3), rng.NextDouble() >= 0.1, subjectMention);

    /// <summary>Reads the attributes back from a caption of this grammar.</summary>
    public static ParsedCaption Parse(string caption)
    {
        var words = WorldVocabulary.SplitWords(caption).ToList();
        string text = " " + string.Join(' ', words) + " ";
        Category? companion = null;
        string prefix = " " + WorldVocabulary.CompanionPrefix + " ";
        int at = text.IndexOf(prefix, StringComparison.Ordinal);
        if (at >= 0)
        {
            string next = text[(at + prefix.Length)..].Split(' ')[0];
            companion = WorldVocabulary.Categories.Cast<Category?>().FirstOrDefault(c => WorldVocabulary.Word(c!.Value) == next);
            if (companion is not null) text = text.Remove(at, prefix.Length + next.Length);
        }
        var remaining = WorldVocabulary.SplitWords(text).ToList();
        Category? category = Find(remaining, WorldVocabulary.Categories, WorldVocabulary.Word);
        WorldColor? color = Find(remaining, WorldVocabulary.Colors, WorldVocabulary.Word);
        var pattern = WorldVocabulary.Patterns.FirstOrDefault(p => WorldVocabulary.Word(p) is { } w && remaining.Contains(w));
        var style = WorldVocabulary.Styles.FirstOrDefault(s => WorldVocabulary.StyleKeyword(s) is { } k && remaining.Contains(k));
        var accessory = WorldVocabulary.Accessories.FirstOrDefault(a => WorldVocabulary.Phrase(a) is { } p && text.Contains(" " + p + " "));
        Background? background = null;
        int longest = 0;
        foreach (var b in WorldVocabulary.Backgrounds)
            foreach (var phrase in WorldVocabulary.Phrases(b))
                if (phrase.Length > longest && text.Contains(" " + phrase + " ")) { background = b; longest = phrase.Length; }
        return new ParsedCaption(category, color, pattern, background, style, accessory, companion);
    }

    private static T? Find<T>(List<string> words, IReadOnlyList<T> values, Func<T, string> word) where T : struct
    {
        foreach (string w in words)
            foreach (var v in values)
                if (word(v) == w) return v;
        return null;
    }
}
