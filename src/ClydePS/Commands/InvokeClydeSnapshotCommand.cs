using System.Management.Automation;
using ClydePS.Completion;
using ClydePS.Engine.Snapshot;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>
/// Takes a snapshot of the node it runs on (or of a node filesystem under -HostRoot) and emits or writes it; with -DeployAgent,
/// deploys the snapshot agent as a Job on a cluster node and hands its snapshot back the same way.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "ClydeSnapshot", SupportsShouldProcess = true, DefaultParameterSetName = LocalSet)]
[OutputType(typeof(ClydeSnapshot))]
public sealed class InvokeClydeSnapshotCommand : ClydeClusterCmdletBase
{
    private const string LocalSet = "Local";
    private const string AgentSet = "Agent";
    private const int ProgressId = 7408;

    /// <summary>The node's filesystem root; default "/".</summary>
    [Parameter(ParameterSetName = LocalSet)]
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

    /// <summary>Run the snapshot on a cluster node: a Job running the agent image, which hands the snapshot back.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AgentSet)]
    public SwitchParameter DeployAgent { get; set; }

    /// <summary>The agent's namespace (must exist); default clyde.</summary>
    [Parameter(ParameterSetName = AgentSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string Namespace { get; set; } = SnapshotAgentPod.DefaultNamespace;

    /// <summary>The agent image; default the published agent image of this module's version.</summary>
    [Parameter(ParameterSetName = AgentSet)]
    [ValidateNotNullOrEmpty]
    public string? Image { get; set; }

    /// <summary>Default: clydeps-snapshot-&lt;run id&gt;, unique per run.</summary>
    [Parameter(ParameterSetName = AgentSet)]
    [ValidateNotNullOrEmpty]
    public string? JobName { get; set; }

    [Parameter(ParameterSetName = AgentSet)]
    [ValidateNotNullOrEmpty]
    public string ServiceAccountName { get; set; } = SnapshotAgentPod.DefaultServiceAccount;

    /// <summary>Hashtables or key=value strings.</summary>
    [Parameter(ParameterSetName = AgentSet)]
    [ValidateNotNull]
    public object[]? NodeSelector { get; set; }

    /// <summary>key=value:Effect, key:Effect, key, hashtables or V1Toleration-shaped objects.</summary>
    [Parameter(ParameterSetName = AgentSet)]
    [ValidateNotNull]
    public object[]? Toleration { get; set; }

    /// <summary>How long to wait for the agent (Lab time on a Lab); default 5 minutes.</summary>
    [Parameter(ParameterSetName = AgentSet)]
    [Duration]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Also delete the agent's RBAC afterwards (default: kept for the next run).</summary>
    [Parameter(ParameterSetName = AgentSet)]
    public SwitchParameter CleanupRbac { get; set; }

    [Parameter(ParameterSetName = AgentSet)]
    [ValidateNotNullOrEmpty]
    public string[]? ImagePullSecret { get; set; }

    [Parameter(ParameterSetName = AgentSet)]
    [ValidateSet("Always", "IfNotPresent", "Never", IgnoreCase = true)]
    public string? ImagePullPolicy { get; set; }

    [Parameter(ParameterSetName = AgentSet)]
    [ValidateNotNullOrEmpty]
    public string CpuRequest { get; set; } = "100m";

    [Parameter(ParameterSetName = AgentSet)]
    [ValidateNotNullOrEmpty]
    public string MemoryRequest { get; set; } = "256Mi";

    [Parameter(ParameterSetName = AgentSet)]
    [ValidateNotNullOrEmpty]
    public string? CpuLimit { get; set; }

    [Parameter(ParameterSetName = AgentSet)]
    [ValidateNotNullOrEmpty]
    public string MemoryLimit { get; set; } = "1Gi";

    /// <summary>Host namespaces and a privileged container (as the original agent) instead of the unprivileged default.</summary>
    [Parameter(ParameterSetName = AgentSet)]
    public SwitchParameter Privileged { get; set; }

    private string ModuleVersion => MyInvocation.MyCommand.Module?.Version?.ToString() ?? typeof(InvokeClydeSnapshotCommand).Assembly.GetName().Version?.ToString() ?? "";

    protected override void EndProcessing() => Guard(() =>
    {
        // Bad -Output is rejected before anything is read, written or created.
        var target = SnapshotTarget.Parse(Output);
        if (DeployAgent)
        {
            RunAgent(target);
            return;
        }

        string root = ResolvePath(HostRoot);
        var snapshot = SnapshotCollector.Collect(new SnapshotOptions { HostRoot = root, ModuleVersion = ModuleVersion });
        foreach (var error in snapshot.Errors)
        {
            WriteVerbose($"Collector error: {error}");
        }

        Emit(snapshot, target);
    });

    private void RunAgent(SnapshotTarget target)
    {
        // Every input is checked before any request.
        RequirePositiveTimeout(Timeout);
        var options = new SnapshotAgentOptions
        {
            Namespace = Namespace,
            Image = Image ?? SnapshotAgentPod.DefaultImage(ModuleVersion),
            JobName = JobName,
            ServiceAccountName = ServiceAccountName,
            NodeSelector = NodeSelectorParser.Parse(NodeSelector),
            Tolerations = TolerationParser.Parse(Toleration) ?? [],
            Timeout = Timeout,
            CleanupRbac = CleanupRbac,
            ImagePullSecrets = ImagePullSecret ?? [],
            ImagePullPolicy = ImagePullPolicy is null ? null
                : new[] { "Always", "IfNotPresent", "Never" }.First(p => p.Equals(ImagePullPolicy, StringComparison.OrdinalIgnoreCase)),
            CpuRequest = CpuRequest,
            MemoryRequest = MemoryRequest,
            CpuLimit = CpuLimit,
            MemoryLimit = MemoryLimit,
            Privileged = Privileged,
            OutputConfigMapNamespace = target.Kind == SnapshotTarget.ConfigMap ? target.Namespace : null,
        };
        SnapshotAgentPod.Validate(options);

        string display = $"Job {options.Namespace}/{options.EffectiveJobName}";
        if (!ShouldProcess(display, $"Deploy the snapshot agent ({options.Image})"))
        {
            return;
        }

        var gateway = Gateway;
        const string activity = "Invoke-ClydeSnapshot -DeployAgent";
        int step = 0;
        var callbacks = new SnapshotAgentCallbacks
        {
            Phase = (phase, message) => Post(() =>
            {
                step = phase switch { "Checking" => 0, "RBAC" => 10, "Job" => 25, "Waiting" => 40, _ => 90 };
                WriteProgress(new ProgressRecord(ProgressId, activity, message) { CurrentOperation = phase, PercentComplete = step });
            }),
            Message = m => Post(() => WriteVerbose(m)),
            AgentLog = line => Post(() => WriteVerbose($"agent: {line}")),
        };
        SnapshotAgentResult result;
        try
        {
            result = Run(ct => SnapshotAgentRunner.RunAsync(gateway, options, callbacks, ct));
        }
        finally
        {
            WriteProgress(new ProgressRecord(ProgressId, activity, "Done") { RecordType = ProgressRecordType.Completed });
        }

        WriteVerbose($"Snapshot of node '{result.Snapshot.SourceNode}' retrieved from {display}.");
        Emit(result.Snapshot, target);
    }

    /// <summary>Emits the snapshot or writes it to a file or ConfigMap (-PassThru also emits it).</summary>
    private void Emit(ClydeSnapshot snapshot, SnapshotTarget target)
    {
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
    }
}
