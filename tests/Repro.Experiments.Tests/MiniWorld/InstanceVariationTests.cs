using Repro.Experiments.MiniWorld;
using Repro.Experiments.MiniWorld.Pretraining;

namespace Repro.Experiments.Tests.MiniWorld;

public sealed class InstanceVariationTests
{
    [Fact]
    public void A_varied_example_keeps_its_scene_caption_and_background_and_changes_only_the_subject()
    {
        int changedSubjects = 0;
        for (int i = 0; i < 100; i++)
        {
            var plain = WorldBatch.Example(0, WorldSplit.Train, i);
            var varied = WorldBatch.Example(0, WorldSplit.Train, i, varied: true);
            Assert.Null(plain.Scene.Variation);
            Assert.NotNull(varied.Scene.Variation);
            Assert.Equal(plain.Caption, varied.Caption);
            Assert.Equal(plain.Scene, varied.Scene with { Variation = null });
            bool changed = false;
            for (int p = 0; p < 64 * 64; p++)
            {
                bool differs = plain.Image.Rgb[3 * p] != varied.Image.Rgb[3 * p] || plain.Image.Rgb[3 * p + 1] != varied.Image.Rgb[3 * p + 1]
                    || plain.Image.Rgb[3 * p + 2] != varied.Image.Rgb[3 * p + 2];
                if (plain.Image.Mask[p] == 0 && varied.Image.Mask[p] == 0 && differs)
                {
                    // outside both subjects only an accessory (it follows the subject's proportions) may move
                    Assert.NotEqual(Accessory.None, plain.Scene.Accessory);
                }
                changed |= differs;
            }
            if (changed) changedSubjects++;
            Assert.Equal(varied.Image.Rgb, WorldBatch.Example(0, WorldSplit.Train, i, varied: true).Image.Rgb);
        }
        Assert.True(changedSubjects >= 90, $"only {changedSubjects} of 100 varied subjects look different from the prototype");
    }

    [Fact]
    public void Instances_are_shrunk_on_one_axis_at_most_and_take_other_colors_than_the_main_one()
    {
        var rng = new Random(5);
        int multiColor = 0, threeColor = 0;
        for (int i = 0; i < 2000; i++)
        {
            var main = WorldVocabulary.Colors[i % WorldVocabulary.Colors.Count];
            var v = InstanceVariation.Sample(rng, main);
            Assert.InRange(v.AspectX, MathF.Exp(-InstanceVariation.MaxLogAspect) - 1e-6f, 1f);
            Assert.InRange(v.AspectY, MathF.Exp(-InstanceVariation.MaxLogAspect) - 1e-6f, 1f);
            Assert.True(v.AspectX == 1f || v.AspectY == 1f, "only one axis shrinks");
            Assert.NotEqual(main, v.Second);
            Assert.NotEqual(main, v.Third);
            if (v.Third is not null) { Assert.NotNull(v.Second); Assert.NotEqual(v.Second, v.Third); threeColor++; }
            if (v.Second is not null) multiColor++;
            Assert.Equal(v.Second is null ? 1 : v.Third is null ? 2 : 3, v.Palette(main).Count);
        }
        Assert.InRange(multiColor / 2000.0, InstanceVariation.MultiColorProbability - 0.05, InstanceVariation.MultiColorProbability + 0.05);
        Assert.InRange(threeColor, multiColor / 2 - 100, multiColor / 2 + 100);
    }

    [Fact]
    public void Varied_subjects_stay_inside_the_frame()
    {
        for (int i = 0; i < 300; i++)
        {
            var mask = WorldBatch.Example(11, WorldSplit.Train, i, varied: true).Image.Mask;
            for (int k = 0; k < 64; k++)
            {
                Assert.Equal(0, mask[k]);
                Assert.Equal(0, mask[63 * 64 + k]);
                Assert.Equal(0, mask[k * 64]);
                Assert.Equal(0, mask[k * 64 + 63]);
            }
        }
    }

    [Fact]
    public void A_restart_switches_the_data_to_varied_instances_from_its_step_on()
    {
        var settings = new StageSettings("unet", "tiny", 2, 10, 1e-3, 1, 0,
            new StageRestart(4, 8, 5e-4, 1, Then: new StageRestart(8, 12, 5e-4, 1, VariedInstances: true)));
        Assert.Equal([false, false, false, false, false, false, false, false, true, true, true, true],
            Enumerable.Range(0, 12).Select(s => settings.VariedInstancesAt(s)).ToArray());
        Assert.False((settings with { Restart = null }).VariedInstancesAt(100));
        Assert.True((settings with { Restart = null, VariedInstances = true }).VariedInstancesAt(0));   // the first schedule's own
    }
}
