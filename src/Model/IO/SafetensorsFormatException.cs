namespace Repro.Model.IO;

/// <summary>A safetensors file that breaks the format; the message names the file, the tensor and the problem.</summary>
public sealed class SafetensorsFormatException(string file, string? tensor, string problem)
    : IOException(tensor is null ? $"{file}: {problem}" : $"{file}: tensor '{tensor}': {problem}")
{
    public string File { get; } = file;
    public string? Tensor { get; } = tensor;
    public string Problem { get; } = problem;
}
