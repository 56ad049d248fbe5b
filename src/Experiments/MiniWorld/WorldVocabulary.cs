namespace Repro.Experiments.MiniWorld;

/// <summary>Object super-categories; each name is one CLIP token.</summary>
public enum Category { Cat, Dog, Bird, Fish, Ball, Star, Cube, Ring, Cup, Tree }

/// <summary>Object colors (pattern ink is a shade of the same hue, never a second hue).</summary>
public enum WorldColor { Red, Orange, Yellow, Green, Blue, Purple, Pink, White, Black }

/// <summary>Surface patterns; stripes, dots and checks are at least <see cref="PatternSpec.MinFeaturePixels"/> wide.</summary>
public enum Pattern { Plain, Striped, Dotted, Checked }

public enum Background { Grass, Snow, Beach, Night, Brick, Jungle, Water, City, Table, Sky }

public enum Style { Photo, Pencil, Watercolor, Manga, Vector }

public enum Accessory { None, Hat, BowTie, Sunglasses }

/// <summary>Pattern geometry in device pixels (independent of the object's scale), so a 64×64 autoencoder keeps it.</summary>
public static class PatternSpec
{
    public const int MinFeaturePixels = 4;
    public const int StripeWidth = 5;   // ink band width; gap is the same
    public const int DotRadius = 3;     // 6-pixel dots
    public const int DotSpacing = 12;
    public const int CheckSize = 8;
}

/// <summary>The world's words: every category, color, pattern, background, style and accessory phrase.</summary>
public static class WorldVocabulary
{
    public static IReadOnlyList<Category> Categories { get; } = Enum.GetValues<Category>();
    public static IReadOnlyList<WorldColor> Colors { get; } = Enum.GetValues<WorldColor>();
    public static IReadOnlyList<Pattern> Patterns { get; } = Enum.GetValues<Pattern>();
    public static IReadOnlyList<Background> Backgrounds { get; } = Enum.GetValues<Background>();
    public static IReadOnlyList<Style> Styles { get; } = Enum.GetValues<Style>();
    public static IReadOnlyList<Accessory> Accessories { get; } = Enum.GetValues<Accessory>();

    /// <summary>The single CLIP token naming a category (also its super-category word for concepts).</summary>
    public static string Word(Category c) => c.ToString().ToLowerInvariant();

    public static bool IsAnimate(Category c) => c is Category.Cat or Category.Dog or Category.Bird or Category.Fish;

    public static string Word(WorldColor c) => c.ToString().ToLowerInvariant();

    /// <summary>The caption word of a pattern; plain objects get no pattern word.</summary>
    public static string? Word(Pattern p) => p switch
    {
        Pattern.Striped => "striped",
        Pattern.Dotted => "dotted",
        Pattern.Checked => "checked",
        _ => null,
    };

    /// <summary>Background phrases (synonyms render the same background); the first is canonical.</summary>
    public static IReadOnlyList<string> Phrases(Background b) => b switch
    {
        Background.Grass => ["on the grass", "in the garden", "in a grassy park"],
        Background.Snow => ["in the snow", "on a snowy mountain"],
        Background.Beach => ["on the beach", "by the sea"],
        Background.Night => ["at night", "under the night sky"],
        Background.Brick => ["in front of a brick wall", "by a brick wall"],
        Background.Jungle => ["in the jungle", "in the forest"],
        Background.Water => ["on the water", "on a river", "on a lake"],
        Background.City => ["in the city", "on a city street"],
        Background.Table => ["on a table", "on the dining table"],
        Background.Sky => ["in the sky", "among the clouds"],
        _ => throw new ArgumentOutOfRangeException(nameof(b)),
    };

    /// <summary>Style phrasings: "{}" is the noun phrase (e.g. "a blue striped cup on the beach"); the first is canonical.</summary>
    public static IReadOnlyList<string> Phrasings(Style s) => s switch
    {
        Style.Photo => ["a photo of {}", "a picture of {}", "{}"],
        Style.Pencil => ["a pencil drawing of {}", "a pencil sketch of {}", "{} in pencil style"],
        Style.Watercolor => ["a watercolor painting of {}", "a watercolor of {}", "{} in watercolor style"],
        Style.Manga => ["a manga drawing of {}", "a manga illustration of {}", "{} in manga style"],
        Style.Vector => ["a vector art illustration of {}", "vector art of {}", "{} in vector art style"],
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    /// <summary>The word that identifies a style in a caption (none for photo, the default).</summary>
    public static string? StyleKeyword(Style s) => s switch
    {
        Style.Pencil => "pencil",
        Style.Watercolor => "watercolor",
        Style.Manga => "manga",
        Style.Vector => "vector",
        _ => null,
    };

    /// <summary>Whether the style shows object colors (pencil and manga are monochrome: captions omit the color).</summary>
    public static bool KeepsColor(Style s) => s is Style.Photo or Style.Watercolor or Style.Vector;

    public static string? Phrase(Accessory a) => a switch
    {
        Accessory.Hat => "wearing a hat",
        Accessory.BowTie => "wearing a bow tie",
        Accessory.Sunglasses => "wearing sunglasses",
        _ => null,
    };

    /// <summary>Phrase introducing a second, smaller object: "next to a ball".</summary>
    public const string CompanionPrefix = "next to a";

    public static string Article(string nextWord) => "aeiou".Contains(nextWord[0]) ? "an" : "a";

    /// <summary>Every word the caption grammar can produce (lower case).</summary>
    public static IReadOnlySet<string> AllWords { get; } = BuildAllWords();

    private static HashSet<string> BuildAllWords()
    {
        var phrases = new List<string> { "a an", CompanionPrefix };
        phrases.AddRange(Categories.Select(Word));
        phrases.AddRange(Colors.Select(Word));
        phrases.AddRange(Patterns.Select(Word).OfType<string>());
        phrases.AddRange(Backgrounds.SelectMany(Phrases));
        phrases.AddRange(Styles.SelectMany(Phrasings).Select(p => p.Replace("{}", " ")));
        phrases.AddRange(Accessories.Select(Phrase).OfType<string>());
        return phrases.SelectMany(SplitWords).ToHashSet();
    }

    /// <summary>Lower-case words of a text (letters only; punctuation and "{}" separate words).</summary>
    public static IEnumerable<string> SplitWords(string text) =>
        text.ToLowerInvariant().Split([' ', '\t', ',', '.', '{', '}'], StringSplitOptions.RemoveEmptyEntries);
}
