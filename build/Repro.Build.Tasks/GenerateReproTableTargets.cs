using Microsoft.Build.Framework;
using Repro.Experiments.Harness.Definitions;

namespace Repro.Build.Tasks;

/// <summary>
/// Reads paper-configs/tables/*.json, validates them (a definition error is logged with its file and line), and writes
/// the MSBuild targets file. With <see cref="CheckOnly"/> it fails when the file on disk differs from a regeneration.
/// </summary>
public sealed class GenerateReproTableTargets : Microsoft.Build.Utilities.Task
{
    [Required] public string DefinitionsDir { get; set; } = "";
    [Required] public string TargetsFile { get; set; } = "";
    public bool CheckOnly { get; set; }

    public override bool Execute()
    {
        try
        {
            string text = TargetsGenerator.Generate(DefinitionLoader.LoadAll(DefinitionsDir));
            string? existing = File.Exists(TargetsFile) ? File.ReadAllText(TargetsFile) : null;
            if (existing == text)
            {
                Log.LogMessage(MessageImportance.Low, $"{TargetsFile} is up to date.");
                return true;
            }
            if (CheckOnly)
            {
                Log.LogError(null, "REPRO002", null, TargetsFile, 0, 0, 0, 0,
                             "out of date with paper-configs/tables/*.json: run `dotnet build -t:ReproGenerateTargets` and commit the result");
                return false;
            }
            string temp = $"{TargetsFile}.{Environment.ProcessId}.tmp";
            File.WriteAllText(temp, text);
            File.Move(temp, TargetsFile, overwrite: true);
            Log.LogMessage(MessageImportance.High, $"Wrote {TargetsFile}.");
            return true;
        }
        catch (DefinitionException e)
        {
            Log.LogError(null, "REPRO001", null, e.File, e.Line, 0, 0, 0, e.Message[(e.Message.IndexOf("REPRO001: ", StringComparison.Ordinal) + 10)..]);
            return false;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Log.LogError($"{DefinitionsDir}: {e.Message}");
            return false;
        }
    }
}
