using Repro.Model.Pipeline;
using Repro.Model.Schedulers;
using TorchSharp;

namespace Repro.Experiments.Training;

/// <summary>
/// Validation images during training (textual_inversion.py's log_validation): every N steps, the stage's prompt is
/// sampled with the current embedding and UNet (DPM-Solver++, CFG 7.5, its own fixed seed, so the training RNG and
/// results are untouched) and written to &lt;stage&gt;/validation/step-N.png.
/// </summary>
public sealed record Validation(int Every, string? Prompt = null, int Steps = 25, long Seed = 0)
{
    public bool Due(int step, int total) => Every > 0 && (step % Every == 0 || step == total);

    public void Run(TrainingModels m, Stage s, int step, string folder)
    {
        bool training = m.UNet.training;
        m.CommitEmbedding();
        var scheduler = SchedulerFactory.FromFolder(Path.Combine(m.ModelDir, "scheduler"), "DPMSolverMultistepScheduler");
        // The pipeline borrows the live modules; it is not disposed (that would dispose them).
        var pipeline = new StableDiffusionPipeline(m.Tokenizer, m.TextEncoder, m.UNet, m.Vae, scheduler, m.Device);
        string prompt = Prompt is null ? s.Prompt : PromptTemplates.Fill(Prompt, m.Token, m.Category);
        m.WithFrozenInFloat32(() =>
        {
            using var image = pipeline.Generate([prompt], new GenerationOptions { Steps = Steps, Seed = Seed });
            ImageIO.SavePng(image[0], Path.Combine(folder, "validation", $"step-{step}.png"));
        });
        m.UNet.train(training);
        m.TextEncoder.eval();
    }
}
