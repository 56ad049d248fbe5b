using Repro.Model.IO;

namespace Repro.Model.Tests.IO;

public sealed class ModelWeightsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("repro-weights-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void Touch(string name) => File.WriteAllBytes(Path.Combine(_dir, name), []);

    [Fact]
    public void Plain_file_is_preferred_over_variants()
    {
        Touch("diffusion_pytorch_model.safetensors");
        Touch("diffusion_pytorch_model.fp16.safetensors");
        Assert.EndsWith("/diffusion_pytorch_model.safetensors", ModelWeights.Resolve(_dir, "diffusion_pytorch_model"));
        Assert.EndsWith("/diffusion_pytorch_model.fp16.safetensors", ModelWeights.Resolve(_dir, "diffusion_pytorch_model", "fp16"));
    }

    [Fact]
    public void A_lone_variant_or_a_sharded_index_is_found()
    {
        Touch("diffusion_pytorch_model.fp16.safetensors");
        Assert.EndsWith(".fp16.safetensors", ModelWeights.Resolve(_dir, "diffusion_pytorch_model"));
        Touch("model.safetensors.index.json");
        Touch("model-00001-of-00002.safetensors");
        Assert.EndsWith("/model.safetensors.index.json", ModelWeights.Resolve(_dir, "model"));
    }

    [Fact]
    public void Pickle_only_folder_is_refused_by_name()
    {
        Touch("pytorch_model.bin");
        Touch("diffusion_pytorch_model.bin");
        var e = Assert.Throws<NotSupportedException>(() => ModelWeights.Resolve(_dir, "diffusion_pytorch_model"));
        Assert.Contains("diffusion_pytorch_model.bin", e.Message);
        Assert.Throws<FileNotFoundException>(() => ModelWeights.Resolve(_dir, "model"));
    }
}
