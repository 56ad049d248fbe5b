using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Attention;

/// <summary>
/// Model-wide access to the processors of every <see cref="Attention"/> in a module tree (diffusers'
/// <c>attn_processors</c> / <c>set_attn_processor</c>), keyed by layer path (e.g.
/// <c>mid_block.attentions.0.transformer_blocks.0.attn2</c>). diffusers' <c>"&lt;path&gt;.processor"</c> keys are
/// accepted too.
/// </summary>
public static class AttentionProcessors
{
    /// <summary>Every Attention module under <paramref name="root"/> with its path, in registration order.</summary>
    public static IReadOnlyList<(string Path, Attention Module)> Layers(nn.Module root) =>
        root.named_modules().Where(m => m.Item2 is Attention).Select(m => (m.Item1, (Attention)m.Item2)).ToList();

    /// <summary>Gives each Attention its layer path; models call this once, after construction.</summary>
    public static void AssignPaths(nn.Module root)
    {
        foreach (var (path, module) in Layers(root)) module.LayerPath = path;
    }

    public static IReadOnlyDictionary<string, IAttentionProcessor> Get(nn.Module root) =>
        Layers(root).ToDictionary(l => l.Path, l => l.Module.Processor);

    public static void Set(nn.Module root, IAttentionProcessor processor)
    {
        ArgumentNullException.ThrowIfNull(processor);
        foreach (var (_, module) in Layers(root)) module.Processor = processor;
    }

    /// <summary>
    /// Sets one processor per layer. As in diffusers, the dictionary must name every attention layer; unknown keys
    /// are errors.
    /// </summary>
    public static void Set(nn.Module root, IReadOnlyDictionary<string, IAttentionProcessor> processors)
    {
        var layers = Layers(root).ToDictionary(l => l.Path, l => l.Module);
        var normalised = processors.ToDictionary(p => p.Key.EndsWith(".processor", StringComparison.Ordinal) ? p.Key[..^".processor".Length] : p.Key, p => p.Value);
        var unknown = normalised.Keys.Where(k => !layers.ContainsKey(k)).ToList();
        var missing = layers.Keys.Where(k => !normalised.ContainsKey(k)).ToList();
        if (unknown.Count > 0 || missing.Count > 0)
            throw new ArgumentException($"set_attn_processor: the dictionary must name every attention layer; " +
                                        $"missing [{string.Join(", ", missing)}], unknown [{string.Join(", ", unknown)}]");
        foreach (var (path, processor) in normalised) layers[path].Processor = processor ?? throw new ArgumentNullException(path);
    }
}
