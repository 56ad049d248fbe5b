using Repro.Model.Clip;
using Repro.Model.IO;
using Repro.Model.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.MiniWorld.Pretraining;

/// <summary>What a CLIP stage is for: the UNet's conditioning text tower, or the evaluator that judges images.</summary>
public enum ClipRole
{
    /// <summary>Stage <c>clip</c>: trained from scratch; exports <c>text_encoder/</c> (its text tower, frozen while the UNet trains) and keeps the whole CLIPModel in <c>state/clip-conditioning/</c>.</summary>
    Conditioning,

    /// <summary>Stage <c>evaluator</c>: starts from the finished conditioning CLIP (and its heads), weights the shape head up, exports <c>clip/</c> (CLIPModel + tokenizer files: the CLIP-T/CLIP-I evaluator).</summary>
    Evaluator,
}

/// <summary>
/// The miniature world's CLIP: symmetric contrastive loss over the batch, plus hard negatives in the image→text direction
/// (per image <see cref="HardNegativesPerImage"/> captions that differ from its own in one attribute, shape twice as
/// often) and auxiliary attribute heads. Its <see cref="ClipRole"/> decides where it starts and what it exports.
/// </summary>
public sealed class ClipTrainer : StageTrainer
{
    public const int HardNegativesPerImage = 3;

    /// <summary>Weight of each attribute head's cross-entropy (shape, color, background, style), per role.</summary>
    public static double[] HeadWeights(ClipRole role) => role == ClipRole.Conditioning ? [0.125, 0.125, 0.125, 0.125] : [1.0, 0.125, 0.125, 0.125];

    /// <summary>Variants containing <c>-nohn</c> train without hard negatives (the measured baseline).</summary>
    public int HardNegatives => Settings.Variant.Contains("-nohn", StringComparison.Ordinal) ? 0 : HardNegativesPerImage;

    /// <summary>
    /// Auxiliary linear attribute classifiers on the normalised image embedding (shape, color, background, style),
    /// trained with <see cref="HeadWeights"/> and not exported (the CLIPModel folder stays standard); their weights
    /// live in state/STAGE.heads.safetensors for resuming. Variants containing <c>-noheads</c> train without them.
    /// </summary>
    private readonly TorchSharp.Modules.Linear[] _heads;

    public static string BaseVariant(string variant) => variant.Replace("-nohn", "", StringComparison.Ordinal).Replace("-noheads", "", StringComparison.Ordinal);
    private readonly TorchSharp.Modules.AdamW _optimizer;
    private readonly ClipTokenizer _tokenizer;

    public ClipTrainer(string root, StageSettings settings, ClipRole role = ClipRole.Conditioning) : base(root, settings)
    {
        Role = role;
        torch.manual_seed(settings.Seed);
        Model = new CLIPModel(MiniWorldModels.Clip(BaseVariant(settings.Variant)));
        Model.train();
        int[] classes = [WorldVocabulary.Categories.Count, WorldVocabulary.Colors.Count, WorldVocabulary.Backgrounds.Count, WorldVocabulary.Styles.Count];
        _heads = settings.Variant.Contains("-noheads", StringComparison.Ordinal) ? []
            : classes.Select(n => torch.nn.Linear(Model.Config.ProjectionDim, n)).ToArray();
        if (role == ClipRole.Evaluator)
        {
            if (!File.Exists(Path.Combine(ConditioningFolder, "model.safetensors")))
                throw new InvalidOperationException($"{ConditioningFolder}: the evaluator stage starts from the finished conditioning CLIP (run --stage clip first)");
            FreshFromConditioning = LoadFrom(ConditioningFolder, Path.Combine(Root, "state", "clip.heads.safetensors"));
        }
        _optimizer = AdamW(Model.parameters().Concat(_heads.SelectMany(h => h.parameters())), settings.LearningRate, weightDecay: 0.05);
        _tokenizer = ClipTokenizer.FromFolder(Evaluation.BundledClipTokenizer.Folder());
    }

    public ClipRole Role { get; }

    /// <summary>Evaluator only: the tensors left at their initialisation because the conditioning CLIP has no tensor of that name and shape (another vision variant).</summary>
    public IReadOnlyList<string> FreshFromConditioning { get; } = [];

    public CLIPModel Model { get; }
    protected override TorchSharp.Modules.AdamW Optimizer => _optimizer;
    /// <summary>The CLIPModel folder this stage writes: <c>state/clip-conditioning/</c> or <c>clip/</c>.</summary>
    public string Folder => Role == ClipRole.Conditioning ? ConditioningFolder : Path.Combine(Root, "clip");
    private string ConditioningFolder => Path.Combine(Root, "state", "clip-conditioning");
    public string TextEncoderFolder => Path.Combine(Root, "text_encoder");
    public override string WeightsPath => Path.Combine(Folder, "model.safetensors");

    public static StageSettings DefaultSettings(string variant = MiniWorldModels.DefaultClip, long totalSteps = 6000) =>
        new("clip", variant, 64, totalSteps, 1e-3, 200, 2);

    /// <summary>
    /// The conditioning CLIP's schedule was planned for 6,000 steps and stopped at 3,109, when its text tower was frozen
    /// for the UNet (background, style and color were learned; shape, the slow attribute, is the evaluator stage's job).
    /// </summary>
    public const long ConditioningStopStep = 3109;

    public static StageSettings EvaluatorSettings(string variant = MiniWorldModels.DefaultClip, long totalSteps = EvaluatorVisionSteps + 2500) =>
        new("evaluator", variant, 64, totalSteps, 1e-3, 100, 4);

    /// <summary>
    /// The evaluator's first steps train the image tower and heads alone (no text tower: ~5× cheaper per step). A linear
    /// shape head learns from the supervised signal far faster than from captions (measured: docs/miniworld-pretraining.md);
    /// the contrastive steps after it align the text tower with the image embedding.
    /// </summary>
    public const long EvaluatorVisionSteps = 9000;

    /// <summary>Steps of the image-tower-only phase (evaluator only; <see cref="EvaluatorVisionSteps"/> unless a test shortens it).</summary>
    public long VisionSteps { get; init; } = EvaluatorVisionSteps;

    /// <summary>Evaluator only: a fixed temperature on the heads' logits (linear heads on unit vectors are otherwise slow to become confident).</summary>
    public const double EvaluatorHeadTemperature = 10;

    private bool VisionOnly(long step) => Role == ClipRole.Evaluator && _heads.Length > 0 && step < VisionSteps;

    protected override double TrainStep(long step)
    {
        using var _ = torch.NewDisposeScope();
        int b = Settings.BatchSize;
        var examples = WorldBatch.Examples(WorldBatch.WorldSeed, WorldSplit.Train, DataStep(step) * b, b);
        if (VisionOnly(step)) return OptimizerStep(HeadLoss(CLIPModel.Normalize(Model.GetImageFeatures(WorldBatch.ClipPixels(WorldBatch.Pixels(examples.Select(e => e.Image).ToList())))), examples));
        var rng = new Random(WorldSampler.SeedFor(Settings.Seed, WorldSplit.Train, DataStep(step)));
        var texts = examples.Select(e => e.Caption).ToList();
        foreach (var e in examples) texts.AddRange(WorldBatch.HardNegatives(e, HardNegatives, rng));
        var pixels = WorldBatch.ClipPixels(WorldBatch.Pixels(examples.Select(e => e.Image).ToList()));
        var image = CLIPModel.Normalize(Model.GetImageFeatures(pixels));
        var text = CLIPModel.Normalize(Model.GetTextFeatures(WorldBatch.Tokens(_tokenizer, texts, trim: true)));
        var scale = LogitScale().clamp(max: Math.Log(100)).exp();
        var logitsPerImage = torch.matmul(image, text.t()) * scale;              // (B, B + B·K)
        var logitsPerText = torch.matmul(text[..b], image.t()) * scale;           // (B, B)
        var labels = torch.arange(b, dtype: ScalarType.Int64);
        var loss = (torch.nn.functional.cross_entropy(logitsPerImage, labels) + torch.nn.functional.cross_entropy(logitsPerText, labels)) / 2;
        if (_heads.Length > 0) loss = loss + HeadLoss(image, examples);
        return OptimizerStep(loss);
    }

    private double OptimizerStep(Tensor loss)
    {
        _optimizer.zero_grad();
        loss.backward();
        ClipGradients(Model.parameters(), 1.0);
        _optimizer.step();
        return loss.item<float>();
    }

    /// <summary>Weighted cross-entropy of the attribute heads (color ignored where the style is monochrome; evaluator logits scaled by <see cref="EvaluatorHeadTemperature"/>).</summary>
    private Tensor HeadLoss(Tensor image, IReadOnlyList<WorldExample> examples)
    {
        long[][] labels =
        [
            examples.Select(e => (long)e.Scene.Category).ToArray(),
            examples.Select(e => WorldVocabulary.KeepsColor(e.Scene.Style) ? (long)e.Scene.Color!.Value : -100L).ToArray(),
            examples.Select(e => (long)e.Scene.Background).ToArray(),
            examples.Select(e => (long)e.Scene.Style).ToArray(),
        ];
        var weights = HeadWeights(Role);
        var scaled = Role == ClipRole.Evaluator ? image * EvaluatorHeadTemperature : image;
        Tensor total = torch.zeros(1);
        for (int a = 0; a < _heads.Length; a++)
            total = total + torch.nn.functional.cross_entropy(_heads[a].forward(scaled), torch.tensor(labels[a]), ignore_index: -100) * weights[a];
        return total.squeeze();
    }

    private string HeadsPath => Path.Combine(Root, "state", Settings.Stage + ".heads.safetensors");

    private Tensor LogitScale() => Model.named_parameters().First(p => p.name == "logit_scale").parameter;

    protected override void Export()
    {
        Directory.CreateDirectory(Folder);
        var config = Model.Config;
        MiniWorldModels.WriteTransformersConfig(Path.Combine(Folder, "config.json"), config);
        var state = Model.state_dict();
        Safetensors.Save(WeightsPath, state);
        if (Role == ClipRole.Conditioning)
        {
            MiniWorldModels.WriteTextEncoder(TextEncoderFolder, config.TextConfig, state);
        }
        if (_heads.Length > 0)
            Safetensors.Save(HeadsPath, _heads.SelectMany((h, a) => h.state_dict().Select(kv => KeyValuePair.Create($"{WorldBatch.Attributes[a]}.{kv.Key}", kv.Value))));
    }

    protected override void LoadWeights()
    {
        var fresh = LoadFrom(Folder, HeadsPath);
        if (fresh.Count > 0) throw new InvalidOperationException($"{Folder}: the saved CLIP does not match variant '{Settings.Variant}' ({string.Join(", ", fresh.Take(3))} differ)");
    }

    /// <summary>
    /// Copies every tensor of the CLIPModel in <paramref name="folder"/> whose name and shape this model has (all of them
    /// when the variants agree) and the heads; returns the names of this model's tensors left as they were.
    /// </summary>
    private List<string> LoadFrom(string folder, string headsPath)
    {
        using var noGrad = torch.no_grad();
        var source = Safetensors.Load(Path.Combine(folder, "model.safetensors"));
        var fresh = new List<string>();
        foreach (var (name, tensor) in Model.state_dict())
        {
            if (source.TryGetValue(name, out var t) && t.shape.SequenceEqual(tensor.shape)) tensor.copy_(t);
            else fresh.Add(name);
        }
        foreach (var t in source.Values) t.Dispose();
        if (_heads.Length == 0) return fresh;
        var heads = Safetensors.Load(headsPath);
        for (int a = 0; a < _heads.Length; a++)
            foreach (var (name, tensor) in _heads[a].state_dict()) tensor.copy_(heads[$"{WorldBatch.Attributes[a]}.{name}"]);
        foreach (var t in heads.Values) t.Dispose();
        return fresh;
    }

    public override IReadOnlyDictionary<string, double> Evaluate()
    {
        bool training = Model.training;
        Model.eval();
        var heldout = WorldBatch.Examples(WorldBatch.WorldSeed, WorldSplit.Heldout, 0, 128);
        var result = AttributeAccuracy(Model, _tokenizer, heldout, WorldBatch.ClipPixels);
        if (_heads.Length > 0) result["shape_head"] = ShapeHeadAccuracy(heldout);
        if (training) Model.train();
        return result;
    }

    /// <summary>The shape head's accuracy (argmax over categories): what the image embedding knows of shape, text aside.</summary>
    private double ShapeHeadAccuracy(IReadOnlyList<WorldExample> examples)
    {
        using var _ = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var image = CLIPModel.Normalize(Model.GetImageFeatures(WorldBatch.ClipPixels(WorldBatch.Pixels(examples.Select(e => e.Image).ToList()))));
        var predicted = _heads[0].forward(image).argmax(1).data<long>().ToArray();
        return examples.Select((e, i) => predicted[i] == (long)e.Scene.Category ? 1.0 : 0.0).Average();
    }

    /// <summary>
    /// Per attribute, the fraction of examples whose image scores highest against its own caption among the captions
    /// with every value of that attribute substituted (only examples whose caption states the attribute).
    /// <paramref name="images"/> maps (B, 3, 64, 64) [-1, 1] pixels to CLIP pixel values.
    /// </summary>
    public static Dictionary<string, double> AttributeAccuracy(CLIPModel model, ClipTokenizer tokenizer, IReadOnlyList<WorldExample> examples,
        Func<Tensor, Tensor> images, IReadOnlyList<Tensor>? pixelsOverride = null)
    {
        using var _ = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var pixels = pixelsOverride is null ? WorldBatch.Pixels(examples.Select(e => e.Image).ToList()) : torch.cat(pixelsOverride.ToList(), 0);
        var imageEmbeds = new List<Tensor>();
        for (int i = 0; i < examples.Count; i += 64)
            imageEmbeds.Add(CLIPModel.Normalize(model.GetImageFeatures(images(pixels[i..Math.Min(examples.Count, i + 64)]))));
        var imageEmbed = torch.cat(imageEmbeds, 0);
        var result = new Dictionary<string, double>();
        foreach (string attribute in WorldBatch.Attributes)
        {
            var rows = new List<float[]>();
            var truth = new List<int>();
            for (int i = 0; i < examples.Count; i++)
            {
                var e = examples[i];
                if (!WorldBatch.States(e, attribute)) continue;
                var (variants, t) = WorldBatch.Variants(e.Scene, attribute);
                var text = CLIPModel.Normalize(model.GetTextFeatures(WorldBatch.Tokens(tokenizer, variants.Select(e.CaptionOf).ToList(), trim: true)));
                rows.Add(torch.matmul(text, imageEmbed[i]).data<float>().ToArray());
                truth.Add(t);
            }
            result[attribute] = QualityMetrics.RetrievalAccuracy(rows.ToArray(), truth.ToArray());
        }
        return result;
    }

    public override void Dispose()
    {
        Model.Dispose();
        foreach (var h in _heads) h.Dispose();
        _optimizer.Dispose();
        base.Dispose();
    }
}
