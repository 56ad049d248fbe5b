using Repro.Experiments.Evaluation;
using Repro.Model.Clip;
using Repro.Model.IO;
using Repro.Tests;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Repro.Experiments.Tests.Evaluation;

/// <summary>The scorers' embeddings against transformers (fixtures clip_eval_tiny, dino_tiny).</summary>
[Trait("Category", "Parity")]
public sealed class ScorerParityTests(ITestOutputHelper log)
{
    [Fact]
    public void Clip_scorer_image_and_text_embeddings_match_transformers()
    {
        var inputs = Safetensors.Load(FixturePaths.Get("clip_eval_tiny", "inputs.safetensors"));
        var expected = Safetensors.Load(FixturePaths.Get("clip_eval_tiny", "outputs.safetensors"));
        using var _ = NewDisposeScope();
        using var scorer = ClipScorer.FromPretrained(EvalTestData.ClipFolder);
        var image = scorer.EmbedPixels(inputs["pixel_values"]);
        Close("image_embeds_normalized", image, expected["image_embeds_normalized"]);
        var text = scorer.EmbedIds(inputs["input_ids"], inputs["attention_mask"]);
        Close("text_embeds_normalized", text, expected["text_embeds_normalized"]);
        Close("cosine_image_text", image.matmul(text.t()), expected["cosine_image_text"]);
        // Raw uint8 images through our processor, then the model: transformers' image_embeds_of_processed_raw.
        var raw = inputs["raw_images_uint8"];
        var processed = torch.stack(Enumerable.Range(0, (int)raw.shape[0])
            .Select(i => scorer.Preprocessor.Apply(raw[i].permute(2, 0, 1).to(ScalarType.Byte))).ToArray());
        Close("image_embeds_of_processed_raw", scorer.EmbedPixels(processed), CLIPModel.Normalize(expected["image_embeds_of_processed_raw"]));
    }

    [Fact]
    public void Dino_scorer_cls_embedding_matches_transformers()
    {
        var inputs = Safetensors.Load(FixturePaths.Get("dino_tiny", "inputs.safetensors"));
        var expected = Safetensors.Load(FixturePaths.Get("dino_tiny", "outputs.safetensors"));
        using var _ = NewDisposeScope();
        using var scorer = DinoScorer.FromPretrained(EvalTestData.DinoFolder);
        Close("cls (normalised)", scorer.EmbedPixels(inputs["pixel_values"]), CLIPModel.Normalize(expected["cls"]));
        Close("cls_of_processed_raw (normalised)", scorer.EmbedPixels(expected["pixel_values_from_processor"]),
              CLIPModel.Normalize(expected["cls_of_processed_raw"]));
    }

    private void Close(string name, Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        double max = (actual.to(ScalarType.Float64) - expected.to(ScalarType.Float64)).abs().max().item<double>();
        log.WriteLine($"{name}: max abs diff {max:E3}");
        Assert.True(actual.allclose(expected, rtol: 1e-4, atol: 1e-5), $"{name}: max abs diff {max:E3}");
    }
}
