using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Attention;

/// <summary>One captured cross-attention map: (batch, tokens, heads, query_len) probabilities of one attn2 layer.</summary>
public sealed record CapturedAttention(string LayerPath, Tensor Probabilities);

/// <summary>
/// Records cross-attention (attn2) probabilities while it is alive. Create it with
/// <c>using var capture = unet.CaptureCrossAttention(filter)</c>: it installs a <see cref="CapturingAttnProcessor"/>
/// on the selected attn2 layers and restores the previous processors on <see cref="Dispose"/> (a <c>using</c> also
/// restores them when the forward throws). Self-attention keeps its processor (fused SDPA).
/// <para>
/// Lifetime rule: each UNet forward starts a new result (the list is cleared at the start of every forward).
/// The maps are attached to the dispose scope that is current when the forward is called (the training step's
/// scope), exactly like the forward's output, and keep their autograd history. Without a scope they are ordinary
/// tensors: dispose them yourself or let the GC collect them. <see cref="Clear"/> empties the list without
/// disposing anything.
/// </para>
/// </summary>
public sealed class CrossAttentionCapture : IDisposable
{
    private readonly List<CapturedAttention> _maps = [];
    private readonly Dictionary<Attention, IAttentionProcessor> _previous = [];
    private readonly Action<CrossAttentionCapture> _onDispose;
    private Tensor? _anchor;
    private bool _disposed;

    internal CrossAttentionCapture(IEnumerable<(string Path, Attention Module)> layers, Func<string, bool>? filter,
                                   Action<CrossAttentionCapture> onDispose)
    {
        _onDispose = onDispose;
        var processor = new CapturingAttnProcessor(this);
        var selected = layers.Where(l => l.Module.IsCrossAttention && (filter?.Invoke(l.Path) ?? true)).ToList();
        foreach (var (_, module) in selected)
        {
            _previous[module] = module.Processor;
            module.Processor = processor;
        }
        LayerPaths = selected.Select(l => l.Path).ToList();
    }

    /// <summary>The layers this capture is installed on (registration order).</summary>
    public IReadOnlyList<string> LayerPaths { get; }

    /// <summary>The maps of the latest forward, in execution order (down, mid, up).</summary>
    public IReadOnlyList<CapturedAttention> Maps => _maps;

    /// <summary>The maps of the latest forward keyed by layer path (the last call wins if a layer runs twice).</summary>
    public IReadOnlyDictionary<string, Tensor> ByLayer => _maps.GroupBy(m => m.LayerPath).ToDictionary(g => g.Key, g => g.Last().Probabilities);

    /// <summary>Forgets the recorded maps (does not dispose them: they belong to the caller's scope).</summary>
    public void Clear() => _maps.Clear();

    /// <summary>Called by the model at the start of a forward, before it opens its own dispose scope.</summary>
    internal void BeginForward()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _maps.Clear();
        // A 0-element tensor made in the caller's scope; captured maps are moved to the same scope.
        _anchor = torch.empty(0);
    }

    internal void Record(string layerPath, Tensor map)
    {
        map = _anchor is null ? map.DetachFromDisposeScope() : map.MoveToOtherDisposeScope(_anchor);
        _maps.Add(new CapturedAttention(layerPath, map));
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var (module, processor) in _previous) module.Processor = processor;
        _previous.Clear();
        _maps.Clear();
        _anchor = null;
        _onDispose(this);
    }
}
