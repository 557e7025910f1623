using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace ClydePS.Completion;

/// <summary>
/// Completes DaemonSet names (-Name of New-ClydeDaemonSet, and of Wait-ClydeRollout unless -Kind names another kind)
/// from the namespace on the command line, else the context's namespace; cached briefly per cluster, context and namespace.
/// </summary>
public sealed class DaemonSetCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        if (fakeBoundParameters["Kind"] is { } kind && !string.Equals(kind.ToString(), "DaemonSet", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }

        return CompletionArguments.Match(
            CompletionCache.DaemonSets(CompletionArguments.Kubeconfig(fakeBoundParameters), CompletionArguments.Context(fakeBoundParameters),
                fakeBoundParameters["Namespace"] as string),
            wordToComplete);
    }
}
