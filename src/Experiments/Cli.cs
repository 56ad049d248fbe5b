using System.CommandLine;

namespace Repro.Experiments;

/// <summary>The <c>repro</c> command line: one subcommand per capability.</summary>
public static class Cli
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("Repro: AttnDreamBooth and CoRe, reproduced on TorchSharp.");
        return root.Parse(args).Invoke();
    }
}
