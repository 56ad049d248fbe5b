using Repro.Model.Clip;
using Repro.Model.IO;
using Repro.Tests;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Repro.Model.Tests.Clip;

[Trait("Category", "Parity")]
public sealed class CLIPEvalTinyParityTests(ITestOutputHelper log)
{
    private static readonly string Folder = FixturePaths.Get("clip_eval_tiny");
    private readonly Dictionary<string, Tensor> _inputs = Safetensors.Load(Path.Combine(Folder, "inputs.safetensors"));
    private readonly Dictionary<string, Tensor> _expected = Safetensors.Load(Path.Combine(Folder, "outputs.safetensors"));

    [Fact]
    public void Vision_model_with_projection_matches_image_embeds()
    {
        using var _ = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var model = CLIPVisionModelWithProjection.FromPretrained(Folder);
        var output = model.forward(_inputs["pixel_values"]);
        TensorAssert.Close("image_embeds", output.ImageEmbeds, _expected["image_embeds"], log: log);
        TensorAssert.Close("image_embeds_normalized", CLIPModel.Normalize(output.ImageEmbeds), _expected["image_embeds_normalized"], log: log);
        TensorAssert.Close("vision_last_hidden_state", output.LastHiddenState, _expected["vision_last_hidden_state"], log: log);
        var fromProcessor = model.forward(_expected["pixel_values_from_processor"]);
        TensorAssert.Close("image_embeds_of_processed_raw", fromProcessor.ImageEmbeds, _expected["image_embeds_of_processed_raw"], log: log);
    }

    [Fact]
    public void Text_model_with_projection_matches_text_embeds_with_attention_mask()
    {
        using var _ = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var model = CLIPTextModelWithProjection.FromPretrained(Folder);
        var output = model.forward(_inputs["input_ids"], _inputs["attention_mask"]);
        TensorAssert.Close("text_embeds", output.TextEmbeds, _expected["text_embeds"], log: log);
        TensorAssert.Close("text_embeds_normalized", CLIPModel.Normalize(output.TextEmbeds), _expected["text_embeds_normalized"], log: log);
        TensorAssert.Close("text_last_hidden_state", output.LastHiddenState, _expected["text_last_hidden_state"], log: log);
    }

    [Fact]
    public void Full_clip_model_matches_logits_cosines_and_features()
    {
        using var _ = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var model = CLIPModel.FromPretrained(Folder);
        var output = model.forward(_inputs["input_ids"], _inputs["pixel_values"], _inputs["attention_mask"]);
        TensorAssert.Close("logits_per_image", output.LogitsPerImage, _expected["logits_per_image"], log: log);
        TensorAssert.Close("logits_per_text^T", output.LogitsPerText.t(), _expected["logits_per_image"], log: log);
        TensorAssert.Close("cosine_image_text", torch.matmul(output.ImageEmbeds, output.TextEmbeds.t()), _expected["cosine_image_text"], log: log);
        TensorAssert.Close("text_embeds_normalized", output.TextEmbeds, _expected["text_embeds_normalized"], log: log);
        TensorAssert.Close("image_embeds_normalized", output.ImageEmbeds, _expected["image_embeds_normalized"], log: log);
        TensorAssert.Close("get_text_features", model.GetTextFeatures(_inputs["input_ids"], _inputs["attention_mask"]), _expected["text_embeds"], log: log);
        TensorAssert.Close("get_image_features", model.GetImageFeatures(_inputs["pixel_values"]), _expected["image_embeds"], log: log);
        TensorAssert.Close("vision_last_hidden_state", output.VisionModelOutput.LastHiddenState, _expected["vision_last_hidden_state"], log: log);
        TensorAssert.Close("text_last_hidden_state", output.TextModelOutput.LastHiddenState, _expected["text_last_hidden_state"], log: log);
    }
}
