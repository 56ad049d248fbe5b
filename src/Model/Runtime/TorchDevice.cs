using TorchSharp;

namespace Repro.Model.Runtime;

/// <summary>Resolves the runtime device option (<c>--device cpu|cuda</c>; default: cuda when available).</summary>
public static class TorchDevice
{
    public static torch.Device Resolve(string? name)
    {
        switch ((name ?? "auto").Trim().ToLowerInvariant())
        {
            case "auto" or "":
                return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
            case "cpu":
                return torch.CPU;
            case var s when s == "cuda" || s.StartsWith("cuda:"):
                if (!torch.cuda.is_available())
                    throw new ArgumentException($"Device '{name}' was requested but CUDA is not available in this build " +
                                                "(build with -p:TorchBackend=cuda on a machine with an NVIDIA driver).");
                return new torch.Device(s);
            default:
                throw new ArgumentException($"Unknown device '{name}': expected cpu, cuda, cuda:N or auto.");
        }
    }
}
