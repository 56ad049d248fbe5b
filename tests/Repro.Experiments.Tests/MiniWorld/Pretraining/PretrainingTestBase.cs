using TorchSharp;

namespace Repro.Experiments.Tests.MiniWorld.Pretraining;

/// <summary>A temporary model folder and one torch thread (bit-identical resume), restored after each test.</summary>
public abstract class PretrainingTestBase : IDisposable
{
    private readonly int _threads = torch.get_num_threads();

    protected PretrainingTestBase() => torch.set_num_threads(1);

    protected string Dir { get; } = Directory.CreateTempSubdirectory("repro-pretrain-").FullName;

    public void Dispose()
    {
        torch.set_num_threads(_threads);
        Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
    }
}
