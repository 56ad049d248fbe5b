using Repro.Model.Clip;
using Repro.Model.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.MiniWorld.Pretraining;

/// <summary>
/// How far apart a text tower puts captions that differ in one attribute, as the UNet's cross-attention sees them:
/// the mean, over pairs of captions differing only in that attribute, of ‖h_i − h_j‖ / mean ‖h‖, where h is the
/// whole last hidden state (77 × width). A UNet cannot draw an attribute its conditioning barely separates; this is
/// how the conditioning CLIP's text tower was found to hide shape (docs/miniworld-pretraining.md, "Conditioning").
/// </summary>
public static class TextSeparation
{
    private static readonly (Category Shape, WorldColor Color, Background Background)[] OtherAttributes =
        [(Category.Cat, WorldColor.Red, Background.Grass), (Category.Cup, WorldColor.Blue, Background.Snow), (Category.Star, WorldColor.Yellow, Background.Beach)];

    /// <summary>Caption groups per attribute: one per setting of the other attributes.</summary>
    public static int Settings => OtherAttributes.Length;

    /// <summary>For each attribute, caption groups: within a group only that attribute varies (over all its values), the others are one of <see cref="Settings"/> settings.</summary>
    public static IReadOnlyDictionary<string, List<string[]>> CaptionGroups()
    {
        var settings = OtherAttributes;
        static string Caption(Style style, WorldColor color, Category shape, Background background)
        {
            string noun = $"{WorldVocabulary.Word(color)} {WorldVocabulary.Word(shape)} {WorldVocabulary.Phrases(background)[0]}";
            return WorldVocabulary.Phrasings(style)[0].Replace("{}", $"{WorldVocabulary.Article(noun)} {noun}", StringComparison.Ordinal);
        }
        return new Dictionary<string, List<string[]>>
        {
            ["shape"] = settings.Select(s => WorldVocabulary.Categories.Select(c => Caption(Style.Photo, s.Color, c, s.Background)).ToArray()).ToList(),
            ["color"] = settings.Select(s => WorldVocabulary.Colors.Select(c => Caption(Style.Photo, c, s.Shape, s.Background)).ToArray()).ToList(),
            ["background"] = settings.Select(s => WorldVocabulary.Backgrounds.Select(b => Caption(Style.Photo, s.Color, s.Shape, b)).ToArray()).ToList(),
            ["style"] = settings.Select(s => WorldVocabulary.Styles.Select(st => Caption(st, s.Color, s.Shape, s.Background)).ToArray()).ToList(),
        };
    }

    /// <summary>Mean relative distance between the hidden states of captions differing in each attribute (0: indistinguishable).</summary>
    public static Dictionary<string, double> Measure(CLIPTextModel text, ClipTokenizer tokenizer)
    {
        using var noGrad = torch.no_grad();
        var result = new Dictionary<string, double>();
        foreach (var (attribute, groups) in CaptionGroups())
            result[attribute] = groups.Average(g => RelativeDistance(text, tokenizer, g));
        return result;
    }

    private static double RelativeDistance(CLIPTextModel text, ClipTokenizer tokenizer, IReadOnlyList<string> captions)
    {
        using var _ = torch.NewDisposeScope();
        var hidden = text.forward(WorldBatch.Tokens(tokenizer, captions)).LastHiddenState.flatten(1);   // (n, 77·width)
        long n = hidden.shape[0];
        var distances = torch.cdist(hidden.unsqueeze(0), hidden.unsqueeze(0)).squeeze(0);
        double meanPair = distances.sum().item<float>() / (n * (n - 1));
        double meanNorm = hidden.pow(2).sum(1).sqrt().mean().item<float>();
        return meanPair / meanNorm;
    }
}
