using Repro.Model.Clip;
using Repro.Model.IO;
using Repro.Tests;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Tests.Clip;

public sealed class CLIPLoadingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("repro-clipload-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A copy of a fixture folder whose checkpoint is edited by <paramref name="edit"/>.</summary>
    private string EditedCopy(string fixture, Action<Dictionary<string, Tensor>> edit)
    {
        string source = FixturePaths.Get(fixture);
        File.Copy(Path.Combine(source, "config.json"), Path.Combine(_dir, "config.json"));
        var tensors = Safetensors.Load(Path.Combine(source, "model.safetensors"));
        edit(tensors);
        Safetensors.Save(Path.Combine(_dir, "model.safetensors"), tensors);
        return _dir;
    }

    [Fact]
    public void A_missing_key_is_named()
    {
        string folder = EditedCopy("clip_text_gelu", t => t.Remove("text_model.encoder.layers.1.mlp.fc2.bias"));
        var e = Assert.Throws<CheckpointMismatchException>(() => CLIPTextModel.FromPretrained(folder));
        Assert.Equal(["text_model.encoder.layers.1.mlp.fc2.bias"], e.Missing);
        Assert.Empty(e.Unexpected);
        Assert.Contains("text_model.encoder.layers.1.mlp.fc2.bias", e.Message);
    }

    [Fact]
    public void An_extra_key_is_named()
    {
        string folder = EditedCopy("clip_text_gelu", t => t["text_model.encoder.layers.3.mlp.fc2.bias"] = torch.zeros(32));
        var e = Assert.Throws<CheckpointMismatchException>(() => CLIPTextModel.FromPretrained(folder));
        Assert.Equal(["text_model.encoder.layers.3.mlp.fc2.bias"], e.Unexpected);
        Assert.Empty(e.Missing);
    }

    [Fact]
    public void A_misshapen_key_is_named()
    {
        string folder = EditedCopy("dino_tiny", t => t["embeddings.position_embeddings"] = torch.zeros(1, 5, 32));
        var e = Assert.Throws<CheckpointMismatchException>(() => Repro.Model.Vit.ViTModel.FromPretrained(folder, addPoolingLayer: false));
        Assert.Single(e.ShapeMismatches, s => s.Contains("embeddings.position_embeddings"));
    }

    [Fact]
    public void Legacy_position_ids_are_ignored_and_the_weights_load()
    {
        string folder = EditedCopy("clip_text_gelu", t => t["text_model.embeddings.position_ids"] = torch.arange(77).unsqueeze(0));
        var model = CLIPTextModel.FromPretrained(folder);
        var stored = Safetensors.Load(Path.Combine(folder, "model.safetensors"));
        Assert.True(model.GetInputEmbeddings().weight!.allclose(stored["text_model.embeddings.token_embedding.weight"], 0, 0));
        Assert.DoesNotContain("text_model.embeddings.position_ids", model.state_dict().Keys);
    }

    [Fact]
    public void A_single_tower_skips_only_the_other_towers_keys_of_a_full_clip_checkpoint()
    {
        using var _ = NewDisposeScope();
        string full = FixturePaths.Get("clip_eval_tiny");
        var text = CLIPTextModel.FromPretrained(full);
        Assert.DoesNotContain(text.state_dict().Keys, k => k.StartsWith("vision_model."));
        var vision = CLIPVisionModel.FromPretrained(full);
        var expected = Safetensors.Load(Path.Combine(full, "outputs.safetensors"));
        var inputs = Safetensors.Load(Path.Combine(full, "inputs.safetensors"));
        using (torch.no_grad())
            TensorAssert.Close("vision_last_hidden_state", vision.forward(inputs["pixel_values"]).LastHiddenState, expected["vision_last_hidden_state"]);

        string folder = EditedCopy("clip_eval_tiny", t => t["text_model.extra.weight"] = torch.zeros(1));
        var e = Assert.Throws<CheckpointMismatchException>(() => CLIPTextModelWithProjection.FromPretrained(folder));
        Assert.Equal(["text_model.extra.weight"], e.Unexpected);
    }

    [Fact]
    public void Pooling_follows_eos_token_id_like_transformers_4_38()
    {
        using var _ = NewDisposeScope();
        string folder = FixturePaths.Get("clip_eval_tiny");
        var config = CLIPTextConfig.Read(Path.Combine(folder, "config.json")).Config;
        var ids = Safetensors.Load(Path.Combine(folder, "inputs.safetensors"))["input_ids"];
        using var noGrad = torch.no_grad();
        Tensor PooledAt(int? eos, out Tensor last)
        {
            var model = new CLIPTextModel(config with { EosTokenId = eos });
            StateDictLoader.Load(model, Path.Combine(folder, "model.safetensors"), ignoreUnexpected: k => !k.StartsWith("text_model."));
            var output = model.forward(ids);
            last = output.LastHiddenState;
            return output.PooledOutput;
        }
        // First EOS (id 999): position 10 in row 0 of this fixture.
        int firstEos = Enumerable.Range(0, 77).First(i => ids[0, i].item<long>() == 999);
        var legacy = PooledAt(2, out var last);
        Assert.True(legacy[0].allclose(last[0, firstEos], 0, 0), "eos_token_id 2: argmax(input_ids)");
        var explicitEos = PooledAt(999, out last);
        Assert.True(explicitEos.allclose(legacy, 0, 0), "eos_token_id 999: first occurrence = argmax here");
        // The fixture's config keeps the default 49407, absent from these ids: transformers then pools position 0.
        var absent = PooledAt(49407, out last);
        Assert.True(absent.allclose(last.select(1, 0), 0, 0));
        Assert.False(absent.allclose(legacy, 1e-3, 1e-3));
    }
}
