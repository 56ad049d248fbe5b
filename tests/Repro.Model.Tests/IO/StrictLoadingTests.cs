using Repro.Model.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Tests.IO;

public sealed class StrictLoadingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("repro-load-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class TwoLayers : nn.Module
    {
#pragma warning disable IDE1006
        private readonly nn.Module<Tensor, Tensor> proj_in = nn.Linear(3, 4);
        private readonly nn.Module<Tensor, Tensor> proj_out = nn.Linear(4, 2);
#pragma warning restore IDE1006
        public TwoLayers() : base(nameof(TwoLayers)) => RegisterComponents();
    }

    private string Save(Dictionary<string, Tensor> tensors)
    {
        string path = Path.Combine(_dir, "model.safetensors");
        Safetensors.Save(path, tensors);
        return path;
    }

    private static Dictionary<string, Tensor> Full() => new()
    {
        ["proj_in.weight"] = torch.full(4, 3, 0.5f), ["proj_in.bias"] = torch.zeros(4),
        ["proj_out.weight"] = torch.full(2, 4, 2f).to(torch.float16), ["proj_out.bias"] = torch.ones(2),
    };

    [Fact]
    public void Matching_checkpoint_loads_and_converts_dtype()
    {
        var model = new TwoLayers();
        StateDictLoader.Load(model, Save(Full()));
        var sd = model.state_dict();
        Assert.Equal(6f, sd["proj_in.weight"].sum().item<float>());
        Assert.Equal(ScalarType.Float32, sd["proj_out.weight"].dtype);
        Assert.Equal(16f, sd["proj_out.weight"].sum().item<float>());
    }

    [Fact]
    public void Missing_unexpected_and_misshapen_keys_are_all_listed()
    {
        var tensors = Full();
        tensors.Remove("proj_in.bias");
        tensors["proj_extra.weight"] = torch.ones(1);
        tensors["proj_out.bias"] = torch.ones(3);
        string path = Save(tensors);
        var e = Assert.Throws<CheckpointMismatchException>(() => StateDictLoader.Load(new TwoLayers(), path));
        Assert.Equal(["proj_in.bias"], e.Missing);
        Assert.Equal(["proj_extra.weight"], e.Unexpected);
        Assert.Single(e.ShapeMismatches, s => s.Contains("proj_out.bias") && s.Contains("[3]") && s.Contains("[2]"));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Renames_and_ignorable_keys_are_honoured()
    {
        var tensors = Full().ToDictionary(p => p.Key.Replace("proj_in", "query"), p => p.Value);
        tensors["position_ids"] = torch.arange(5);
        var model = new TwoLayers();
        StateDictLoader.Load(model, Save(tensors), rename: k => k.Replace("query", "proj_in"), ignoreUnexpected: k => k == "position_ids");
        Assert.Equal(6f, model.state_dict()["proj_in.weight"].sum().item<float>());
    }

    [Fact]
    public void Config_reader_accepts_python_infinity_and_reports_unknown_keys()
    {
        string path = Path.Combine(_dir, "scheduler_config.json");
        File.WriteAllText(path, """{"_class_name": "X", "lower": -Infinity, "upper": Infinity, "name": "a \"NaN\" string", "mystery": 1}""");
        var file = ConfigJson.Read<Limits>(path);
        Assert.Equal(double.NegativeInfinity, file.Config.Lower);
        Assert.Equal(double.PositiveInfinity, file.Config.Upper);
        Assert.Equal("a \"NaN\" string", file.Config.Name);
        Assert.Equal(["mystery"], file.UnknownKeys);
    }

    private sealed record Limits
    {
        [System.Text.Json.Serialization.JsonPropertyName("lower")] public double Lower { get; init; }
        [System.Text.Json.Serialization.JsonPropertyName("upper")] public double Upper { get; init; }
        [System.Text.Json.Serialization.JsonPropertyName("name")] public string Name { get; init; } = "";
    }
}
