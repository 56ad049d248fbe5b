namespace Repro.Model.Clip;

/// <summary>Value checks shared by the CLIP and ViT configs; errors name the file and the key.</summary>
internal static class ClipConfigChecks
{
    public static void Positive(string path, string key, double value)
    {
        if (!(value > 0)) throw new InvalidDataException($"{path}: {key} must be positive, got {value}");
    }

    public static void Common(string path, int hidden, int heads, int intermediate, int layers, string act, double eps)
    {
        Positive(path, "hidden_size", hidden);
        Positive(path, "num_attention_heads", heads);
        Positive(path, "intermediate_size", intermediate);
        Positive(path, "layer_norm_eps", eps);
        if (layers < 0) throw new InvalidDataException($"{path}: num_hidden_layers must be >= 0, got {layers}");
        if (hidden % heads != 0)
            throw new InvalidDataException($"{path}: hidden_size {hidden} is not divisible by num_attention_heads {heads}");
        if (!HiddenActivation.IsKnown(act))
            throw new InvalidDataException($"{path}: hidden_act '{act}' is not supported (expected one of {string.Join(", ", HiddenActivation.Names)})");
    }
}
