using System.Management.Automation;
using ClydePS.Completion;
using ClydePS.Engine.Seeders;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>
/// Takes nodes out of the seeder pool: removes the seeder label (a merge patch) and drops them from the tracker file,
/// under the tracker's lock. Nodes come by name or from the pipeline (ClydeSeeder or ClydeNode objects).
/// </summary>
[Cmdlet(VerbsCommon.Remove, "ClydeSeeder", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ClydeSeeder))]
public sealed class RemoveClydeSeederCommand : ClydeSeederCmdletBase
{
    private const int ProgressId = 7702;
    private readonly List<string> nodes = [];

    /// <summary>The nodes to take out of the pool (names, or objects with a Name).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeCompleter))]
    public string[] Node { get; set; } = [];

    /// <summary>How long to wait for another process holding the tracker's lock.</summary>
    [Parameter]
    [Duration]
    public TimeSpan LockTimeout { get; set; } = SeederTracker.DefaultLockTimeout;

    /// <summary>Writes a ClydeSeeder per node handled.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord() => nodes.AddRange(Node);

    protected override void EndProcessing() => Guard(() =>
    {
        SeederLabel label = ParsedLabel;
        string path = ResolvedTrackerPath;
        bool whatIf = WhatIfInEffect();
        var gateway = Gateway;
        TimeSpan lockTimeout = LockTimeout;
        IDisposable? held = whatIf ? null : Run(ct => SeederTracker.LockAsync(path, lockTimeout, null, ct));
        try
        {
            SeederSnapshot snapshot = Run(ct => SeederService.ReadAsync(gateway, path, ct));
            if (snapshot.Tracker.IsCorrupt)
            {
                throw new ClydeException(ClydeErrorKind.Invalid, SeederErrorIds.TrackerCorrupt,
                    $"The seeder tracker '{path}' is corrupt: {snapshot.Tracker.Corruption}. Run Set-ClydeSeeder to rebuild it from the " +
                    $"nodes labelled {label}, then remove the nodes again.", path);
            }

            var byName = snapshot.Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
            var tracked = new HashSet<string>(snapshot.Tracker.Names, StringComparer.Ordinal);
            var handled = new List<(string Name, ClydeNode? Node, bool Labelled, bool Tracked)>();
            var changes = new List<(string Name, bool On)>();
            var declined = new HashSet<string>(StringComparer.Ordinal);
            foreach (string name in nodes.Distinct(StringComparer.Ordinal))
            {
                byName.TryGetValue(name, out ClydeNode? node);
                bool labelled = node is not null && label.IsOn(node.Labels);
                bool isTracked = tracked.Contains(name);
                if (node is null && !isTracked)
                {
                    WriteClydeError(new ClydeException(ClydeErrorKind.NotFound, SeederErrorIds.NodeNotFound,
                        $"Node '{name}' does not exist and is not in the seeder tracker '{path}'.", name));
                    continue;
                }

                if (!labelled && !isTracked)
                {
                    WriteVerbose($"Node {name} is not a seeder (not labelled {label}, not tracked): nothing to do.");
                    continue;
                }

                string what = labelled ? $"Remove label {label.Key} and drop from the seeder tracker" : "Drop from the seeder tracker";
                if (!ShouldProcess($"node {name}", what))
                {
                    declined.Add(name);
                }
                else if (labelled)
                {
                    changes.Add((name, false));
                }

                handled.Add((name, node, labelled, isTracked));
            }

            var outcomes = changes.Count == 0
                ? new Dictionary<string, LabelOutcome>(StringComparer.Ordinal)
                : ApplyLabels(label, changes, ProgressId, "Removing seeders").ToDictionary(o => o.Name, StringComparer.Ordinal);
            foreach (LabelOutcome failed in outcomes.Values.Where(o => !o.Succeeded))
            {
                WriteClydeError(failed.Error!);
            }

            var results = new List<ClydeSeeder>();
            foreach (var (name, node, labelled, isTracked) in handled)
            {
                if (whatIf)
                {
                    results.Add(SeederPool.ToSeeder(name, node, labelled, isTracked, labelled ? SeederAction.WouldUnlabel : SeederAction.WouldDrop, "", label, path));
                }
                else if (declined.Contains(name))
                {
                    results.Add(SeederPool.ToSeeder(name, node, labelled, isTracked, SeederAction.Skipped, "not confirmed", label, path));
                }
                else if (outcomes.TryGetValue(name, out LabelOutcome? o) && !o.Succeeded)
                {
                    results.Add(SeederPool.ToSeeder(name, node, labelled, isTracked, SeederAction.Skipped, o.Error!.Message, label, path));
                }
                else
                {
                    tracked.Remove(name);
                    results.Add(SeederPool.ToSeeder(name, node, false, false, labelled ? SeederAction.Unlabelled : SeederAction.Dropped, "removed", label, path));
                }
            }

            var remaining = snapshot.Tracker.Names.Where(tracked.Contains).ToArray();
            if (!whatIf && remaining.Length != snapshot.Tracker.Names.Count)
            {
                SeederTracker.Write(path, remaining);
                WriteVerbose($"Wrote {remaining.Length} seeder(s) to '{path}'.");
            }

            if (PassThru)
            {
                WriteObject(results, enumerateCollection: true);
            }
        }
        finally
        {
            held?.Dispose();
        }
    });
}
