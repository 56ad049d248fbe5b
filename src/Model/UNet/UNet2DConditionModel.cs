using Repro.Model.Attention;
using Repro.Model.Blocks;
using Repro.Model.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Model.UNet;

/// <summary>
/// diffusers <c>UNet2DConditionModel</c> restricted to the SD 1.x/2.x layout: conv_in, sinusoidal time projection +
/// TimestepEmbedding, CrossAttnDownBlock2D/DownBlock2D, UNetMidBlock2DCrossAttn, CrossAttnUpBlock2D/UpBlock2D,
/// GroupNorm → SiLU → conv_out. Field names are the state-dict keys; <c>mid_block</c> is registered after
/// <c>up_blocks</c>, as in diffusers. Attention goes through <see cref="IAttentionProcessor"/>s
/// (<see cref="SetAttnProcessor(IAttentionProcessor)"/>, <see cref="CaptureCrossAttention"/>).
/// </summary>
public sealed class UNet2DConditionModel : nn.Module
{
#pragma warning disable IDE1006
    private readonly Conv2d conv_in;
    private readonly TimestepEmbedding time_embedding;
    private readonly ModuleList<CrossAttnDownBlock2D> down_blocks;
    private readonly ModuleList<CrossAttnUpBlock2D> up_blocks;
    private readonly UNetMidBlock2DCrossAttn mid_block;
    private readonly GroupNorm conv_norm_out;
    private readonly Conv2d conv_out;
#pragma warning restore IDE1006
    private readonly Timesteps _timeProj;
    private readonly List<CrossAttentionCapture> _captures = [];

    public UNet2DConditionModel(UNet2DConditionConfig config) : base(nameof(UNet2DConditionModel))
    {
        config.Validate("UNet2DConditionConfig");
        Config = config;
        var c = config;
        int levels = c.BlockOutChannels.Length;
        int groups = c.NormNumGroups!.Value;
        long timeEmbedDim = c.TimeEmbeddingDim ?? c.BlockOutChannels[0] * 4;

        conv_in = nn.Conv2d(c.InChannels, c.BlockOutChannels[0], c.ConvInKernel, stride: 1, padding: (c.ConvInKernel - 1) / 2);
        _timeProj = new Timesteps(c.BlockOutChannels[0], c.FlipSinToCos, c.FreqShift);
        time_embedding = new TimestepEmbedding(c.BlockOutChannels[0], timeEmbedDim, c.ActFn);

        BlockSettings Settings(int level, int numLayers, long inCh, long outCh, double scale = 1.0) => new(
            numLayers, c.PerLevel(c.TransformerLayersPerBlock, level), inCh, outCh, timeEmbedDim, c.NormEps, groups, c.ActFn, c.Dropout,
            c.PerLevel(c.AttentionHeadDim, level), c.PerLevel(c.CrossAttentionDim, level), c.UseLinearProjection, c.UpcastAttention,
            c.DownsamplePadding, scale);

        var downs = new List<CrossAttnDownBlock2D>();
        long output = c.BlockOutChannels[0];
        for (int i = 0; i < levels; i++)
        {
            long input = output;
            output = c.BlockOutChannels[i];
            var s = Settings(i, c.PerLevel(c.LayersPerBlock, i), input, output);
            bool down = i != levels - 1;
            downs.Add(c.DownBlockTypes[i] == "CrossAttnDownBlock2D" ? new CrossAttnDownBlock2D(s, down) : new DownBlock2D(s, down));
        }
        down_blocks = new ModuleList<CrossAttnDownBlock2D>(downs.ToArray());

        // Up path: the per-level lists reversed (up block i pairs with level levels-1-i).
        var ups = new List<CrossAttnUpBlock2D>();
        output = c.BlockOutChannels[^1];
        for (int i = 0; i < levels; i++)
        {
            int level = levels - 1 - i;
            long prev = output;
            output = c.BlockOutChannels[level];
            long input = c.BlockOutChannels[Math.Max(level - 1, 0)];
            var s = Settings(level, c.PerLevel(c.LayersPerBlock, level) + 1, input, output);
            bool up = i != levels - 1;
            ups.Add(c.UpBlockTypes[i] == "CrossAttnUpBlock2D" ? new CrossAttnUpBlock2D(s, prev, up) : new UpBlock2D(s, prev, up));
        }
        up_blocks = new ModuleList<CrossAttnUpBlock2D>(ups.ToArray());
        NumUpsamplers = levels - 1;

        long mid = c.BlockOutChannels[^1];
        mid_block = new UNetMidBlock2DCrossAttn(Settings(levels - 1, 1, mid, mid, c.MidBlockScaleFactor));
        conv_norm_out = Norms.GroupNorm(groups, c.BlockOutChannels[0], c.NormEps);
        conv_out = nn.Conv2d(c.BlockOutChannels[0], c.OutChannels, c.ConvOutKernel, stride: 1, padding: (c.ConvOutKernel - 1) / 2);
        RegisterComponents();
        AttentionProcessors.AssignPaths(this);
    }

    public UNet2DConditionConfig Config { get; }
    public int NumUpsamplers { get; }

    /// <summary>Test/debug tap: receives named intermediates (time_proj, time_embedding, conv_in, mid_block).</summary>
    internal Action<string, Tensor>? Tap { get; set; }

    /// <summary>Reads <c>config.json</c> and <c>diffusion_pytorch_model[.variant].safetensors</c> (or its sharded index) strictly.</summary>
    public static UNet2DConditionModel FromPretrained(string folder, string? variant = null) =>
        FromFiles(Path.Combine(folder, "config.json"), ModelWeights.Resolve(folder, "diffusion_pytorch_model", variant));

    /// <summary>Builds from a config file and loads a weights file strictly (errors name the file and the keys).</summary>
    public static UNet2DConditionModel FromFiles(string configPath, string weightsPath)
    {
        var model = new UNet2DConditionModel(ReadConfig(configPath));
        StateDictLoader.Load(model, weightsPath);
        model.eval();
        return model;
    }

    /// <summary>Reads and validates a UNet config.json; unknown keys are errors (they may change the math).</summary>
    public static UNet2DConditionConfig ReadConfig(string configPath)
    {
        var file = ConfigJson.Read<UNet2DConditionConfig>(configPath);
        if (file.UnknownKeys.Count > 0)
            throw new NotSupportedException($"{configPath}: unknown UNet config keys [{string.Join(", ", file.UnknownKeys)}]");
        return file.Config;
    }

    /// <param name="sample">Noisy latents (B, in_channels, H, W).</param>
    /// <param name="timestep">0-dim (broadcast to the batch) or (B) timesteps, integer or float.</param>
    /// <param name="encoderHiddenStates">Text conditioning (B, 77, cross_attention_dim).</param>
    /// <returns>The prediction (B, out_channels, H, W) (epsilon or v, depending on how the model was trained).</returns>
    public Tensor forward(Tensor sample, Tensor timestep, Tensor encoderHiddenStates)
    {
        foreach (var capture in _captures) capture.BeginForward();
        using var _ = torch.NewDisposeScope();
        long batch = sample.shape[0];
        long factor = 1L << NumUpsamplers;
        bool forwardUpsampleSize = sample.shape[^2] % factor != 0 || sample.shape[^1] % factor != 0;
        if (Config.CenterInputSample) sample = 2 * sample - 1.0;

        var t = timestep.dim() == 0 ? timestep.reshape(1).expand(batch) : timestep;
        if (t.dim() != 1 || (t.shape[0] != batch && t.shape[0] != 1))
            throw new ArgumentException($"timestep: expected a 0-dim or ({batch}) tensor, got [{string.Join(", ", timestep.shape)}]");
        if (t.shape[0] == 1 && batch != 1) t = t.expand(batch);
        var tEmb = _timeProj.Forward(t.to(sample.device)).to(sample.dtype);
        Tap?.Invoke("time_proj", tEmb);
        var emb = time_embedding.forward(tEmb);
        Tap?.Invoke("time_embedding", emb);

        var h = conv_in.forward(sample);
        Tap?.Invoke("conv_in", h);
        var states = new List<Tensor> { h };
        foreach (var block in down_blocks)
        {
            (h, var blockStates) = block.forward(h, emb, block.HasCrossAttention ? encoderHiddenStates : null);
            states.AddRange(blockStates);
        }
        h = mid_block.forward(h, emb, encoderHiddenStates);
        Tap?.Invoke("mid_block", h);

        for (int i = 0; i < up_blocks.Count; i++)
        {
            var block = up_blocks[i];
            int n = block.NumResnets;
            var skips = states.GetRange(states.Count - n, n);
            states.RemoveRange(states.Count - n, n);
            long[]? upsampleSize = i != up_blocks.Count - 1 && forwardUpsampleSize ? states[^1].shape[2..] : null;
            h = block.forward(h, skips, emb, encoderHiddenStates, upsampleSize);
        }
        h = conv_out.forward(nn.functional.silu(conv_norm_out.forward(h)));
        return h.MoveToOuterDisposeScope();
    }

    /// <summary>Every attention layer's processor, keyed by layer path (diffusers' <c>attn_processors</c>).</summary>
    public IReadOnlyDictionary<string, IAttentionProcessor> AttnProcessors => AttentionProcessors.Get(this);

    /// <summary>The attention modules, in registration order (mid_block last).</summary>
    public IReadOnlyList<(string Path, Attention.Attention Module)> AttentionLayers => AttentionProcessors.Layers(this);

    /// <summary>
    /// The cross-attention (attn2) layer paths in the order forward() calls them: down blocks, mid block, up blocks
    /// (registration order puts the mid block last).
    /// </summary>
    public IReadOnlyList<string> CrossAttentionLayersInExecutionOrder
    {
        get
        {
            var cross = AttentionLayers.Where(l => l.Module.IsCrossAttention).Select(l => l.Path).ToList();
            static int Stage(string p) => p.StartsWith("down_blocks.", StringComparison.Ordinal) ? 0 : p.StartsWith("mid_block.", StringComparison.Ordinal) ? 1 : 2;
            return cross.OrderBy(Stage).ToList(); // OrderBy is stable: registration order within a stage
        }
    }

    public void SetAttnProcessor(IAttentionProcessor processor) => AttentionProcessors.Set(this, processor);

    public void SetAttnProcessor(IReadOnlyDictionary<string, IAttentionProcessor> processors) => AttentionProcessors.Set(this, processors);

    /// <summary>
    /// Installs a capturing processor on the cross-attention (attn2) layers accepted by <paramref name="layerFilter"/>
    /// (all by default) until the returned object is disposed. See <see cref="CrossAttentionCapture"/> for the
    /// lifetime rule of the maps.
    /// </summary>
    public CrossAttentionCapture CaptureCrossAttention(Func<string, bool>? layerFilter = null)
    {
        var capture = new CrossAttentionCapture(AttentionLayers, layerFilter, c => _captures.Remove(c));
        _captures.Add(capture);
        return capture;
    }
}
