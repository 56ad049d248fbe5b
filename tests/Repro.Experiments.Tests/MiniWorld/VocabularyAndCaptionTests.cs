using Repro.Experiments.MiniWorld;
using Repro.Model.Tokenizers;
using Repro.Tests;

namespace Repro.Experiments.Tests.MiniWorld;

public sealed class VocabularyAndCaptionTests
{
    private static readonly ClipTokenizer Tokenizer = ClipTokenizer.FromFolder(FixturePaths.Get("clip-tokenizer"));

    [Fact]
    public void Every_vocabulary_word_is_one_clip_token()
    {
        Assert.True(WorldVocabulary.AllWords.Count > 60);
        var multi = WorldVocabulary.AllWords.Where(w => Tokenizer.Encode(w).Length != 3).ToList();
        Assert.True(multi.Count == 0, "several tokens: " + string.Join(", ", multi));
        // The category words (concept super-categories) in particular.
        foreach (var c in WorldVocabulary.Categories) Assert.Equal(3, Tokenizer.Encode(WorldVocabulary.Word(c)).Length);
    }

    [Fact]
    public void Vocabulary_has_the_required_attribute_sizes()
    {
        Assert.True(WorldVocabulary.Categories.Count(WorldVocabulary.IsAnimate) >= 2);
        Assert.True(WorldVocabulary.Categories.Count(c => !WorldVocabulary.IsAnimate(c)) >= 6);
        Assert.True(WorldVocabulary.Colors.Count >= 8);
        Assert.Equal(4, WorldVocabulary.Patterns.Count);
        Assert.True(WorldVocabulary.Backgrounds.Count >= 6);
        Assert.Equal(5, WorldVocabulary.Styles.Count);
    }

    [Fact]
    public void Captions_round_trip_through_the_parser_for_every_phrasing()
    {
        for (int i = 0; i < 300; i++)
        {
            var scene = WorldSampler.Sample(5, WorldSplit.Train, i);
            for (int phrasing = 0; phrasing < 3; phrasing++)
            for (int bg = 0; bg < 3; bg++)
            {
                string caption = CaptionGrammar.Caption(scene, phrasing, bg);
                var parsed = CaptionGrammar.Parse(caption);
                Assert.Equal(scene.Category, parsed.Category);
                Assert.Equal(WorldVocabulary.KeepsColor(scene.Style) ? scene.Color : null, parsed.Color);
                Assert.Equal(scene.Pattern, parsed.Pattern);
                Assert.Equal(scene.Background, parsed.Background);
                Assert.Equal(scene.Style, parsed.Style);
                Assert.Equal(scene.Accessory, parsed.Accessory);
                Assert.Equal(scene.Companion, parsed.Companion);
                Assert.All(WorldVocabulary.SplitWords(caption), w => Assert.Contains(w, WorldVocabulary.AllWords));
                Assert.Contains(WorldVocabulary.Word(scene.Category), caption);
            }
        }
    }

    [Fact]
    public void Caption_examples_read_naturally()
    {
        var scene = new Scene(Category.Cup, WorldColor.Blue, Pattern.Striped, Background.Beach, Style.Watercolor, 32, 32, 15);
        Assert.Equal("a watercolor painting of a blue striped cup on the beach", CaptionGrammar.Caption(scene));
        Assert.Equal("a pencil drawing of a striped cup on the beach", CaptionGrammar.Caption(scene with { Style = Style.Pencil }));
        Assert.Equal("an orange cat wearing a hat next to a ball in the garden",
            CaptionGrammar.Caption(new Scene(Category.Cat, WorldColor.Orange, Pattern.Plain, Background.Grass, Style.Photo, 32, 32, 15,
                Accessory: Accessory.Hat, Companion: Category.Ball), phrasing: 2, backgroundPhrase: 1));
        var concept = PersonalConcepts.InScene(ConceptCatalog.Get("cat_calico_01"), scene, WorldColor.Red);
        Assert.Equal("a photo of a red sks cat on the beach", CaptionGrammar.Caption(concept with { Style = Style.Photo }, subjectMention: "sks cat"));
        Assert.Null(CaptionGrammar.Parse("a photo of a cup").Background);
    }
}
