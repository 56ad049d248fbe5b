using System.CommandLine;
using Repro.Experiments.MiniWorld;
using Repro.Experiments.MiniWorld.Pretraining;

namespace Repro.Experiments.Commands;

/// <summary><c>repro miniworld …</c>: renders the miniature world's datasets, concept folders and contact sheets.</summary>
public static class MiniWorldCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Output folder.", Required = true };
        var count = new Option<int>("--count") { Description = "Number of images.", DefaultValueFactory = _ => 1000 };
        var seed = new Option<long>("--seed") { Description = "Dataset seed (every image is seeded from seed, split and index).", DefaultValueFactory = _ => 0 };
        var split = new Option<string>("--split") { Description = "train or heldout (separate seed streams).", DefaultValueFactory = _ => "train" };
        var render = new Command("render", "Renders pretraining scenes: images/, masks/ and captions.jsonl.") { output, count, seed, split };
        render.SetAction(r => Cli.Guard(() => WorldSampler.WriteDataset(r.GetValue(output)!, r.GetValue(count), r.GetValue(seed),
            ParseSplit(r.GetValue(split)!), Console.Error.WriteLine)));

        var conceptsOut = new Option<string>("--out") { Description = "Output folder (one subfolder per concept, plus concepts.csv).", Required = true };
        var concepts = new Command("concepts", "Writes the personal concepts as DreamBooth subject folders (5 images + masks each).") { conceptsOut };
        concepts.SetAction(r => Cli.Guard(() => PersonalConcepts.WriteSubjects(r.GetValue(conceptsOut)!, Console.Error.WriteLine)));

        var sheetOut = new Option<string>("--out") { Description = "Output folder for samples.png and concepts.png.", Required = true };
        var sheetSeed = new Option<long>("--seed") { Description = "Seed of the sample sheet.", DefaultValueFactory = _ => 0 };
        var zoom = new Option<int>("--zoom") { Description = "Nearest-neighbour zoom.", DefaultValueFactory = _ => 1 };
        var sheet = new Command("contact-sheet", "Writes an 8×8 sheet of pretraining samples and a sheet of the concepts (training images, a generic distractor).")
            { sheetOut, sheetSeed, zoom };
        sheet.SetAction(r => Cli.Guard(() => WriteContactSheets(r.GetValue(sheetOut)!, r.GetValue(sheetSeed), r.GetValue(zoom))));
        return new Command("miniworld", "The miniature text-to-image world: datasets, personal concepts, contact sheets.") { render, concepts, sheet,
              PretrainCommands.Pretrain(), PretrainCommands.Verify(), PretrainCommands.Quality(), PersonalizationCheck.CreateCommand() };
    }

    public static WorldSplit ParseSplit(string split) => split.ToLowerInvariant() switch
    {
        "train" => WorldSplit.Train,
        "heldout" or "held-out" => WorldSplit.Heldout,
        _ => throw new ArgumentException($"unknown split '{split}' (train or heldout)"),
    };

    /// <summary>samples.png: 64 pretraining scenes; concepts.png: per concept a row of its 5 training images + 2 generic distractors.</summary>
    public static void WriteContactSheets(string dir, long seed, int zoom)
    {
        var samples = Enumerable.Range(0, 64).Select(i => SceneRenderer.Render(WorldSampler.Sample(seed, WorldSplit.Train, i))).ToList();
        WorldSampler.ContactSheet(samples, 8, zoom).SavePng(Path.Combine(dir, "samples.png"));
        var rows = new List<RenderedImage>();
        foreach (var concept in PersonalConcepts.All)
        {
            var scenes = PersonalConcepts.TrainingScenes(concept);
            rows.AddRange(scenes.Select(SceneRenderer.Render));
            rows.Add(PersonalConcepts.RenderGeneric(concept, scenes[0], 1));
            rows.Add(PersonalConcepts.RenderGeneric(concept, scenes[0], 2));
            rows.Add(PersonalConcepts.Render(concept, scenes[0] with { Style = Style.Watercolor }));
        }
        WorldSampler.ContactSheet(rows, 8, zoom).SavePng(Path.Combine(dir, "concepts.png"));
    }
}
