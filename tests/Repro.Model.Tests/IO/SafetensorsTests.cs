using Repro.Model.IO;
using Repro.Tests;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Tests.IO;

public sealed class SafetensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("repro-st-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public void Every_supported_dtype_round_trips_bit_exactly()
    {
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = torch.randn(3, 4, generator: torch.manual_seed(1)),
            ["f16"] = torch.randn(5, generator: torch.manual_seed(2)).to(torch.float16),
            ["bf16"] = torch.randn(2, 3, generator: torch.manual_seed(3)).to(torch.bfloat16),
            ["f64"] = torch.randn(2, generator: torch.manual_seed(4)).to(torch.float64),
            ["i64"] = torch.tensor(new long[] { long.MinValue, -1, 0, long.MaxValue }),
            ["i32"] = torch.tensor(new[] { int.MinValue, 7, int.MaxValue }),
            ["u8"] = torch.tensor(new byte[] { 0, 128, 255 }),
            ["bool"] = torch.tensor(new[] { true, false, true }),
            ["scalar"] = torch.tensor(3.5f),
            ["empty"] = torch.zeros(0, 4),
        };
        string path = PathOf("all.safetensors");
        Safetensors.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });

        var header = SafetensorsHeader.Read(path);
        Assert.Equal("pt", header.Metadata["format"]);
        Assert.Equal(0, header.DataStart % 8);
        var loaded = Safetensors.Load(path);
        Assert.Equal(tensors.Keys.Order(), loaded.Keys.Order());
        foreach (var (name, expected) in tensors)
        {
            var actual = loaded[name];
            Assert.Equal(expected.dtype, actual.dtype);
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(expected.numel() == 0 || expected.bytes.SequenceEqual(actual.bytes), name);
        }
    }

    [Fact]
    public void Golden_fixture_files_from_python_are_read()
    {
        var header = SafetensorsHeader.Read(FixturePaths.Get("unet_tiny_sd21", "inputs.safetensors"));
        Assert.Equal(["encoder_hidden_states", "sample", "target", "timestep"], header.Entries.Select(e => e.Name).Order());
        var inputs = Safetensors.Load(header.Path);
        Assert.Equal(new long[] { 2, 4, 16, 16 }, inputs["sample"].shape);
        Assert.Equal(ScalarType.Int64, inputs["timestep"].dtype);
        Assert.True(inputs["sample"].abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Sharded_index_reads_tensors_across_files()
    {
        Safetensors.Save(PathOf("model-00001-of-00002.safetensors"), new Dictionary<string, Tensor> { ["a"] = torch.ones(2) });
        Safetensors.Save(PathOf("model-00002-of-00002.safetensors"), new Dictionary<string, Tensor> { ["b"] = torch.full(3, 2f) });
        File.WriteAllText(PathOf("model.safetensors.index.json"),
            """{"metadata": {"total_size": 20}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}""");
        var checkpoint = SafetensorsCheckpoint.Open(PathOf("model.safetensors.index.json"));
        Assert.Equal(2, checkpoint.Files.Count);
        Assert.Equal(6f, checkpoint.Read("b").sum().item<float>());
        Assert.Equal(2f, checkpoint.ReadAll()["a"].sum().item<float>());
    }

    [Fact]
    public void Index_that_misplaces_a_key_is_refused()
    {
        Safetensors.Save(PathOf("s1.safetensors"), new Dictionary<string, Tensor> { ["a"] = torch.ones(2) });
        Safetensors.Save(PathOf("s2.safetensors"), new Dictionary<string, Tensor> { ["b"] = torch.ones(2) });
        File.WriteAllText(PathOf("m.safetensors.index.json"), """{"weight_map": {"a": "s2.safetensors", "b": "s2.safetensors"}}""");
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsCheckpoint.Open(PathOf("m.safetensors.index.json")));
        Assert.Contains("'a'", e.Message);
    }

    [Fact]
    public void Index_pointing_outside_its_folder_is_refused()
    {
        File.WriteAllText(PathOf("m.safetensors.index.json"), """{"weight_map": {"a": "../x.safetensors"}}""");
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsCheckpoint.Open(PathOf("m.safetensors.index.json")));
        Assert.Contains("outside", e.Message);
    }

    [Theory]
    [InlineData("model.bin")]
    [InlineData("model.ckpt")]
    [InlineData("diffusion_pytorch_model.bin")]
    [InlineData("weights.pt")]
    public void Pickle_checkpoints_are_refused_without_being_opened(string name)
    {
        string path = PathOf(name);
        File.WriteAllBytes(path, [0x80, 0x02]);
        var e = Assert.Throws<NotSupportedException>(() => SafetensorsCheckpoint.Open(path));
        Assert.Contains(name, e.Message);
        Assert.Contains("pickle", e.Message);
    }

    [Fact]
    public void Missing_file_names_the_path()
    {
        var e = Assert.Throws<FileNotFoundException>(() => SafetensorsHeader.Read(PathOf("nope.safetensors")));
        Assert.Contains("nope.safetensors", e.Message);
    }

    [Fact]
    public void Save_is_atomic_and_leaves_no_temporary_file()
    {
        string path = PathOf("atomic.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["x"] = torch.ones(4) });
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["y"] = torch.zeros(2) });
        Assert.Equal(["atomic.safetensors"], Directory.GetFiles(_dir).Select(Path.GetFileName));
        Assert.Equal(["y"], SafetensorsHeader.Read(path).Entries.Select(e => e.Name));
    }
}
