namespace ClydePS;

/// <summary>The workload kinds <c>Wait-ClydeRollout</c> waits for.</summary>
public enum RolloutKind
{
    DaemonSet,
    StatefulSet,
    Job,
}

/// <summary>What applying a DaemonSet did.</summary>
public enum ApplyOutcome
{
    Created,
    Updated,
    Unchanged,
}

/// <summary>
/// A DaemonSet ClydePS applied (<c>New-ClydeDaemonSet</c>): its pod counts from the DaemonSet's status and, after
/// <c>-Wait</c>, the rollout's Duration (Lab time on a Lab).
/// </summary>
public sealed class ClydeDaemonSet
{
    /// <summary>Always <c>DaemonSet</c>, so the object binds to <c>Wait-ClydeRollout -Kind</c> by property name.</summary>
    public string Kind => "DaemonSet";
    public string Name { get; init; } = "";
    public string Namespace { get; init; } = "";

    /// <summary>The image of the first container.</summary>
    public string Image { get; init; } = "";

    /// <summary>Created, Updated or Unchanged (a re-run with the same input changes nothing).</summary>
    public ApplyOutcome Outcome { get; init; }

    /// <summary>False when a DaemonSet of this name existed without ClydePS's managed-by label (it was updated anyway).</summary>
    public bool ManagedByClydePS { get; init; } = true;

    /// <summary>Nodes that should run the daemon pod (status.desiredNumberScheduled).</summary>
    public int Desired { get; init; }
    public int Ready { get; init; }
    public int Available { get; init; }
    public int Updated { get; init; }

    /// <summary>The rollout's duration, when the cmdlet waited for it (-Wait); else null.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>True when -Wait saw the rollout complete (as <c>kubectl rollout status</c> would).</summary>
    public bool? Complete { get; init; }

    public long Generation { get; init; }
    public string? ResourceVersion { get; init; }

    public override string ToString() => $"{Namespace}/{Name}";
}

/// <summary>
/// The state of a rollout (<c>Wait-ClydeRollout</c>): complete exactly when <c>kubectl rollout status</c> (DaemonSet,
/// StatefulSet) or <c>kubectl wait --for=condition=complete</c> (Job) would say so.
/// </summary>
public sealed class ClydeRolloutStatus
{
    public RolloutKind Kind { get; init; }
    public string Name { get; init; } = "";
    public string Namespace { get; init; } = "";
    public bool Complete { get; init; }

    /// <summary>DaemonSet: desiredNumberScheduled; StatefulSet: spec.replicas; Job: spec.completions.</summary>
    public int Desired { get; init; }

    /// <summary>DaemonSet: updatedNumberScheduled; StatefulSet: updatedReplicas; Job: succeeded pods.</summary>
    public int Updated { get; init; }

    /// <summary>DaemonSet: numberReady; StatefulSet: readyReplicas; Job: ready pods.</summary>
    public int Ready { get; init; }

    /// <summary>DaemonSet: numberAvailable; StatefulSet: availableReplicas; Job: succeeded pods.</summary>
    public int Available { get; init; }

    /// <summary>kubectl's words for the state, e.g. <c>daemon set "app" successfully rolled out</c>.</summary>
    public string Message { get; init; } = "";

    /// <summary>How long the wait took (Lab time on a Lab).</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>The nodes and pods still behind, as <c>node/pod: reason</c> (filled when a wait times out).</summary>
    public string[] Behind { get; init; } = [];

    public override string ToString() => $"{Kind} {Namespace}/{Name}: {Message}";
}
