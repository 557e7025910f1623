using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using ClydePS.Engine.Kube;

namespace ClydePS.Completion;

/// <summary>Completes -Context from the kubeconfig the command line names (or the default one).</summary>
public sealed class ContextCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IReadOnlyList<string> contexts;
        try
        {
            contexts = CompletionCache.Contexts(CompletionArguments.Kubeconfig(fakeBoundParameters));
        }
        catch (Exception)
        {
            yield break; // A completer never throws at the user.
        }

        foreach (CompletionResult result in CompletionArguments.Match(contexts, wordToComplete))
        {
            yield return result;
        }
    }
}

/// <summary>Completes -Namespace from the cluster (cached briefly per cluster and context).</summary>
public sealed class NamespaceCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionArguments.Match(
            CompletionCache.Namespaces(CompletionArguments.Kubeconfig(fakeBoundParameters), CompletionArguments.Context(fakeBoundParameters)),
            wordToComplete);
}

/// <summary>Completes -Node and -Name of nodes from the cluster (cached briefly per cluster and context).</summary>
public sealed class NodeCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionArguments.Match(
            CompletionCache.Nodes(CompletionArguments.Kubeconfig(fakeBoundParameters), CompletionArguments.Context(fakeBoundParameters)),
            wordToComplete);
}

internal static class CompletionArguments
{
    public static KubeconfigOptions Kubeconfig(IDictionary bound) =>
        new(bound["Kubeconfig"] switch
        {
            string s => [s],
            string[] many => many,
            object[] many => many.Select(o => o?.ToString() ?? "").Where(s => s.Length > 0).ToArray(),
            _ => null,
        }, null);

    public static string? Context(IDictionary bound) => bound["Context"] as string;

    /// <summary>Matches like SecretManagement does: quotes trimmed, wildcard prefix match, names with spaces re-quoted.</summary>
    public static IEnumerable<CompletionResult> Match(IEnumerable<string> candidates, string wordToComplete)
    {
        string word = (wordToComplete ?? "").Trim('\'', '"');
        var pattern = new WildcardPattern(word + "*", WildcardOptions.IgnoreCase);
        foreach (string candidate in candidates.Where(pattern.IsMatch).OrderBy(c => c, StringComparer.OrdinalIgnoreCase))
        {
            string text = candidate.IndexOfAny([' ', '\'', '"', '$', '`', '(', ')', ';', '&', '{', '}', ',']) >= 0
                ? "'" + candidate.Replace("'", "''") + "'"
                : candidate;
            yield return new CompletionResult(text, candidate, CompletionResultType.ParameterValue, candidate);
        }
    }
}
