using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Repro.Experiments.Methods;
using Repro.Experiments.Training;
using Repro.Model.UNet;

namespace Repro.Experiments.Tests.Training;

/// <summary>learned_embeds.safetensors and unet/ are in the layouts diffusers writes and load with our loaders.</summary>
public sealed class OutputFormatTests
{
    private static JsonObject Header(string path)
    {
        var bytes = File.ReadAllBytes(path);
        long length = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, length % 8);
        return JsonNode.Parse(System.Text.Encoding.UTF8.GetString(bytes, 8, (int)length))!.AsObject();
    }

    [Fact]
    public void Learned_embeds_and_unet_match_the_diffusers_layout_and_load()
    {
        string output = TinyWorld.TempFolder("format");
        var c = new TextualInversionDreamBoothConfig { Steps = 1, BatchSize = 1, Concept = TinyWorld.Concept(output) };
        var manifest = TextualInversionDreamBooth.Run(c, _ => { });

        // textual_inversion.py: {placeholder_token: weight[min_id:max_id+1]} → one F32 tensor of shape (1, hidden).
        var embeds = Header(Path.Combine(output, "learned_embeds.safetensors"));
        Assert.Equal("pt", embeds["__metadata__"]!["format"]!.GetValue<string>());
        var entry = embeds["sks_v0"]!.AsObject();
        Assert.Equal("F32", entry["dtype"]!.GetValue<string>());
        Assert.Equal(new[] { 1, 32 }, entry["shape"]!.AsArray().Select(n => n!.GetValue<int>()));
        Assert.Equal(2, embeds.Count);
        var (token, vector) = TrainingOutputs.LoadEmbedding(Path.Combine(output, "learned_embeds.safetensors"));
        Assert.Equal("sks_v0", token);
        Assert.Equal(32, vector.shape[0]);

        // save_pretrained: config.json + diffusion_pytorch_model.safetensors with the base checkpoint's keys, dtypes and shapes.
        string unet = manifest["outputs"]!["unet"]!.GetValue<string>();
        var ours = Header(Path.Combine(unet, "diffusion_pytorch_model.safetensors"));
        var base_ = Header(Path.Combine(TinyWorld.Model, "unet", "diffusion_pytorch_model.safetensors"));
        string Layout(JsonObject h) => string.Join('\n', h.Where(kv => kv.Key != "__metadata__").OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => $"{kv.Key} {kv.Value!["dtype"]} {kv.Value!["shape"]!.ToJsonString()}"));
        Assert.Equal(Layout(base_), Layout(ours));
        Assert.Equal(File.ReadAllText(Path.Combine(TinyWorld.Model, "unet", "config.json")), File.ReadAllText(Path.Combine(unet, "config.json")));
        using var loaded = UNet2DConditionModel.FromPretrained(unet);
        Assert.NotNull(loaded);

        // The manifest records config, seeds, versions, wall time and peak memory.
        foreach (string key in new[] { "config", "seed", "stage_seeds", "versions", "wall_seconds", "peak_rss_bytes", "stages" })
            Assert.NotNull(manifest[key]);
        Assert.True(File.Exists(Path.Combine(output, "run.json")));
        Directory.Delete(output, true);
    }
}
