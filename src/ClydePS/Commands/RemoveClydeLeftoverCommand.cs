using System.Globalization;
using System.Management.Automation;
using ClydePS.Completion;
using ClydePS.Engine.Seeding;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>
/// Finds and deletes the short-lived helpers ClydePS created (seed, probe and pre-pull pods, temporary DaemonSets, agent
/// Jobs, hand-back ConfigMaps) by their clydeps.io/role and clydeps.io/run labels; keeps seed pods still held for a rollout.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "ClydeLeftover", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ClydeLeftover))]
public sealed class RemoveClydeLeftoverCommand : ClydeClusterCmdletBase
{
    private const int ProgressId = 7501;

    /// <summary>Only this namespace; default: all namespaces.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    /// <summary>Only the helpers of this run (clydeps.io/run); held seed pods of the run are removed too. (Hides the base's Run method: call base.Run.)</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public new string? Run { get; set; }

    /// <summary>Only helpers created at least this long ago (cluster time).</summary>
    [Parameter]
    [Duration]
    public TimeSpan? OlderThan { get; set; }

    /// <summary>Also removes seed pods held for a rollout.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord() => Guard(() =>
    {
        var query = new LeftoverQuery { Namespace = Namespace, Run = Run, OlderThan = OlderThan, Force = Force };
        Leftovers.Validate(query);
        var gateway = Gateway;
        IReadOnlyList<LeftoverCandidate> found = base.Run(ct => Leftovers.FindAsync(gateway, query, ct));
        WriteVerbose($"Found {found.Count} ClydePS helper object(s) {(Namespace is null ? "in all namespaces" : "in namespace " + Namespace)}" +
                     $"{(Run is null ? "" : $" of run {Run}")}{(OlderThan is { } min ? $" created at least {min} ago" : "")}.");

        bool whatIf = WhatIfInEffect();
        var results = new Dictionary<LeftoverCandidate, ClydeLeftover>();
        var approved = new List<LeftoverCandidate>();
        foreach (LeftoverCandidate c in found)
        {
            if (!c.Delete)
            {
                WriteVerbose($"Keeping {c.Kind} {c.Namespace}/{c.Name}: {c.Reason}.");
                results[c] = c.ToResult(LeftoverAction.Kept);
                continue;
            }

            string age = c.Age is { } a ? $", age {FormatAge(a)}" : "";
            if (ShouldProcess($"{c.Kind} {c.Namespace}/{c.Name} (role {c.Role}, run {c.Run}{age}{(c.Node is null ? "" : ", node " + c.Node)})", "Delete"))
            {
                approved.Add(c);
            }
            else
            {
                results[c] = whatIf ? c.ToResult(LeftoverAction.WouldDelete) : c.ToResult(LeftoverAction.Kept, "not confirmed");
            }
        }

        if (approved.Count > 0)
        {
            int done = 0;
            WriteProgress(new ProgressRecord(ProgressId, "Removing ClydePS leftovers", $"Deleting {approved.Count} object(s)") { PercentComplete = 0 });
            var deleted = base.Run(ct => Leftovers.DeleteAsync(gateway, approved, r =>
            {
                int n = Interlocked.Increment(ref done);
                Post(() =>
                {
                    WriteVerbose($"{r.Action} {r.Kind} {r.Namespace}/{r.Name}.");
                    WriteProgress(new ProgressRecord(ProgressId, "Removing ClydePS leftovers", $"{n} of {approved.Count}")
                    {
                        PercentComplete = Math.Min(100, n * 100 / approved.Count),
                    });
                });
            }, ct));
            WriteProgress(new ProgressRecord(ProgressId, "Removing ClydePS leftovers", "Done") { RecordType = ProgressRecordType.Completed });
            for (int i = 0; i < approved.Count; i++)
            {
                results[approved[i]] = deleted[i].Result;
                if (deleted[i].Error is { } error)
                {
                    WriteClydeError(error);
                }
            }
        }

        foreach (LeftoverCandidate c in found)
        {
            WriteObject(results[c]);
        }
    });

    private bool WhatIfInEffect()
    {
        if (MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? bound))
        {
            return LanguagePrimitives.IsTrue(bound);
        }

        return LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));
    }

    private static string FormatAge(TimeSpan age) =>
        age.TotalDays >= 1 ? $"{(int)age.TotalDays}d{age.Hours}h"
        : age.TotalHours >= 1 ? $"{(int)age.TotalHours}h{age.Minutes}m"
        : age.TotalMinutes >= 1 ? $"{(int)age.TotalMinutes}m{age.Seconds}s"
        : $"{Math.Max(0, (int)age.TotalSeconds).ToString(CultureInfo.InvariantCulture)}s";
}
