using System.Management.Automation;
using ClydePS.Completion;
using ClydePS.Engine.Mesh;
using ClydePS.Engine.Rollout;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>
/// Deletes a mesh's StatefulSet, Services and ConfigMap (found by <c>clydeps.io/mesh=&lt;name&gt;</c>) and waits until its
/// pods are gone; with -IncludeNamespace also its namespace, only when New-ClydeMesh created that namespace.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "ClydeMesh", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(string))]
public sealed class RemoveClydeMeshCommand : ClydeClusterCmdletBase
{
    private const int ProgressId = 7411;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = null!;

    /// <summary>The mesh's namespace; default a namespace named after the mesh.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    [Parameter]
    public SwitchParameter IncludeNamespace { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    [Parameter]
    [Duration]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);

    protected override void ProcessRecord() => Guard(() =>
    {
        RequirePositiveTimeout(Timeout);

        string ns = Namespace ?? Name;
        DaemonSetManifest.ValidateNamespace(ns);
        var gateway = Gateway;
        var objects = Run(ct => MeshService.ListObjectsAsync(gateway, ns, Name, ct));
        if (IncludeNamespace && !Run(ct => MeshService.NamespaceOwnedAsync(gateway, ns, Name, ct)))
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, MeshErrorIds.NamespaceNotOwned,
                $"Namespace '{ns}' was not created by New-ClydeMesh for mesh '{Name}', so -IncludeNamespace will not delete it; nothing was removed.", ns);
        }

        if (objects.Count == 0 && !IncludeNamespace)
        {
            throw new ClydeException(ClydeErrorKind.NotFound, MeshErrorIds.MeshNotFound, $"There is no mesh '{Name}' in namespace '{ns}'.", $"{ns}/{Name}");
        }

        var listed = IncludeNamespace ? [.. objects, $"Namespace {ns}"] : objects;
        if (!ShouldProcess($"Mesh {ns}/{Name}: {string.Join("; ", listed)}", "Remove"))
        {
            return;
        }

        string activity = $"Removing mesh {ns}/{Name}";
        var removed = Run(ct => MeshService.RemoveAsync(gateway, ns, Name, IncludeNamespace, Timeout,
            m => Post(() => WriteProgress(new ProgressRecord(ProgressId, activity, m))), ct));
        WriteProgress(new ProgressRecord(ProgressId, activity, "Done") { RecordType = ProgressRecordType.Completed });
        foreach (string o in removed)
        {
            WriteVerbose($"Deleted {o}");
            if (PassThru)
            {
                WriteObject(o);
            }
        }
    });
}
