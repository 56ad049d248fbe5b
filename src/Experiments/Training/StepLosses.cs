using Repro.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Experiments.Training;

/// <summary>
/// The loss terms of one (micro-)batch of a stage, in the order of papers.md §1.5, §2.4 and §3.1: draw images, VAE
/// latents, noise and timesteps; the diffusion MSE (and prior half); ADB Eq. 2 on the same forward's maps; CoRe Eqs. 3
/// and 4 on a template drawn for this step. All random draws come from <paramref name="generator"/>.
/// </summary>
public static class StepLosses
{
    public const string Diffusion = "diffusion", Prior = "prior", Attention = "attention";
    public const string ContextEmbedding = "context_embedding", ContextAttention = "context_attention";

    public static Dictionary<string, Tensor> Compute(TrainingModels m, Stage s, ConceptImages data, ConceptImages? classData, Generator generator)
    {
        var terms = new Dictionary<string, Tensor>();
        int b = s.BatchSize;
        var pixels = data.Next(b, generator);
        if (s.Prior is not null) pixels = cat([pixels, (classData ?? throw new InvalidOperationException("prior preservation needs class images")).Next(b, generator)]);
        var latents = m.EncodeLatents(pixels, generator);
        var noise = randn(latents.shape, dtype: float32, generator: generator).to(m.Device);
        var timesteps = randint(0, m.Noiser.Schedule.NumTrainTimesteps, [latents.shape[0]], dtype: int64, generator: generator).to(m.Device);
        var noisy = m.Noiser.AddNoise(latents, noise, timesteps);

        if (s.DiffusionWeight > 0 || s.AttentionRegularizer is not null)
            DiffusionTerms(m, s, latents, noise, noisy, timesteps, terms);
        if (s.Context is { } context)
            ContextTerms(m, context, noisy[..b], timesteps[..b], generator, terms);
        return terms;
    }

    private static void DiffusionTerms(TrainingModels m, Stage s, Tensor latents, Tensor noise, Tensor noisy, Tensor timesteps, Dictionary<string, Tensor> terms)
    {
        int b = s.BatchSize;
        var prompts = Enumerable.Repeat(s.Prompt, b).Concat(Enumerable.Repeat(s.Prior?.ClassPrompt ?? "", s.Prior is null ? 0 : b)).ToList();
        var context = m.Encode(prompts, s.TrainsEmbedding);
        var target = m.Noiser.Target(latents, noise, timesteps);
        using var capture = s.AttentionRegularizer is null ? null : m.UNet.CaptureCrossAttention();
        var prediction = m.UNet.forward(noisy, timesteps, context);
        var mse = new DiffusionLoss();
        terms[Diffusion] = s.DiffusionWeight * mse.Loss(prediction[..b], target[..b]);
        if (s.Prior is { } prior) terms[Prior] = prior.Lambda * mse.Loss(prediction[b..], target[b..]);
        if (s.AttentionRegularizer is { } eq2 && capture is not null)
        {
            var maps = capture.Maps.Select(c => c.Probabilities[..b]).ToList();
            long position = PlaceholderPosition(m, s.Prompt);
            terms[Attention] = eq2.Loss(maps, Enumerable.Repeat(position, b).ToList());
        }
    }

    private static void ContextTerms(TrainingModels m, ContextRegularizers r, Tensor noisy, Tensor timesteps, Generator generator, Dictionary<string, Tensor> terms)
    {
        // One template per optimizer step, shared by the whole batch (random.choice in train.py).
        int pick = (int)randint(0, r.Templates.Count, [1], dtype: int64, generator: generator).item<long>();
        string template = r.Templates[pick];
        string objectPrompt = template.Replace("{}", m.Token, StringComparison.Ordinal);
        string categoryPrompt = template.Replace("{}", m.Category, StringComparison.Ordinal);
        var form = r.Embedding?.Form ?? r.Attention?.Form ?? Form.Official;
        var ids = m.Tokenizer.EncodePadded(objectPrompt, m.Tokenizer.ModelMaxLength);
        var sets = CoReContextIndexSets.FromTokenIds(ids, m.PlaceholderId, m.Tokenizer.EosId, m.CategoryIds(m.Category).Length, form);
        var objectOutput = m.Encode([objectPrompt], embeddingGrad: true);
        var categoryOutput = m.Encode([categoryPrompt], embeddingGrad: false);
        if (r.Embedding is { } eq3) terms[ContextEmbedding] = eq3.Loss(objectOutput, categoryOutput, sets);
        if (r.Attention is not { } eq4) return;
        int b = (int)noisy.shape[0];
        using var capture = m.UNet.CaptureCrossAttention();
        List<Tensor> categoryMaps;
        using (no_grad())
        {
            m.UNet.forward(noisy, timesteps, categoryOutput.expand(b, -1, -1));
            categoryMaps = capture.Maps.Select(c => c.Probabilities).ToList();
        }
        m.UNet.forward(noisy, timesteps, objectOutput.expand(b, -1, -1));
        var objectMaps = capture.Maps.Select(c => c.Probabilities).ToList();
        terms[ContextAttention] = eq4.Loss(objectMaps, categoryMaps, sets);
    }

    /// <summary>Position of the placeholder in a prompt (the first occurrence before EOS); an error names the prompt.</summary>
    public static long PlaceholderPosition(TrainingModels m, string prompt)
    {
        var ids = m.Tokenizer.EncodePadded(prompt, m.Tokenizer.ModelMaxLength);
        var positions = m.Tokenizer.FindTokenPositions(ids, m.PlaceholderId);
        if (positions.Count == 0) throw new ArgumentException($"prompt '{prompt}' does not contain the placeholder token '{m.Token}'");
        return positions[0];
    }
}
