using System.Collections.Immutable;

namespace ClydePS.Engine.Seeding;

/// <summary>Which path a run takes: classic doubling, a public cluster's pre-seed, or monitored (adaptive) expansion.</summary>
public enum SeedPath
{
    Doubling,
    PublicPreSeed,
    Monitored,
}

public enum SeedPullStatus
{
    Running,
    Completed,
    Failed,

    /// <summary>Stopped by the policy (a straggler replaced by another node).</summary>
    Cancelled,
}

/// <summary>One seed pull the policy started.</summary>
public sealed record SeedPull(
    string Node,
    int Wave,
    SeedSource Source,
    DateTimeOffset StartedAt,
    SeedPullStatus Status,
    DateTimeOffset? EndedAt = null,
    TimeSpan? Duration = null,
    long Bytes = 0,
    string? FailureReason = null,
    bool NodeLost = false);

/// <summary>
/// One wave: Size is its planned size (the number of pull slots; a failed node's replacement takes its slot, so
/// Nodes can be longer than Size). Expansion: started by a healthy monitor window while earlier waves still ran.
/// Running: how many of its pulls still run.
/// </summary>
public sealed record SeedWave(int Number, int Size, SeedSource Source, bool Expansion, DateTimeOffset StartedAt, ImmutableList<string> Nodes, int Running, DateTimeOffset? CompletedAt = null);

/// <summary>The monitoring in progress: the current window and its samples.</summary>
public sealed record SeedMonitor(ImmutableList<string> ProbeNodes, int Window, DateTimeOffset WindowStart, DateTimeOffset WindowEnd, ImmutableList<ClydeProbeSample> Samples, int UndecidedInARow);

/// <summary>The state of the wave policies (Doubling and Adaptive): immutable; every step returns a new one.</summary>
public sealed record SeedRunState : SeedPolicyState
{
    public required SeedStrategy Strategy { get; init; }
    public required SeedPath Path { get; init; }
    public required SeedPlan Plan { get; init; }

    /// <summary>Eligible nodes that do not hold the image, in pick order; pulls start on them in this order only.</summary>
    public required ImmutableArray<string> Candidates { get; init; }

    /// <summary>Index of the next unused candidate.</summary>
    public int NextCandidate { get; init; }

    public ImmutableList<SeedWave> Waves { get; init; } = [];
    public ImmutableDictionary<string, SeedPull> Pulls { get; init; } = ImmutableDictionary.Create<string, SeedPull>(StringComparer.Ordinal);
    public int Running { get; init; }

    /// <summary>Pulls completed in this run (the already seeded nodes are not counted here).</summary>
    public int NewlySeeded { get; init; }
    public int Failures { get; init; }

    /// <summary>Non-null while monitoring.</summary>
    public SeedMonitor? Monitor { get; init; }

    /// <summary>Why the run finished (the Deploy or Abort reason); null while it runs.</summary>
    public string? Outcome { get; init; }
    public bool Aborted { get; init; }

    /// <summary>The time of the last event seen.</summary>
    public DateTimeOffset Now { get; init; }

    public override bool Finished => Outcome is not null;
    public override DateTimeOffset? WakeUpAt => Finished ? null : Monitor?.WindowEnd;
    public override IReadOnlyList<SeedWave> StartedWaves => Waves;

    /// <summary>Eligible nodes holding the image now: already seeded ones plus completed pulls.</summary>
    public int Seeded => Plan.AlreadySeeded.Count + NewlySeeded;

    /// <summary>Unused candidates left.</summary>
    public int Available => Candidates.Length - NextCandidate;
    public bool Monitoring => Monitor is not null;
    public int CurrentWave => Waves.Count;

    public IEnumerable<string> RunningNodes => Pulls.Values.Where(p => p.Status == SeedPullStatus.Running).Select(p => p.Node).Order(StringComparer.Ordinal);
    public IEnumerable<string> FailedNodes => Pulls.Values.Where(p => p.Status == SeedPullStatus.Failed).Select(p => p.Node).Order(StringComparer.Ordinal);
    public IEnumerable<string> CompletedNodes => Pulls.Values.Where(p => p.Status == SeedPullStatus.Completed).Select(p => p.Node).Order(StringComparer.Ordinal);
}
