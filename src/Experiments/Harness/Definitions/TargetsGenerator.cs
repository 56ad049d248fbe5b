using System.Text;

namespace Repro.Experiments.Harness.Definitions;

/// <summary>
/// Turns the paper definitions into MSBuild targets (build/Repro.Tables.g.targets): one target per computed table, the
/// cross-paper groups (ReproTable1 = every paper's Table 1, ReproAll), and ListReproTargets. Deterministic text: the
/// committed file is compared with a regeneration by a test and by every Repro* target.
/// </summary>
public static class TargetsGenerator
{
    public const string FileName = "Repro.Tables.g.targets";

    public static string Generate(IReadOnlyList<PaperDefinition> papers)
    {
        var computed = papers.SelectMany(p => p.Tables.Where(t => t.Computed && t.Target is not null).Select(t => (Paper: p, Table: t))).ToList();
        var groups = new List<(string Name, string Description, List<string> Targets)>
        {
            ("ReproTable1", "Table 1 of every paper", computed.Where(c => c.Table.Id == "Table1").Select(c => c.Table.Target!).ToList()),
            ("ReproAll", "every computed table of every paper", computed.Select(c => c.Table.Target!).ToList()),
        };
        var s = new StringBuilder();
        s.Append("""
            <Project>
              <!-- GENERATED from paper-configs/tables/*.json by the GenerateReproTableTargets task (build/Repro.Build.Tasks). -->
              <!-- Do not edit: change a definition, then run `dotnet build -t:ReproGenerateTargets`. -->

            """);
        foreach (var (paper, table) in computed)
        {
            string rows = string.Join(", ", table.Rows.Select(r => r.Display));
            s.Append($"""
                  <!-- {Escape(paper.Paper)} {table.Id}: {Escape(table.Title)}. Rows: {Escape(rows)}. -->
                  <Target Name="{table.Target}" DependsOnTargets="_ReproPrepare">
                    <Exec Command="$(_ReproRun) --paper {paper.Id} --table {table.Id}" WorkingDirectory="$(MSBuildThisFileDirectory).." />
                  </Target>

                """);
        }
        foreach (var (name, _, targets) in groups)
            s.Append($"""
                  <Target Name="{name}" DependsOnTargets="{string.Join(";", targets)}" />

                """);
        s.Append("""
              <Target Name="ListReproTargets">
                <Message Importance="high" Text="Paper-table targets (dotnet build -t:NAME [-p:Scale=smoke|mini|paper] [-p:ModelDir=] [-p:DataDir=] [-p:EvalModels=] [-p:Device=] [-p:Concepts=] [-p:OutputDir=]):" />

            """);
        foreach (var (paper, table) in computed)
            s.Append($"""
                    <Message Importance="high" Text="  {table.Target,-18} {Escape(paper.Paper)} {table.Id}: {Escape(table.Title)}" />

                """);
        foreach (var (name, description, targets) in groups)
            s.Append($"""
                    <Message Importance="high" Text="  {name,-18} {description} ({string.Join(", ", targets)})" />

                """);
        foreach (var (paper, table) in papers.SelectMany(p => p.Tables.Where(t => !t.Computed).Select(t => (p, t))))
            s.Append($"""
                    <Message Importance="high" Text="  (reported only)    {Escape(paper.Paper)} {table.Id}: {Escape(table.Title)}" />

                """);
        s.Append("""
              </Target>
            </Project>

            """);
        return s.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    private static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal)
            .Replace("\"", "&quot;", StringComparison.Ordinal).Replace("%", "%25", StringComparison.Ordinal).Replace("$", "%24", StringComparison.Ordinal)
            .Replace("@", "%40", StringComparison.Ordinal).Replace(";", "%3B", StringComparison.Ordinal).Replace("--", "- -", StringComparison.Ordinal);
}
