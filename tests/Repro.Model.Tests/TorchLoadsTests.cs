using TorchSharp;

namespace Repro.Model.Tests;

public class TorchLoadsTests
{
    [Fact]
    public void Native_torch_loads_and_computes()
    {
        using var a = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        Assert.Equal(15f, a.sum().item<float>());
    }
}
