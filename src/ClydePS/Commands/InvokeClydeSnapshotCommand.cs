using System.Management.Automation;
using ClydePS.Engine.Snapshot;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>Takes a snapshot of the node it runs on (or of a node filesystem under -HostRoot) and emits or writes it.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "ClydeSnapshot", SupportsShouldProcess = true)]
[OutputType(typeof(ClydeSnapshot))]
public sealed class InvokeClydeSnapshotCommand : ClydeClusterCmdletBase
{
    /// <summary>The node's filesystem root; default "/".</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string HostRoot { get; set; } = "/";

    /// <summary>"-" (default): the pipeline; a file path; or cm://namespace/name.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Output { get; set; } = "-";

    [Parameter]
    [ValidateSet("Yaml", "Json", IgnoreCase = true)]
    public string? Format { get; set; }

    /// <summary>Also emit the snapshot object when writing to a file or ConfigMap.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing() => Guard(() =>
    {
        // Bad -Output is rejected before anything is read, written or created.
        var target = SnapshotTarget.Parse(Output);
        string root = ResolvePath(HostRoot);
        string version = MyInvocation.MyCommand.Module?.Version?.ToString() ?? typeof(InvokeClydeSnapshotCommand).Assembly.GetName().Version?.ToString() ?? "";

        var snapshot = SnapshotCollector.Collect(new SnapshotOptions { HostRoot = root, ModuleVersion = version });
        foreach (var error in snapshot.Errors)
        {
            WriteVerbose($"Collector error: {error}");
        }

        switch (target.Kind)
        {
            case SnapshotTarget.File:
            {
                string path = ResolvePath(target.Path!);
                string format = Format?.ToLowerInvariant() ?? SnapshotDocument.FormatFromExtension(path) ?? "yaml";
                if (ShouldProcess(path, $"Write {format} snapshot"))
                {
                    File.WriteAllText(path, SnapshotDocument.Serialize(snapshot, format));
                    WriteVerbose($"Wrote the {format} snapshot of '{snapshot.SourceNode}' to {path}.");
                }

                break;
            }

            case SnapshotTarget.ConfigMap:
            {
                string format = Format?.ToLowerInvariant() ?? "yaml";
                string display = $"ConfigMap {target.Namespace}/{target.Name}";
                if (ShouldProcess(display, $"Write {format} snapshot"))
                {
                    var gateway = Gateway;
                    string action = Run(ct => SnapshotConfigMap.WriteAsync(gateway, target.Namespace!, target.Name!, snapshot, format, ct));
                    WriteVerbose($"{display} {action}.");
                }

                break;
            }

            default:
                WriteObject(snapshot);
                return;
        }

        if (PassThru)
        {
            WriteObject(snapshot);
        }
    });
}
