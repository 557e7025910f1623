namespace ClydePS;

/// <summary>The health of one seeder, from the cluster's labels joined with the tracker file.</summary>
public enum SeederStatus
{
    /// <summary>Labelled, tracked, Ready and schedulable.</summary>
    Healthy,

    /// <summary>Labelled, but the node is not Ready (its kubelet stopped reporting, or it is failing).</summary>
    NotReady,

    /// <summary>Labelled and Ready, but cordoned (unschedulable): pre-pull pods cannot run there.</summary>
    Cordoned,

    /// <summary>In the tracker, but the node no longer exists.</summary>
    Missing,

    /// <summary>In the tracker, but the node no longer carries the seeder label.</summary>
    Unlabelled,

    /// <summary>Carries the seeder label, Ready, but not in the tracker (labelled by hand or by another tracker).</summary>
    Untracked,

    /// <summary>Neither labelled nor tracked: a node taken out of the pool, or (under -WhatIf) one not yet in it.</summary>
    NotSeeder,
}

/// <summary>What Set-ClydeSeeder or Remove-ClydeSeeder did with one node.</summary>
public enum SeederAction
{
    /// <summary>Nothing: Get-ClydeSeeder, or a seeder that stays as it was.</summary>
    None,

    /// <summary>A seeder that stays (tracked, or adopted from its label).</summary>
    Kept,

    /// <summary>Newly labelled as a seeder.</summary>
    Labelled,

    /// <summary>The seeder label was removed (replaced, pruned or removed).</summary>
    Unlabelled,

    /// <summary>Dropped from the tracker without a label change (the node is gone or no longer labelled).</summary>
    Dropped,

    /// <summary>A valid seeder beyond the target; kept because -Prune was not given.</summary>
    Surplus,

    /// <summary>-WhatIf: would be labelled.</summary>
    WouldLabel,

    /// <summary>-WhatIf: would be unlabelled.</summary>
    WouldUnlabel,

    /// <summary>-WhatIf: would be dropped from the tracker.</summary>
    WouldDrop,

    /// <summary>The change was not confirmed, or the API refused it (Reason says which).</summary>
    Skipped,
}

/// <summary>
/// One node of the seeder pool (<c>Get-ClydeSeeder</c>, <c>Set-ClydeSeeder</c>, <c>Remove-ClydeSeeder</c>): where it sits
/// (zone, network class), whether it is Ready, labelled and tracked, its Status, and what the cmdlet did with it.
/// </summary>
public sealed class ClydeSeeder
{
    public string Name { get; init; } = "";

    /// <summary>Null when the node no longer exists.</summary>
    public NetworkClass? NetworkClass { get; init; }

    /// <summary>The node's topology.kubernetes.io/zone label, else null.</summary>
    public string? Zone { get; init; }

    public bool Ready { get; init; }

    /// <summary>Carries the seeder label (key and value).</summary>
    public bool Labelled { get; init; }

    /// <summary>Listed in the tracker file.</summary>
    public bool Tracked { get; init; }

    public SeederStatus Status { get; init; }

    public SeederAction Action { get; init; }

    /// <summary>Why the action was taken (or skipped), in words; empty when there is nothing to say.</summary>
    public string Reason { get; init; } = "";

    /// <summary>The node exists.</summary>
    public bool Exists { get; init; }

    public bool Schedulable { get; init; }

    public bool ControlPlane { get; init; }

    /// <summary>The seeder label, key=value.</summary>
    public string Label { get; init; } = "";

    /// <summary>The full path of the tracker file.</summary>
    public string TrackerPath { get; init; } = "";

    public override string ToString() => Name;
}
