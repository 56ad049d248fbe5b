using Repro.Model.IO;
using Repro.Model.Vae;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.MiniWorld.Pretraining;

/// <summary>
/// AutoencoderKL as SD's VAE is trained, without the GAN and LPIPS terms: per-pixel MSE of the decoded posterior
/// sample plus β·KL (SD's weighting: KL summed per image against the reconstruction summed per image).
/// On export, <c>scaling_factor</c> is set to 1/std of the latents of 64 training images (SD's recipe).
/// </summary>
public sealed class VaeTrainer : StageTrainer
{
    public const double KlWeight = 1e-6;
    private readonly TorchSharp.Modules.AdamW _optimizer;

    public VaeTrainer(string root, StageSettings settings) : base(root, settings)
    {
        torch.manual_seed(settings.Seed);
        Model = new AutoencoderKL(MiniWorldModels.Vae(settings.Variant));
        Model.train();
        _optimizer = AdamW(Model.parameters(), settings.LearningRate, weightDecay: 0);
    }

    public AutoencoderKL Model { get; }
    protected override TorchSharp.Modules.AdamW Optimizer => _optimizer;
    public string Folder => Path.Combine(Root, "vae");
    public override string WeightsPath => Path.Combine(Folder, "diffusion_pytorch_model.safetensors");

    /// <summary>
    /// The schedule was planned for 12,000 steps and stopped at 5,022 (27.4 dB on 256 held-out images, above the
    /// 26 dB target) to fit the pretraining budget; the learning rates up to there are the schedule's.
    /// </summary>
    public const long DefaultStopStep = 5022;

    public static StageSettings DefaultSettings(string variant = MiniWorldModels.DefaultVae, long totalSteps = 12000) =>
        new("vae", variant, 8, totalSteps, 2e-3, 200, 1);

    protected override double TrainStep(long step)
    {
        using var _ = torch.NewDisposeScope();
        var examples = WorldBatch.Examples(WorldBatch.WorldSeed, WorldSplit.Train, DataStep(step) * Settings.BatchSize, Settings.BatchSize);
        var x = WorldBatch.Pixels(examples.Select(e => e.Image).ToList());
        var dist = Model.Encode(x);
        var rec = Model.Decode(dist.Sample(Generator));
        var mse = torch.nn.functional.mse_loss(rec, x);
        var kl = (dist.Mean.pow(2) + dist.Var - 1 - dist.LogVar).sum() * 0.5 / Settings.BatchSize;
        var loss = mse + kl * (KlWeight / x[0].numel());
        _optimizer.zero_grad();
        loss.backward();
        ClipGradients(Model.parameters(), 1.0);
        _optimizer.step();
        return mse.item<float>();
    }

    protected override void Export()
    {
        Directory.CreateDirectory(Folder);
        var config = Model.Config;
        double scaling = LatentScalingFactor();
        var exported = new AutoencoderKLConfig
        {
            InChannels = config.InChannels, OutChannels = config.OutChannels, DownBlockTypes = config.DownBlockTypes, UpBlockTypes = config.UpBlockTypes,
            BlockOutChannels = config.BlockOutChannels, LayersPerBlock = config.LayersPerBlock, ActFn = config.ActFn, LatentChannels = config.LatentChannels,
            NormNumGroups = config.NormNumGroups, SampleSize = config.SampleSize, ScalingFactor = Math.Round(scaling, 5), ForceUpcast = config.ForceUpcast,
        };
        MiniWorldModels.WriteDiffusersConfig(Path.Combine(Folder, "config.json"), exported, "AutoencoderKL");
        Safetensors.Save(WeightsPath, Model.state_dict());
    }

    protected override void LoadWeights()
    {
        var loaded = AutoencoderKL.FromPretrained(Folder);
        using (torch.no_grad())
        {
            var target = Model.state_dict();
            foreach (var (name, tensor) in loaded.state_dict()) target[name].copy_(tensor);
        }
        loaded.Dispose();
    }

    /// <summary>1 / std of latent means over 64 fixed training images.</summary>
    public double LatentScalingFactor()
    {
        using var _ = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var x = WorldBatch.Pixels(WorldBatch.Examples(WorldBatch.WorldSeed, WorldSplit.Train, 10_000_000, 64).Select(e => e.Image).ToList());
        var std = Model.Encode(x).Mean.std().item<float>();
        return 1.0 / Math.Max(std, 1e-6);
    }

    /// <summary>Mean per-image PSNR (dB) of the posterior mode's reconstructions of held-out images [start, start+count).</summary>
    public static double HeldoutPsnr(AutoencoderKL model, int count = 64, int start = 0)
    {
        var examples = WorldBatch.Examples(WorldBatch.WorldSeed, WorldSplit.Heldout, start, count);
        var reconstructed = Reconstruct(model, examples);
        try { return MeanPsnr(reconstructed, examples); }
        finally { foreach (var t in reconstructed) t.Dispose(); }
    }

    /// <summary>
    /// The posterior mode of each image decoded, in batches of 16 and in eval mode (the model's mode restored after);
    /// images stay in [-1, 1] space, unclamped as the pipeline's. The caller owns the tensors.
    /// </summary>
    public static List<Tensor> Reconstruct(AutoencoderKL model, IReadOnlyList<WorldExample> examples)
    {
        using var noGrad = torch.no_grad();
        bool training = model.training;
        model.eval();
        var images = new List<Tensor>();
        for (int i = 0; i < examples.Count; i += 16)
        {
            using var _ = torch.NewDisposeScope();
            var x = WorldBatch.Pixels(examples.Skip(i).Take(16).Select(e => e.Image).ToList());
            images.Add(model.Decode(model.Encode(x).Mode()).MoveToOuterDisposeScope());
        }
        if (training) model.train();
        return images;
    }

    /// <summary>Mean per-image PSNR (dB) of <see cref="Reconstruct"/>'s batches against the examples' images.</summary>
    public static double MeanPsnr(IReadOnlyList<Tensor> reconstructed, IReadOnlyList<WorldExample> examples)
    {
        var psnrs = new List<double>();
        int offset = 0;
        foreach (var batch in reconstructed)
        {
            int n = (int)batch.shape[0];
            using var x = WorldBatch.Pixels(examples.Skip(offset).Take(n).Select(e => e.Image).ToList());
            psnrs.AddRange(QualityMetrics.Psnr(batch, x));
            offset += n;
        }
        return psnrs.Average();
    }

    public override IReadOnlyDictionary<string, double> Evaluate() => new Dictionary<string, double> { ["psnr_db"] = HeldoutPsnr(Model) };

    public override void Dispose()
    {
        Model.Dispose();
        _optimizer.Dispose();
        base.Dispose();
    }
}
