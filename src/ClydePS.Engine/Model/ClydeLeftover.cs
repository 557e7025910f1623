namespace ClydePS;

/// <summary>What <c>Remove-ClydeLeftover</c> did with one helper object.</summary>
public enum LeftoverAction
{
    /// <summary>Deleted (propagation Background, so a DaemonSet's or Job's pods go too).</summary>
    Deleted,

    /// <summary>Left in place; Reason says why (a seed pod still held for a rollout, not confirmed, or the delete failed).</summary>
    Kept,

    /// <summary>-WhatIf: would be deleted.</summary>
    WouldDelete,
}

/// <summary>
/// One short-lived helper object ClydePS created (seed, probe or pre-pull pod, temporary DaemonSet, agent Job, hand-back
/// ConfigMap), found by its <c>clydeps.io/role</c> and <c>clydeps.io/run</c> labels, and what Remove-ClydeLeftover did with it.
/// </summary>
public sealed class ClydeLeftover
{
    /// <summary>Pod, DaemonSet, Job or ConfigMap.</summary>
    public string Kind { get; init; } = "";
    public string Name { get; init; } = "";
    public string Namespace { get; init; } = "";

    /// <summary>The <c>clydeps.io/role</c> label: seed, probe, prepull or agent.</summary>
    public string Role { get; init; } = "";

    /// <summary>The <c>clydeps.io/run</c> label: the id of the cmdlet run that created it.</summary>
    public string Run { get; init; } = "";

    /// <summary>The node a pod is pinned to, else null.</summary>
    public string? Node { get; init; }

    /// <summary>For a seed pod: the <c>clydeps.io/workload</c> annotation (namespace/DaemonSet) it seeds for, else null.</summary>
    public string? Workload { get; init; }

    public DateTimeOffset? CreationTimestamp { get; init; }

    /// <summary>How long ago it was created, in cluster (Lab) time.</summary>
    public TimeSpan? Age { get; init; }

    public LeftoverAction Action { get; init; }
    public string Reason { get; init; } = "";

    public override string ToString() => $"{Kind} {Namespace}/{Name} ({Role}, run {Run}): {Action}";
}
