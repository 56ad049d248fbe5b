using Repro.Experiments.Methods;
using Repro.Experiments.Tests.Training;
using Repro.Experiments.Training;
using static Repro.Experiments.Tests.Methods.MethodTestKit;

namespace Repro.Experiments.Tests.Methods;

/// <summary>Each method changes exactly the parameters it should; the text encoder never (beyond the placeholder row).</summary>
public sealed class ParameterIsolationTests
{
    private const string TokenTable = "text.text_model.embeddings.token_embedding.weight";

    private static SortedSet<string> Run(string method, Func<ConceptSettings, object> config, Action<TrainingRun> train, out long[] rows, out int placeholder)
    {
        string output = TinyWorld.TempFolder(method);
        var concept = TinyWorld.Concept(output);
        SortedSet<string> changed = [];
        long[] changedRows = [];
        int id = -1;
        TrainingRun.Execute(method, config(concept), concept, _ => { }, run =>
        {
            var before = Snapshot(run.Models);
            train(run);
            changed = Changed(before, run.Models);
            changedRows = ChangedRows(before[TokenTable], run.Models);
            id = run.Models.PlaceholderId;
        });
        (rows, placeholder) = (changedRows, id);
        Directory.Delete(output, recursive: true);
        return changed;
    }

    [Fact]
    public void Textual_inversion_changes_only_the_placeholder_row()
    {
        var c = new TextualInversionConfig { Steps = 2, BatchSize = 1, GradientAccumulation = 1, LearningRate = 1e-2 };
        var changed = Run("ti", k => c with { Concept = k }, run => TextualInversion.Train(run, c), out var rows, out int id);
        Assert.Equal(new[] { "embedding", TokenTable }, changed);
        Assert.Equal(new long[] { id }, rows);
    }

    [Fact]
    public void AttnDreamBooth_stage2_changes_only_attn2_weights_and_stage3_all_of_the_unet()
    {
        var stage2 = new AttnDreamBoothConfig { Stage1 = new(0, 1e-3, 1, 0.1, 0), Stage2 = new(1, 1e-3, 1, 2, 5), Stage3 = new(0, 2e-6, 1, 2, 5) };
        var changed = Run("adb2", k => stage2 with { Concept = k }, run => AttnDreamBooth.Train(run, stage2), out var rows, out _);
        Assert.NotEmpty(changed);
        Assert.All(changed, name => Assert.Contains(".attn2.", name));
        Assert.Equal(16 * 5, changed.Count);   // to_q, to_k, to_v, to_out.0 weight + bias in each of the 16 layers
        Assert.Empty(rows);

        var stage3 = stage2 with { Stage2 = new(0, 1e-3, 1, 2, 5), Stage3 = new(1, 1e-3, 1, 2, 5) };
        var all = Run("adb3", k => stage3 with { Concept = k }, run => AttnDreamBooth.Train(run, stage3), out rows, out _);
        using var unet = Model.UNet.UNet2DConditionModel.FromPretrained(Path.Combine(TinyWorld.Model, "unet"));
        Assert.Equal(unet.named_parameters().Select(p => "unet." + p.name).Order(), all);
        Assert.Empty(rows);
    }

    [Fact]
    public void Custom_diffusion_changes_only_to_k_to_v_and_the_row()
    {
        var c = new CustomDiffusionConfig { Steps = 1, BatchSize = 1, PriorLambda = 0 };
        var changed = Run("cd", k => c with { Concept = k }, run => CustomDiffusion.Train(run, c), out var rows, out int id);
        var unet = changed.Where(n => n.StartsWith("unet.")).ToList();
        Assert.Equal(32, unet.Count);
        Assert.All(unet, n => Assert.Matches(@"\.attn2\.to_[kv]\.weight$", n));
        Assert.Equal(new[] { "embedding", TokenTable }, changed.Where(n => !n.StartsWith("unet.")));
        Assert.Equal(new long[] { id }, rows);
    }

    [Fact]
    public void DreamBooth_with_prior_trains_the_unet_and_leaves_the_text_side_alone()
    {
        var c = new DreamBoothConfig { Steps = 1, BatchSize = 1, LearningRate = 1e-4 };
        var changed = Run("db", k => c with { Concept = k }, run => DreamBooth.Train(run, c), out var rows, out _);
        Assert.DoesNotContain("embedding", changed);
        Assert.DoesNotContain(changed, n => n.StartsWith("text."));
        Assert.Contains(changed, n => n.Contains(".resnets."));
        Assert.Empty(rows);
    }

    [Fact]
    public void TI_DB_and_CoRe_stage1_change_the_parameters_of_their_stages()
    {
        var joint = new TextualInversionDreamBoothConfig { Steps = 1, BatchSize = 1, LearningRate = 1e-3 };
        var changed = Run("tidb", k => joint with { Concept = k }, run => TextualInversionDreamBooth.Train(run, joint), out _, out _);
        Assert.Contains("embedding", changed);
        Assert.Contains(changed, n => n.Contains(".resnets."));
        Assert.DoesNotContain(changed, n => n.StartsWith("text.") && n != TokenTable);

        var core = new CoReConfig { Stage1Steps = 1, Stage1BatchSize = 1, Stage2Steps = 0 };
        changed = Run("core", k => core with { Concept = k }, run => CoRe.Train(run, core), out var rows, out int id);
        Assert.Equal(new[] { "embedding", TokenTable }, changed);
        Assert.Equal(new long[] { id }, rows);
    }
}
