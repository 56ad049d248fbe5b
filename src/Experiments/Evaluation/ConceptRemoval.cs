using System.Text.RegularExpressions;

namespace Repro.Experiments.Evaluation;

/// <summary>
/// What CLIP-T removes from the prompt before encoding it (both papers: the text score is computed "without the new
/// concept"). The templates' <c>{}</c> stands for the mention "[V] [category]".
/// </summary>
public enum ConceptRemoval
{
    /// <summary>Textual Inversion's evaluator (<c>target_text.replace("*", "")</c>): drop the learned token only; the category word stays. Default.</summary>
    TokenOnly,
    /// <summary>Drop the whole mention "[V] [category]" (one reading of ADB App. F / CoRe).</summary>
    TokenAndCategory,
}

/// <summary>Builds the CLIP-T text of a prompt template under a <see cref="ConceptRemoval"/> rule.</summary>
public static partial class ClipTextPrompt
{
    /// <summary>
    /// The template with <c>{}</c> replaced by <paramref name="category"/> (TokenOnly) or by nothing
    /// (TokenAndCategory), runs of whitespace collapsed to one space and trimmed (CLIP's tokenizer does the same).
    /// </summary>
    public static string Strip(string template, string category, ConceptRemoval rule)
    {
        string replacement = rule switch
        {
            ConceptRemoval.TokenOnly => category,
            ConceptRemoval.TokenAndCategory => "",
            _ => throw new ArgumentException($"unknown removal rule {rule}"),
        };
        return Whitespace().Replace(template.Replace("{}", replacement, StringComparison.Ordinal), " ").Trim();
    }

    public static ConceptRemoval Parse(string value) => value.ToLowerInvariant() switch
    {
        "token" or "v" or "token-only" => ConceptRemoval.TokenOnly,
        "mention" or "v-category" or "token-and-category" => ConceptRemoval.TokenAndCategory,
        _ => throw new ArgumentException($"unknown CLIP-T removal rule '{value}': use 'token' ([V] only, TI's rule) or 'mention' ([V] [category])"),
    };

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
