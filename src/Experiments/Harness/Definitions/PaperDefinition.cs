using System.Text.Json.Nodes;

namespace Repro.Experiments.Harness.Definitions;

/// <summary>One paper's tables (paper-configs/tables/*.json): plain typed data, no logic.</summary>
public sealed record PaperDefinition(string Id, string Paper, string ReportedFrom, IReadOnlyList<MethodEntry> Methods,
                                     ProtocolEntry Protocol, IReadOnlyList<ScaleEntry> Scales, IReadOnlyList<TableEntry> Tables)
{
    /// <summary>The definition file this was read from (for error messages).</summary>
    public string File { get; init; } = "";

    public MethodEntry Method(string name) => Methods.First(m => m.Name == name);

    public ScaleEntry Scale(string name) =>
        Scales.FirstOrDefault(s => s.Name == name) ?? throw new ArgumentException($"{File}: no scale '{name}' (defined: {string.Join(", ", Scales.Select(s => s.Name))})");

    public TableEntry Table(string id) =>
        Tables.FirstOrDefault(t => string.Equals(t.Id, id, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"{File}: no table '{id}' (defined: {string.Join(", ", Tables.Select(t => t.Id))})");
}

/// <summary>A method row source: a training preset of <c>repro train</c> (null = not implemented: reported value only, "not run").</summary>
public sealed record MethodEntry(string Name, string? Preset, string? Note, JsonObject? Overrides);

/// <summary>How a paper evaluates: prompt mention, CLIP-T removal, masking, prompt files (paper data and miniature world), stated setup.</summary>
public sealed record ProtocolEntry(string Mention, string ClipTextRemoval, bool Masking, bool ExcludeTaggedPrompts,
                                   PromptFiles Prompts, string BaseCheckpoint, string Sampler, string Evaluators);

/// <summary>Prompt files under paper-configs/prompts; "{kind}" is replaced by animate or inanimate (per concept).</summary>
public sealed record PromptFiles(string Paper, string Miniworld);

/// <summary>
/// A scale: how many concepts, prompts (the first N of the file), images per prompt, seeds, sampling steps, bootstrap
/// resamples, and per-method schedule overrides (keyed by method family: attndreambooth, core, ti-db, custom-diffusion...,
/// or by preset, e.g. adb-fast, merged after its family's entry).
/// </summary>
public sealed record ScaleEntry(string Name, int Concepts, int Prompts, int ImagesPerPrompt, IReadOnlyList<long> Seeds, int SamplingSteps,
                                double GuidanceScale, int Resamples, string Note, IReadOnlyDictionary<string, JsonObject> Schedules);

/// <summary>A paper table: computed (rows are run and scored) or user-study (reported only, not reproducible by computation).</summary>
public sealed record TableEntry(string Id, string? Target, string Kind, string Title, IReadOnlyList<string> Metrics, IReadOnlyList<RowEntry> Rows)
{
    public bool Computed => Kind == "computed";
}

/// <summary>A row: a method (by name), an optional display label, optional config overrides, and the paper's numbers.</summary>
public sealed record RowEntry(string Method, string? Label, JsonObject? Overrides, IReadOnlyDictionary<string, double> Reported, string? Note)
{
    public string Display => Label ?? Method;
}

/// <summary>A definition error: names the file and the line.</summary>
public sealed class DefinitionException(string file, int line, string message) : FormatException($"{file}({line}): error REPRO001: {message}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
}
