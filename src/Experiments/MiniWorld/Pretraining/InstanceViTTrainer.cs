using Repro.Experiments.Evaluation;
using Repro.Model.IO;
using Repro.Model.Vit;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.MiniWorld.Pretraining;

/// <summary>
/// Stage <c>dino</c>: the miniature world's stand-in for DINO (the papers' second identity metric), a transformers
/// <c>ViTModel</c> in facebook/dino-vits16's layout (<c>dino/</c>) that the DINO scorer reads unchanged. DINO learns
/// instance features by self-distillation over augmented crops; here the world renders the views: an instance in two
/// scenes is a positive pair, and a sibling (same category, color and pattern, another instance) in the second scene a
/// hard negative (<see cref="WorldBatch.InstanceViews"/>). Loss: InfoNCE over the batch on a projection head of the CLS
/// token (the head is dropped at export, as DINO's), images preprocessed exactly as the scorer does.
/// Generic instances only: the personal concepts are never seen.
/// </summary>
public sealed class InstanceViTTrainer : StageTrainer
{
    public const double Temperature = 0.1;
    private readonly TorchSharp.Modules.Sequential _head;
    private readonly TorchSharp.Modules.AdamW _optimizer;

    public InstanceViTTrainer(string root, StageSettings settings) : base(root, settings)
    {
        torch.manual_seed(settings.Seed);
        Model = new ViTModel(MiniWorldModels.Dino(settings.Variant), addPoolingLayer: false);
        int d = Model.Config.HiddenSize;
        _head = torch.nn.Sequential(torch.nn.Linear(d, 2 * d), torch.nn.GELU(), torch.nn.Linear(2 * d, d));
        Model.train();
        Preprocessor = ImagePreprocessor.Dino(Scene.Size * 256 / 224, Scene.Size);
        _optimizer = AdamW(Model.parameters().Concat(_head.parameters()), settings.LearningRate, weightDecay: 0.05);
    }

    public ViTModel Model { get; }
    /// <summary>What <see cref="DinoScorer.FromPretrained"/> applies to this model's images (73 → crop 64).</summary>
    public ImagePreprocessor Preprocessor { get; }
    protected override TorchSharp.Modules.AdamW Optimizer => _optimizer;
    public string Folder => Path.Combine(Root, "dino");
    public override string WeightsPath => Path.Combine(Folder, "model.safetensors");
    private string HeadPath => Path.Combine(Root, "state", "dino.head.safetensors");

    public const long DefaultStopStep = 3000;

    public static StageSettings DefaultSettings(string variant = MiniWorldModels.DefaultDino, long totalSteps = DefaultStopStep) =>
        new("dino", variant, 64, totalSteps, 1e-3, 100, 5);

    /// <summary>(N, 3, 64, 64) scorer inputs of rendered scenes.</summary>
    public Tensor Inputs(IEnumerable<Scene> scenes) => Inputs(Preprocessor, scenes);

    /// <summary>The scorer's preprocessing (<see cref="ImagePreprocessor.Apply"/>) straight from the render's bytes.</summary>
    private static Tensor Inputs(ImagePreprocessor preprocessor, IEnumerable<Scene> scenes) =>
        torch.stack(scenes.Select(s =>
        {
            var image = SceneRenderer.Render(s);
            var (pixels, h, w) = preprocessor.ResizeAndCrop(Planar(image), image.Height, image.Width);
            return preprocessor.Normalize(pixels, h, w);
        }).ToList());

    private static byte[] Planar(RenderedImage image)
    {
        int plane = image.Width * image.Height;
        var planar = new byte[3 * plane];
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++) planar[c * plane + p] = image.Rgb[3 * p + c];
        return planar;
    }

    private (Tensor Anchor, Tensor Same, Tensor Sibling) Views(WorldSplit split, long start, int count) => Views(Preprocessor, split, start, count);

    private static (Tensor Anchor, Tensor Same, Tensor Sibling) Views(ImagePreprocessor preprocessor, WorldSplit split, long start, int count)
    {
        var views = Enumerable.Range(0, count).Select(i => WorldBatch.InstanceViews(WorldBatch.WorldSeed, split, start + i)).ToList();
        return (Inputs(preprocessor, views.Select(v => v.Anchor)), Inputs(preprocessor, views.Select(v => v.Same)), Inputs(preprocessor, views.Select(v => v.Sibling)));
    }

    /// <summary>
    /// <see cref="InstanceRetrieval"/> of an exported DINO folder, read as the DINO scorer reads it, on
    /// <paramref name="count"/> held-out views from <paramref name="start"/> (<c>repro miniworld quality</c>).
    /// </summary>
    public static Dictionary<string, double> Measure(string folder, int count, long start)
    {
        using var scorer = DinoScorer.FromPretrained(folder);
        using var _ = torch.NewDisposeScope();
        var (anchor, same, sibling) = Views(scorer.Preprocessor, WorldSplit.Heldout, start, count);
        return InstanceRetrieval(scorer.EmbedPixels(anchor), scorer.EmbedPixels(same), scorer.EmbedPixels(sibling));
    }

    private Tensor Embed(Tensor inputs) => torch.nn.functional.normalize(_head.forward(Model.forward(inputs).Cls), dim: 1);

    protected override double TrainStep(long step)
    {
        using var _ = torch.NewDisposeScope();
        int b = Settings.BatchSize;
        var (anchor, same, sibling) = Views(WorldSplit.Train, DataStep(step) * b, b);
        var z = Embed(torch.cat([anchor, same, sibling], 0));
        var (za, zs, zn) = (z[..b], z[b..(2 * b)], z[(2 * b)..]);
        var labels = torch.arange(b, dtype: ScalarType.Int64);
        // anchor → every instance in the second scenes (siblings included); second scene → every anchor
        var anchorLogits = torch.matmul(za, torch.cat([zs, zn], 0).t()) / Temperature;
        var sameLogits = torch.matmul(zs, za.t()) / Temperature;
        var loss = (torch.nn.functional.cross_entropy(anchorLogits, labels) + torch.nn.functional.cross_entropy(sameLogits, labels)) / 2;
        _optimizer.zero_grad();
        loss.backward();
        ClipGradients(Model.parameters().Concat(_head.parameters()), 1.0);
        _optimizer.step();
        return loss.item<float>();
    }

    protected override void Export()
    {
        Directory.CreateDirectory(Folder);
        MiniWorldModels.WriteTransformersConfig(Path.Combine(Folder, "config.json"), Model.Config);
        Safetensors.Save(WeightsPath, Model.state_dict());
        Directory.CreateDirectory(Path.GetDirectoryName(HeadPath)!);
        Safetensors.Save(HeadPath, _head.state_dict());
    }

    protected override void LoadWeights()
    {
        using var noGrad = torch.no_grad();
        foreach (var (path, module) in new (string, torch.nn.Module)[] { (WeightsPath, Model), (HeadPath, _head) })
        {
            var saved = Safetensors.Load(path);
            foreach (var (name, tensor) in module.state_dict())
            {
                if (!saved.TryGetValue(name, out var t) || !t.shape.SequenceEqual(tensor.shape))
                    throw new InvalidOperationException($"{path}: '{name}' missing or of another shape (variant '{Settings.Variant}')");
                tensor.copy_(t);
            }
            foreach (var t in saved.Values) t.Dispose();
        }
    }

    /// <summary>Held-out instance retrieval with the exported features (CLS, no head), as the DINO scorer computes them.</summary>
    public override IReadOnlyDictionary<string, double> Evaluate()
    {
        bool training = Model.training;
        Model.eval();
        using var _ = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var (anchor, same, sibling) = Views(WorldSplit.Heldout, 0, 128);
        var result = InstanceRetrieval(Features(anchor), Features(same), Features(sibling));
        if (training) Model.train();
        return result;
    }

    private Tensor Features(Tensor inputs) => torch.nn.functional.normalize(Model.forward(inputs).Cls, dim: 1);

    /// <summary>
    /// <c>instance_top1</c>: the fraction of anchors whose nearest second-scene view among all of them is their own
    /// instance; <c>instance_vs_sibling</c>: the fraction closer to their own instance than to its sibling (chance 0.5).
    /// </summary>
    public static Dictionary<string, double> InstanceRetrieval(Tensor anchor, Tensor same, Tensor sibling)
    {
        var sims = torch.matmul(anchor, same.t());
        long n = anchor.shape[0];
        var own = sims.diagonal();
        var top1 = sims.argmax(1).eq(torch.arange(n)).to(ScalarType.Float32).mean().item<float>();
        var vsSibling = own.gt((anchor * sibling).sum(1)).to(ScalarType.Float32).mean().item<float>();
        return new() { ["instance_top1"] = top1, ["instance_vs_sibling"] = vsSibling };
    }

    public override void Dispose()
    {
        Model.Dispose();
        _head.Dispose();
        _optimizer.Dispose();
        base.Dispose();
    }
}
