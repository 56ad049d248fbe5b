using Repro.Model.Clip;
using Repro.Model.IO;
using Repro.Model.Schedulers;
using Repro.Model.Tokenizers;
using Repro.Model.UNet;
using Repro.Model.Vae;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.MiniWorld.Pretraining;

/// <summary>
/// The UNet, trained as SD: ε-prediction on VAE latents (posterior sample × scaling_factor), uniform timesteps of the
/// DDPM schedule in scheduler/, conditioning = last hidden state of a frozen CLIP text tower, the caption replaced by ""
/// 10% of the time (for classifier-free guidance). The text tower is the conditioning CLIP's (text_encoder/ as the clip
/// stage wrote it) until a <see cref="StageRestart.Conditioning"/> switches to another CLIP stage's; from then on the
/// UNet's checkpoints write that tower to text_encoder/, so the folder always holds the tower the UNet was trained on.
/// </summary>
public sealed class UNetTrainer : StageTrainer
{
    public const double CaptionDropout = 0.1;
    private TorchSharp.Modules.AdamW _optimizer;
    private readonly AutoencoderKL _vae;
    private CLIPTextModel _text;
    private string? _textStage;   // the CLIP stage _text comes from; null: text_encoder/ as the clip stage wrote it
    private readonly ClipTokenizer _tokenizer;
    private readonly TrainingNoiser _noiser;

    public UNetTrainer(string root, StageSettings settings) : base(root, settings)
    {
        string vaeDir = Path.Combine(Root, "vae"), textDir = Path.Combine(Root, "text_encoder");
        if (!File.Exists(Path.Combine(vaeDir, "diffusion_pytorch_model.safetensors")) || !File.Exists(Path.Combine(textDir, "model.safetensors")))
            throw new InvalidOperationException($"{Root}: the UNet stage needs vae/ and text_encoder/ (run --stage vae and --stage clip first)");
        _vae = AutoencoderKL.FromPretrained(vaeDir);
        _text = FrozenText(textDir);
        if (settings.Conditioning is { } conditioning) Condition(conditioning);
        foreach (var p in _vae.parameters()) p.requires_grad = false;
        _tokenizer = ClipTokenizer.FromFolder(Path.Combine(Root, "tokenizer"));
        _noiser = SchedulerFactory.NoiserFromFolder(Path.Combine(Root, "scheduler"));
        torch.manual_seed(settings.Seed);
        int latentSize = Scene.Size >> (_vae.Config.BlockOutChannels.Length - 1);
        Model = new UNet2DConditionModel(MiniWorldModels.UNet(settings.Variant, _text.Config.HiddenSize, latentSize));
        Model.train();
        _optimizer = NewOptimizer();
    }

    public UNet2DConditionModel Model { get; }
    protected override TorchSharp.Modules.AdamW Optimizer => _optimizer;

    private TorchSharp.Modules.AdamW NewOptimizer() => AdamW(Model.parameters(), Settings.LearningRate);

    protected override void OnRestart(StageRestart restart)
    {
        _optimizer.Dispose();
        _optimizer = NewOptimizer();
        if (restart.Conditioning is { } stage) Condition(stage);
    }

    protected override void OnResumed()
    {
        if (Settings.ConditioningAt(Step) is { } stage) Condition(stage);
    }

    /// <summary>The CLIP stages whose text tower can condition the UNet, and the CLIPModel folder each exports.</summary>
    public static string ConditioningFolder(string root, string stage) => stage switch
    {
        "evaluator" => Path.Combine(root, "clip"),
        _ => throw new ArgumentException($"a UNet restart can condition on the evaluator's text tower only, not '{stage}'"),
    };

    /// <summary>From now on the UNet is conditioned on the finished CLIP stage <paramref name="stage"/>'s text tower.</summary>
    private void Condition(string stage)
    {
        if (_textStage == stage) return;
        string folder = ConditioningFolder(Root, stage);   // an unknown stage fails here, before its missing state is blamed
        string statePath = Path.Combine(Root, "state", stage + ".json");
        if (!File.Exists(statePath) || !ReadState(statePath).Complete)
            throw new InvalidOperationException($"{statePath}: the UNet is conditioned on the {stage} stage's text tower from step {Step} on; finish that stage first (--stage {stage})");
        _text.Dispose();
        _text = FrozenText(folder);
        _textStage = stage;
    }

    private static CLIPTextModel FrozenText(string folder)
    {
        var text = CLIPTextModel.FromPretrained(folder);
        foreach (var p in text.parameters()) p.requires_grad = false;
        return text;
    }

    public string Folder => Path.Combine(Root, "unet");
    public override string WeightsPath => Path.Combine(Folder, "diffusion_pytorch_model.safetensors");

    /// <summary>
    /// The first schedule (5,000-step cosine from 1e-3) stopped at 4,500; a warm restart (fresh moments, 100-step
    /// warm-up to 5e-4, cosine to 10% at 10,500); then a second one that switches the conditioning to the evaluator's
    /// text tower (the conditioning CLIP's barely separates shape words), cosine to 10% at 14,500; then a third on
    /// varied instances (each subject one instance of its category: <see cref="InstanceVariation"/>), cosine to 10% at
    /// 16,000, stopped at <see cref="DefaultStopStep"/>. See docs/miniworld-pretraining.md.
    /// </summary>
    public const long DefaultStopStep = 16000;
    public static readonly StageRestart DefaultRestart =
        new(4500, 10500, 5e-4, 100, Then: new StageRestart(10500, 14500, 5e-4, 100, Conditioning: "evaluator",
            Then: new StageRestart(14500, 16000, 5e-4, 100, VariedInstances: true)));

    public static StageSettings DefaultSettings(string variant = MiniWorldModels.DefaultUNet, long totalSteps = 5000) =>
        new("unet", variant, 32, totalSteps, 1e-3, 200, 3, DefaultRestart);

    /// <summary>Noisy latents, timesteps, conditioning and ε of a batch (the generator draws posterior, t, ε in that order).</summary>
    private (Tensor Noisy, Tensor Timesteps, Tensor Context, Tensor Noise) Prepare(IReadOnlyList<WorldExample> examples, IReadOnlyList<string> captions, torch.Generator gen)
    {
        using var noGrad = torch.no_grad();
        var x = WorldBatch.Pixels(examples.Select(e => e.Image).ToList());
        var latents = _vae.Encode(x).Sample(gen) * _vae.ScalingFactor;
        var t = torch.randint(0, _noiser.Schedule.NumTrainTimesteps, [examples.Count], dtype: ScalarType.Int64, generator: gen);
        var noise = torch.randn(latents.shape, generator: gen);
        var context = _text.forward(WorldBatch.Tokens(_tokenizer, captions)).LastHiddenState;
        return (_noiser.AddNoise(latents, noise, t), t, context, noise);
    }

    protected override double TrainStep(long step)
    {
        using var _ = torch.NewDisposeScope();
        var examples = WorldBatch.Examples(WorldBatch.WorldSeed, WorldSplit.Train, DataStep(step) * Settings.BatchSize, Settings.BatchSize,
            Settings.VariedInstancesAt(step));
        var rng = new Random(WorldSampler.SeedFor(Settings.Seed, WorldSplit.Train, DataStep(step)));
        var captions = examples.Select(e => rng.NextDouble() < CaptionDropout ? "" : e.Caption).ToList();
        var (noisy, t, context, noise) = Prepare(examples, captions, Generator);
        var loss = torch.nn.functional.mse_loss(Model.forward(noisy, t, context), noise);
        _optimizer.zero_grad();
        loss.backward();
        ClipGradients(Model.parameters(), 1.0);
        _optimizer.step();
        return loss.item<float>();
    }

    protected override void Export()
    {
        Directory.CreateDirectory(Folder);
        MiniWorldModels.WriteDiffusersConfig(Path.Combine(Folder, "config.json"), Model.Config, "UNet2DConditionModel");
        Safetensors.Save(WeightsPath, Model.state_dict());
        if (_textStage is not null) MiniWorldModels.WriteTextEncoder(Path.Combine(Root, "text_encoder"), _text.Config, _text.state_dict());
    }

    protected override void LoadWeights()
    {
        using var loaded = UNet2DConditionModel.FromPretrained(Folder);
        using var noGrad = torch.no_grad();
        var target = Model.state_dict();
        foreach (var (name, tensor) in loaded.state_dict()) target[name].copy_(tensor);
    }

    /// <summary>ε-MSE on 64 held-out examples with a fixed generator (comparable across checkpoints).</summary>
    public override IReadOnlyDictionary<string, double> Evaluate()
    {
        using var _ = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var gen = new torch.Generator(12345);
        Model.eval();
        var examples = WorldBatch.Examples(WorldBatch.WorldSeed, WorldSplit.Heldout, 0, 64);
        var (noisy, t, context, noise) = Prepare(examples, examples.Select(e => e.Caption).ToList(), gen);
        double loss = torch.nn.functional.mse_loss(Model.forward(noisy, t, context), noise).item<float>();
        Model.train();
        return new Dictionary<string, double> { ["heldout_eps_mse"] = loss };
    }

    public override void Dispose()
    {
        Model.Dispose();
        _optimizer.Dispose();
        _vae.Dispose();
        _text.Dispose();
        base.Dispose();
    }
}
