using Repro.Model.Clip;
using Repro.Model.IO;
using Repro.Model.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.MiniWorld.Pretraining;

/// <summary>
/// The evaluator CLIP: symmetric contrastive loss over the batch, plus hard negatives in the image→text direction
/// (per image <see cref="HardNegativesPerImage"/> captions that differ from its own in one attribute, shape twice as
/// often). Exports <c>clip/</c> (CLIPModel) and <c>text_encoder/</c> (its text tower, the UNet's frozen conditioning).
/// </summary>
public sealed class ClipTrainer : StageTrainer
{
    public const int HardNegativesPerImage = 3;

    public const double HeadWeight = 0.5;

    /// <summary>Variants containing <c>-nohn</c> train without hard negatives (the measured baseline).</summary>
    public int HardNegatives => Settings.Variant.Contains("-nohn", StringComparison.Ordinal) ? 0 : HardNegativesPerImage;

    /// <summary>
    /// Auxiliary linear attribute classifiers on the normalised image embedding (shape, color, background, style),
    /// trained with weight <see cref="HeadWeight"/> and not exported (the CLIPModel folder stays standard); their weights
    /// live in state/clip.heads.safetensors for resuming. Variants containing <c>-noheads</c> train without them.
    /// </summary>
    private readonly TorchSharp.Modules.Linear[] _heads;

    public static string BaseVariant(string variant) => variant.Replace("-nohn", "", StringComparison.Ordinal).Replace("-noheads", "", StringComparison.Ordinal);
    private readonly TorchSharp.Modules.AdamW _optimizer;
    private readonly ClipTokenizer _tokenizer;

    public ClipTrainer(string root, StageSettings settings) : base(root, settings)
    {
        torch.manual_seed(settings.Seed);
        Model = new CLIPModel(MiniWorldModels.Clip(BaseVariant(settings.Variant)));
        Model.train();
        int[] classes = [WorldVocabulary.Categories.Count, WorldVocabulary.Colors.Count, WorldVocabulary.Backgrounds.Count, WorldVocabulary.Styles.Count];
        _heads = settings.Variant.Contains("-noheads", StringComparison.Ordinal) ? []
            : classes.Select(n => torch.nn.Linear(Model.Config.ProjectionDim, n)).ToArray();
        _optimizer = AdamW(Model.parameters().Concat(_heads.SelectMany(h => h.parameters())), settings.LearningRate, weightDecay: 0.05);
        _tokenizer = ClipTokenizer.FromFolder(Evaluation.BundledClipTokenizer.Folder());
    }

    public CLIPModel Model { get; }
    protected override TorchSharp.Modules.AdamW Optimizer => _optimizer;
    public string Folder => Path.Combine(Root, "clip");
    public string TextEncoderFolder => Path.Combine(Root, "text_encoder");
    public override string WeightsPath => Path.Combine(Folder, "model.safetensors");

    public static StageSettings DefaultSettings(string variant = MiniWorldModels.DefaultClip, long totalSteps = 6000) =>
        new("clip", variant, 64, totalSteps, 1e-3, 200, 2);

    protected override double TrainStep(long step)
    {
        using var _ = torch.NewDisposeScope();
        int b = Settings.BatchSize;
        var examples = WorldBatch.Examples(WorldBatch.WorldSeed, WorldSplit.Train, DataStep(step) * b, b);
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
        if (_heads.Length > 0) loss = loss + HeadLoss(image, examples) * HeadWeight;
        _optimizer.zero_grad();
        loss.backward();
        ClipGradients(Model.parameters(), 1.0);
        _optimizer.step();
        return loss.item<float>();
    }

    /// <summary>Mean cross-entropy of the attribute heads (color ignored where the style is monochrome).</summary>
    private Tensor HeadLoss(Tensor image, IReadOnlyList<WorldExample> examples)
    {
        long[][] labels =
        [
            examples.Select(e => (long)e.Scene.Category).ToArray(),
            examples.Select(e => WorldVocabulary.KeepsColor(e.Scene.Style) ? (long)e.Scene.Color!.Value : -100L).ToArray(),
            examples.Select(e => (long)e.Scene.Background).ToArray(),
            examples.Select(e => (long)e.Scene.Style).ToArray(),
        ];
        Tensor total = torch.zeros(1);
        for (int a = 0; a < _heads.Length; a++)
            total = total + torch.nn.functional.cross_entropy(_heads[a].forward(image), torch.tensor(labels[a]), ignore_index: -100);
        return total.squeeze() / _heads.Length;
    }

    private string HeadsPath => Path.Combine(Root, "state", "clip.heads.safetensors");

    private Tensor LogitScale() => Model.named_parameters().First(p => p.name == "logit_scale").parameter;

    protected override void Export()
    {
        Directory.CreateDirectory(Folder);
        var config = Model.Config;
        MiniWorldModels.WriteTransformersConfig(Path.Combine(Folder, "config.json"), config);
        var state = Model.state_dict();
        Safetensors.Save(WeightsPath, state);
        MiniWorldModels.WriteTransformersConfig(Path.Combine(TextEncoderFolder, "config.json"),
            config.TextConfig with { Architectures = ["CLIPTextModel"], TorchDtype = "float32", TransformersVersion = "4.38.0" });
        Safetensors.Save(Path.Combine(TextEncoderFolder, "model.safetensors"),
            state.Where(kv => kv.Key.StartsWith("text_model.", StringComparison.Ordinal)));
        if (_heads.Length > 0)
            Safetensors.Save(HeadsPath, _heads.SelectMany((h, a) => h.state_dict().Select(kv => KeyValuePair.Create($"{WorldBatch.Attributes[a]}.{kv.Key}", kv.Value))));
    }

    protected override void LoadWeights()
    {
        using var loaded = CLIPModel.FromPretrained(Folder);
        using var noGrad = torch.no_grad();
        var target = Model.state_dict();
        foreach (var (name, tensor) in loaded.state_dict()) target[name].copy_(tensor);
        if (_heads.Length == 0) return;
        var heads = Safetensors.Load(HeadsPath);
        for (int a = 0; a < _heads.Length; a++)
            foreach (var (name, tensor) in _heads[a].state_dict()) tensor.copy_(heads[$"{WorldBatch.Attributes[a]}.{name}"]);
        foreach (var t in heads.Values) t.Dispose();
    }

    public override IReadOnlyDictionary<string, double> Evaluate()
    {
        bool training = Model.training;
        Model.eval();
        var result = AttributeAccuracy(Model, _tokenizer, WorldBatch.Examples(WorldBatch.WorldSeed, WorldSplit.Heldout, 0, 128), WorldBatch.ClipPixels);
        if (training) Model.train();
        return result;
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
