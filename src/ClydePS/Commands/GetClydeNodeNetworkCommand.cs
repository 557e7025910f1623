using System.Management.Automation;
using ClydePS.Completion;
using ClydePS.Engine.Network;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>Classifies the cluster's nodes as Public or Private and reports their readiness and capacity.</summary>
[Cmdlet(VerbsCommon.Get, "ClydeNodeNetwork", DefaultParameterSetName = "Nodes")]
[OutputType(typeof(ClydeNode), ParameterSetName = ["Nodes"])]
[OutputType(typeof(ClydeClusterNetwork), ParameterSetName = ["Summary"])]
public sealed class GetClydeNodeNetworkCommand : ClydeClusterCmdletBase
{
    private readonly List<string> names = [];

    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(NodeCompleter))]
    public string[]? Name { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LabelSelector { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "Summary")]
    public SwitchParameter Summary { get; set; }

    protected override void ProcessRecord()
    {
        // Names may arrive one pipeline object at a time; the cluster is read once, at the end.
        if (Name != null)
        {
            names.AddRange(Name);
        }
    }

    protected override void EndProcessing() => Guard(() =>
    {
        var gateway = Gateway;
        IReadOnlyList<ClydeNode> nodes = Run(ct => NodeNetworkService.GetNodesAsync(gateway, names, LabelSelector, ct));

        foreach (string literal in names.Where(n => !WildcardPattern.ContainsWildcardCharacters(n)))
        {
            if (!nodes.Any(n => string.Equals(n.Name, literal, StringComparison.OrdinalIgnoreCase)))
            {
                WriteClydeError(new ClydeException(ClydeErrorKind.NotFound, "ClydeNodeNotFound",
                    $"Node '{literal}' was not found{(LabelSelector == null ? "" : $" among nodes matching '{LabelSelector}'")}. List nodes with Get-ClydeNodeNetwork.",
                    literal));
            }
        }

        if (Summary)
        {
            WriteObject(ClusterClassifier.Summarise(nodes, gateway.ContextName));
            return;
        }

        foreach (ClydeNode node in nodes)
        {
            WriteObject(node);
        }
    });
}
