using System.Management.Automation;
using ClydePS.Engine.Seeders;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>
/// Labels a share of the cluster's eligible nodes as seeders (default 40 %, label p2p-seeder=true), keeps the seeders the
/// tracker file lists while they stay Ready and labelled, replaces the others, spreads new ones across zones and network
/// classes, and records the pool in the tracker file (a JSON array of node names, written atomically under a file lock).
/// </summary>
[Cmdlet(VerbsCommon.Set, "ClydeSeeder", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ClydeSeeder))]
public sealed class SetClydeSeederCommand : ClydeSeederCmdletBase
{
    private const int ProgressId = 7701;

    /// <summary>Share of the eligible nodes that should be seeders: target = max(1, floor(eligible x pct / 100)).</summary>
    [Parameter(Position = 0)]
    [ValidateRange(0.0, 100.0)]
    public double Percentage { get; set; } = SeederPoolRequest.DefaultPercentage;

    /// <summary>Control-plane nodes may be seeders too.</summary>
    [Parameter]
    public SwitchParameter IncludeControlPlane { get; set; }

    /// <summary>Unlabels valid seeders beyond the target.</summary>
    [Parameter]
    public SwitchParameter Prune { get; set; }

    /// <summary>How long to wait for another process holding the tracker's lock.</summary>
    [Parameter]
    [Duration]
    public TimeSpan LockTimeout { get; set; } = SeederTracker.DefaultLockTimeout;

    protected override void ProcessRecord() => Guard(() =>
    {
        // Bad input is rejected before any request.
        SeederLabel label = ParsedLabel;
        var request = new SeederPoolRequest(Percentage, label, IncludeControlPlane, Prune);
        request.Validate();
        string path = ResolvedTrackerPath;
        bool whatIf = WhatIfInEffect();
        var gateway = Gateway;
        TimeSpan lockTimeout = LockTimeout;

        // -WhatIf changes nothing, so it does not wait for the lock: the tracker is replaced atomically, never seen half-written.
        IDisposable? held = whatIf ? null : Run(ct => SeederTracker.LockAsync(path, lockTimeout, null, ct));
        try
        {
            SeederSnapshot snapshot = Run(ct => SeederService.ReadAsync(gateway, path, ct));
            IReadOnlyList<string> tracked = snapshot.Tracker.Names;
            bool rewrite = !snapshot.Tracker.Exists;
            if (snapshot.Tracker.IsCorrupt)
            {
                tracked = snapshot.Nodes.Where(n => label.IsOn(n.Labels)).Select(n => n.Name).ToArray();
                string? copy = whatIf ? null : SeederTracker.KeepCorruptCopy(path);
                WriteWarning($"The seeder tracker '{path}' is corrupt: {snapshot.Tracker.Corruption}. Rebuilding it from the " +
                             $"{tracked.Count} node(s) labelled {label}" + (copy is null ? "." : $"; the corrupt content is kept in '{copy}'."));
                rewrite = true;
            }

            SeederPlan plan = SeederPool.Plan(snapshot.Nodes, tracked, request);
            if (plan.EligibleCount == 0)
            {
                throw new ClydeException(ClydeErrorKind.NotFound, SeederErrorIds.NoEligibleNodes,
                    $"No node can be a seeder: none of the cluster's {snapshot.Nodes.Count} node(s) is Ready, schedulable and " +
                    (IncludeControlPlane ? "usable." : "not a control-plane node (use -IncludeControlPlane to allow those)."), path);
            }

            Narrate(plan, snapshot.Nodes.Count);

            var approved = new List<(string Name, bool On)>();
            var declined = new HashSet<string>(StringComparer.Ordinal);
            foreach (SeederPlanEntry e in plan.Changes)
            {
                string where = e.Node is null ? "" : $" (zone {e.Node.Zone ?? "none"}, {e.Node.NetworkClass})";
                string verb = e.LabelChange == true ? $"Label {label}" : $"Remove label {label.Key}";
                if (ShouldProcess($"node {e.Name}{where}: {e.Reason}", verb))
                {
                    approved.Add((e.Name, e.LabelChange == true));
                }
                else
                {
                    declined.Add(e.Name);
                }
            }

            var outcomes = new Dictionary<string, LabelOutcome>(StringComparer.Ordinal);
            if (approved.Count > 0)
            {
                foreach (LabelOutcome o in ApplyLabels(label, approved, ProgressId, "Setting the seeder pool"))
                {
                    outcomes[o.Name] = o;
                    if (o.Error is { } error)
                    {
                        WriteClydeError(error);
                    }
                }
            }

            SeederPoolResult result = SeederPool.Complete(plan, outcomes, declined, whatIf, label, path);
            var surplus = result.Seeders.Where(s => s.Action == SeederAction.Surplus).Select(s => s.Name).ToArray();
            if (surplus.Length > 0)
            {
                WriteWarning($"{surplus.Length} seeder(s) beyond the target of {plan.Target}: {string.Join(", ", surplus)}. " +
                             "They stay labelled and tracked; use -Prune to unlabel them.");
            }

            if (!whatIf && (rewrite || !result.Tracker.SequenceEqual(snapshot.Tracker.Names, StringComparer.Ordinal))
                && ShouldProcess(path, $"Write the seeder tracker ({result.Tracker.Count} node(s))"))
            {
                SeederTracker.Write(path, result.Tracker);
                WriteVerbose($"Wrote {result.Tracker.Count} seeder(s) to '{path}'.");
            }

            foreach (ClydeSeeder seeder in result.Seeders)
            {
                WriteObject(seeder);
            }
        }
        finally
        {
            held?.Dispose();
        }
    });

    private void Narrate(SeederPlan plan, int nodeCount)
    {
        int count(SeederAction a) => plan.Entries.Count(e => e.Action == a);
        WriteVerbose($"{plan.EligibleCount} of {nodeCount} node(s) are eligible; target {plan.Target} seeder(s) " +
                     $"= max(1, floor({plan.EligibleCount} x {Percentage} / 100)).");
        WriteVerbose($"Keeping {count(SeederAction.Kept)}, labelling {count(SeederAction.Labelled)}, unlabelling " +
                     $"{count(SeederAction.Unlabelled)}, dropping {count(SeederAction.Dropped)} from the tracker, " +
                     $"{count(SeederAction.Surplus)} surplus.");
        foreach (SeederPlanEntry e in plan.Entries.Where(e => e.Reason.Length > 0))
        {
            WriteVerbose($"Plan: {e.Action} {e.Name}: {e.Reason}.");
        }
    }
}
