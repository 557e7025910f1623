using System.Management.Automation;
using ClydePS.Completion;
using ClydePS.Engine.Rollout;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>
/// Waits for a DaemonSet, StatefulSet or Job to finish rolling out, completing exactly when <c>kubectl rollout status</c>
/// (or <c>kubectl wait --for=condition=complete</c> for a Job) would; a timeout is a terminating ClydeRolloutTimeout error
/// naming the nodes and pods behind.
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "ClydeRollout")]
[OutputType(typeof(ClydeRolloutStatus))]
public sealed class WaitClydeRolloutCommand : ClydeClusterCmdletBase
{
    private const int ProgressId = 7402;

    /// <summary>The workload's kind: DaemonSet (default), StatefulSet or Job. A string, so module import never loads the engine early.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateSet("DaemonSet", "StatefulSet", "Job", IgnoreCase = true)]
    public string Kind { get; set; } = "DaemonSet";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DaemonSetCompleter))]
    public string Name { get; set; } = null!;

    /// <summary>Default: the kubeconfig context's namespace.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    /// <summary>How long to wait (Lab time on a Lab); default 10 minutes.</summary>
    [Parameter]
    [Duration]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(10);

    protected override void ProcessRecord() => Guard(() =>
    {
        RequirePositiveTimeout(Timeout);

        var gateway = Gateway;
        string ns = Namespace ?? gateway.Namespace;
        string name = Name;
        RolloutKind kind = Enum.Parse<RolloutKind>(Kind, ignoreCase: true);
        string activity = $"Waiting for {kind} {ns}/{name}";
        WriteVerbose($"{activity} (timeout {Timeout}{(gateway.Lab is null ? "" : " of Lab time")}).");
        try
        {
            RolloutOutcome outcome = Run(ct => RolloutWaiter.WaitAsync(gateway, kind, ns, name, Timeout, p => Post(() =>
            {
                WriteProgress(new ProgressRecord(ProgressId, activity, p.Message.TrimEnd('.'))
                {
                    PercentComplete = p.Complete ? 100 : p.Desired <= 0 ? 0 : Math.Clamp((p.Updated + p.Available) * 50 / p.Desired, 0, 100),
                });
                WriteVerbose(p.Message);
            }), ct));
            WriteObject(outcome.Status);
        }
        finally
        {
            WriteProgress(new ProgressRecord(ProgressId, activity, "Done") { RecordType = ProgressRecordType.Completed });
        }
    });
}
