using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.Attention;

/// <summary>The projected inputs of one attention call, heads split out: (B, heads, len, head_dim).</summary>
public sealed record AttentionProjection(Tensor Query, Tensor Key, Tensor Value, Tensor Residual, long[]? SpatialShape);

/// <summary>
/// diffusers <c>Attention</c> (the subset SD 1.x/2.x use): to_q/to_k/to_v, to_out = [Linear, Dropout], optional
/// GroupNorm before the projections with a residual connection (the VAE's mid-block attention). The math lives in
/// an <see cref="IAttentionProcessor"/> (default: <see cref="AttnProcessor"/>, fused SDPA); the module only holds
/// weights, the settings and the shared pre/post steps (<see cref="Project"/>, <see cref="Output"/>).
/// </summary>
public sealed class Attention : nn.Module
{
#pragma warning disable IDE1006 // diffusers state-dict keys
    private readonly GroupNorm? group_norm;
    private readonly Linear to_q;
    private readonly Linear to_k;
    private readonly Linear to_v;
    private readonly ModuleList<nn.Module<Tensor, Tensor>> to_out;
#pragma warning restore IDE1006
    private IAttentionProcessor _processor = AttnProcessor.Instance;

    /// <param name="queryDim">Channels of the queries.</param>
    /// <param name="crossAttentionDim">Channels of the context; null = self-attention (context = queries).</param>
    public Attention(long queryDim, long? crossAttentionDim, int heads, long dimHead, double dropout = 0.0, bool bias = false,
                     bool upcastAttention = false, bool upcastSoftmax = false, bool outBias = true,
                     long? normNumGroups = null, double eps = 1e-5, bool residualConnection = false, double rescaleOutputFactor = 1.0)
        : base(nameof(Attention))
    {
        long inner = dimHead * heads;
        Heads = heads;
        HeadDim = dimHead;
        Scale = 1.0 / Math.Sqrt(dimHead);
        IsCrossAttention = crossAttentionDim is not null;
        UpcastAttention = upcastAttention;
        UpcastSoftmax = upcastSoftmax;
        ResidualConnection = residualConnection;
        RescaleOutputFactor = rescaleOutputFactor;
        if (normNumGroups is { } g) group_norm = Blocks.Norms.GroupNorm(g, queryDim, eps);
        to_q = nn.Linear(queryDim, inner, hasBias: bias);
        to_k = nn.Linear(crossAttentionDim ?? queryDim, inner, hasBias: bias);
        to_v = nn.Linear(crossAttentionDim ?? queryDim, inner, hasBias: bias);
        to_out = new ModuleList<nn.Module<Tensor, Tensor>>(nn.Linear(inner, queryDim, hasBias: outBias), nn.Dropout(dropout));
        RegisterComponents();
    }

    public int Heads { get; }
    public long HeadDim { get; }
    /// <summary>Softmax scale, head_dim^-0.5.</summary>
    public double Scale { get; }
    /// <summary>True when keys/values come from a context (attn2); false for self-attention.</summary>
    public bool IsCrossAttention { get; }
    public bool UpcastAttention { get; }
    public bool UpcastSoftmax { get; }
    public bool ResidualConnection { get; }
    public double RescaleOutputFactor { get; }

    /// <summary>This module's path in its model (set by the model after construction; "" when standalone).</summary>
    public string LayerPath { get; internal set; } = "";

    public Linear ToQ => to_q;
    public Linear ToK => to_k;
    public Linear ToV => to_v;
    public Linear ToOut => (Linear)to_out[0];

    public IAttentionProcessor Processor
    {
        get => _processor;
        set => _processor = value ?? throw new ArgumentNullException(nameof(value));
    }

    public Tensor forward(Tensor hidden, Tensor? context = null, Tensor? mask = null) =>
        _processor.Process(this, hidden, context, mask, LayerPath);

    /// <summary>
    /// The steps every processor shares before the attention itself: flatten a (B, C, H, W) input to (B, HW, C),
    /// GroupNorm if present, project q/k/v and split heads to (B, heads, len, head_dim).
    /// </summary>
    public AttentionProjection Project(Tensor hidden, Tensor? context)
    {
        var residual = hidden;
        long[]? spatial = null;
        if (hidden.dim() == 4)
        {
            spatial = hidden.shape;
            hidden = hidden.view(spatial[0], spatial[1], spatial[2] * spatial[3]).transpose(1, 2);
        }
        if (group_norm is not null) hidden = group_norm.forward(hidden.transpose(1, 2)).transpose(1, 2);
        var query = to_q.forward(hidden);
        var source = context ?? hidden;
        var key = to_k.forward(source);
        var value = to_v.forward(source);
        return new AttentionProjection(SplitHeads(query), SplitHeads(key), SplitHeads(value), residual, spatial);
    }

    /// <summary>
    /// The steps after the attention: merge heads of (B, heads, N, head_dim), to_out (Linear, Dropout), back to
    /// (B, C, H, W) for spatial inputs, residual add and rescale.
    /// </summary>
    public Tensor Output(Tensor attended, AttentionProjection p)
    {
        long b = attended.shape[0];
        var h = attended.transpose(1, 2).reshape(b, -1, Heads * HeadDim);
        foreach (var layer in to_out) h = layer.forward(h);
        if (p.SpatialShape is { } s) h = h.transpose(-1, -2).reshape(s);
        if (ResidualConnection) h = h + p.Residual;
        if (RescaleOutputFactor != 1.0) h = h / RescaleOutputFactor;
        return h;
    }

    private Tensor SplitHeads(Tensor x) => x.view(x.shape[0], -1, Heads, HeadDim).transpose(1, 2);
}
