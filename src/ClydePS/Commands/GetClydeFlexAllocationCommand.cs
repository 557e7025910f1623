using System.Management.Automation;
using ClydePS.Completion;
using ClydePS.Engine.Flex;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>Per node, what a pod using a FlexDaemonsetTemplate would get (requests = limits), computed as the webhook does.</summary>
[Cmdlet(VerbsCommon.Get, "ClydeFlexAllocation")]
[OutputType(typeof(ClydeFlexAllocation))]
public sealed class GetClydeFlexAllocationCommand : ClydeClusterCmdletBase
{
    private readonly List<string> nodes = [];

    /// <summary>The template's name.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Template { get; set; } = "";

    /// <summary>Only these nodes (names or ClydeNode objects); default: every node.</summary>
    [Parameter(ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeCompleter))]
    public string[]? Node { get; set; }

    protected override void ProcessRecord()
    {
        if (Node is not null)
        {
            nodes.AddRange(Node);
        }
    }

    protected override void EndProcessing() => Guard(() =>
    {
        var gateway = Gateway;
        string template = Template;
        var missing = new List<ClydeException>();
        IReadOnlyList<ClydeFlexAllocation> result = Run(ct => FlexTemplates.PreviewAsync(gateway, template, nodes, e => { lock (missing) { missing.Add(e); } }, ct));
        foreach (ClydeException e in missing)
        {
            WriteClydeError(e);
        }

        WriteObject(result, enumerateCollection: true);
    });
}
