using Repro.Experiments.Training;
using Repro.Model.Pipeline;
using TorchSharp;

namespace Repro.Experiments.Tests.Training;

/// <summary>
/// A tiny random Stable Diffusion (SD2.1 layout, 16 attn2 layers, 32×32 images) and a folder of three small concept
/// images, written once per test process; each test gets its own output folder.
/// </summary>
public static class TinyWorld
{
    private static readonly Lazy<(string Model, string Images)> Files = new(Write);

    public static string Model => Files.Value.Model;
    public static string Images => Files.Value.Images;

    private static (string, string) Write()
    {
        string root = Path.Combine(Path.GetTempPath(), $"repro-methods-tests-{Environment.ProcessId}");
        string model = TinyRandomModel.EnsureWritten(Path.Combine(root, "tiny-sd"), seed: 1);
        string images = Path.Combine(root, "concept");
        Directory.CreateDirectory(images);
        using var generator = new torch.Generator(7);
        for (int k = 0; k < 3; k++)
        {
            // A bright square on a dark background at a different place in each picture: something to over-fit.
            using var image = torch.full([3, 40, 48], -0.8f);
            image[.., (5 + 3 * k)..(25 + 3 * k), (8 + 4 * k)..(30 + 4 * k)] = torch.tensor(0.9f);
            using var noisy = (image + 0.05 * torch.randn([3, 40, 48], generator: generator)).clamp(-1, 1);
            ImageIO.SavePng(noisy, Path.Combine(images, $"img{k}.png"));
        }
        return (model, images);
    }

    /// <summary>Concept settings for a test: tiny model, CPU, 1 thread per test process share, checkpoints every step.</summary>
    public static ConceptSettings Concept(string output, long seed = 3) => new()
    {
        Model = Model, InstanceDir = Images, Category = "dog", Token = "sks_v0", Output = output, Seed = seed,
        Device = "cpu", CheckpointEvery = 1, CheckpointsTotalLimit = 2, ClassImages = 2, ClassSamplingSteps = 2,
    };

    public static string TempFolder(string name) => Directory.CreateTempSubdirectory($"repro-{name}-").FullName;
}
