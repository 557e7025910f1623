using System.Management.Automation;
using ClydePS.Completion;
using ClydePS.Engine.Seeders;
using ClydePS.Engine.Util;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>
/// The seeder pool: every node carrying the seeder label joined with the tracker file's names, with a Status per node
/// (Healthy, NotReady, Cordoned, Missing, Unlabelled, Untracked). Changes nothing; one node list request.
/// </summary>
[Cmdlet(VerbsCommon.Get, "ClydeSeeder")]
[OutputType(typeof(ClydeSeeder))]
public sealed class GetClydeSeederCommand : ClydeSeederCmdletBase
{
    private readonly List<string> names = [];

    /// <summary>Only these nodes (names or wildcards); default: the whole pool.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Node")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        if (Name != null)
        {
            names.AddRange(Name);
        }
    }

    protected override void EndProcessing() => Guard(() =>
    {
        SeederLabel label = ParsedLabel;
        string path = ResolvedTrackerPath;
        var gateway = Gateway;
        SeederSnapshot snapshot = Run(ct => SeederService.ReadAsync(gateway, path, ct));
        IReadOnlyList<string> tracked = snapshot.Tracker.Names;
        if (snapshot.Tracker.IsCorrupt)
        {
            WriteWarning($"The seeder tracker '{path}' is corrupt: {snapshot.Tracker.Corruption}. Showing the labelled nodes as " +
                         "Untracked; Set-ClydeSeeder rebuilds the tracker from the labels.");
        }
        else if (!snapshot.Tracker.Exists)
        {
            WriteVerbose($"No seeder tracker at '{path}': every labelled node is Untracked.");
        }

        IReadOnlyList<ClydeSeeder> pool = SeederPool.Describe(snapshot.Nodes, tracked, label, path);
        WriteVerbose($"{pool.Count(s => s.Labelled)} node(s) labelled {label}, {tracked.Count} tracked in '{path}'.");
        var patterns = names.Select(n => new NamePattern(n)).ToArray();
        foreach (ClydeSeeder seeder in pool)
        {
            if (patterns.Length == 0 || patterns.Any(p => p.IsMatch(seeder.Name)))
            {
                WriteObject(seeder);
            }
        }
    });
}
