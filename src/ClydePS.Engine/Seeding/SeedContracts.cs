namespace ClydePS.Engine.Seeding;

/// <summary>
/// What a policy starts from. Eligible: node names in pick order (those that already hold the image included);
/// AlreadySeeded: the eligible nodes that hold it; Target: the stop target (they count toward it);
/// InitialSeeds: the first wave's size before capping by what is left.
/// </summary>
public sealed record SeedPlan(
    ClusterNetworkClass ClusterClass,
    IReadOnlyList<string> Eligible,
    IReadOnlySet<string> AlreadySeeded,
    int Target,
    int InitialSeeds,
    SeedPolicyOptions Options)
{
    /// <summary>The image's layers in pull order, when known (the Pipelined policy predicts from them; null = whole pulls only).</summary>
    public IReadOnlyList<SeedLayer>? Layers { get; init; }

    /// <summary>A node's download bandwidth (MB/s) when known: how fast a follower can fetch from peers.</summary>
    public double? NodeBandwidthMBps { get; init; }

    /// <summary>The registry's bandwidth (MB/s) when known (measured or given): how many nodes keep it busy.</summary>
    public double? RegistryBandwidthMBps { get; init; }

    /// <summary>From a StartSeedsAction until the node's pull starts (pod scheduling, sandbox, helper init): the executor's own delay.</summary>
    public TimeSpan StartLatency { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The Pipelined policy's planned follower starts, when a planner made them in the transfer model
    /// (<c>StartSchedulePlanner</c>): seconds after the first registry-lane start, one per follower. While some layer
    /// exists nowhere, and after every layer arrived no sooner than <see cref="FirstCopySeconds"/>, they replace the
    /// policy's start rules; null = the rules alone.
    /// </summary>
    public IReadOnlyList<double>? FollowerStartOffsets { get; init; }

    /// <summary>
    /// When the planner expects the registry lane's copy to be complete, in seconds after the lane starts, at the registry
    /// rate given. Once every layer is in the cluster, planned starts that remain keep their times if the copy came no
    /// sooner than this (less 5 %); sooner, or null, the rules start those followers.
    /// </summary>
    public double? FirstCopySeconds { get; init; }
}

/// <summary>One layer of the image being seeded: its digest and size in bytes.</summary>
public sealed record SeedLayer(string Digest, long SizeBytes);

public static class SeedPlanner
{
    /// <summary>Validates the options and computes the stop target and initial seed count over the eligible nodes.</summary>
    public static SeedPlan Create(EligibilityResult eligibility, SeedPolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(eligibility);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var names = eligibility.Eligible.Select(n => n.Name).ToList();
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count)
        {
            throw new ArgumentException("Eligible node names must be unique.", nameof(eligibility));
        }
        var seeded = new HashSet<string>(eligibility.Eligible.Where(n => n.HoldsImage).Select(n => n.Name), StringComparer.Ordinal);
        // Pipelined seeds its own share (every node by default), so the plan shows the target it will use.
        var target = SeedTargets.StopTarget(names.Count, options.Strategy == SeedStrategy.Pipelined ? options.PipelinedStopRatio : options.StopRatio);
        var initial = SeedTargets.InitialSeeds(names.Count, options.InitialSeeds, target);
        return new SeedPlan(eligibility.ClusterClass, names, seeded, target, initial, options);
    }
}

/// <summary>Something that happened. Time comes only from events: policies never read a clock.</summary>
public abstract record SeedEvent(DateTimeOffset At);

/// <summary>The executor sends one at least at every <see cref="SeedPolicyState.WakeUpAt"/>.</summary>
public sealed record TickEvent(DateTimeOffset At) : SeedEvent(At);

/// <summary>A seed pull completed on <paramref name="Node"/> (the node is now seeded).</summary>
public sealed record SeedCompletedEvent(DateTimeOffset At, string Node, TimeSpan Duration, long Bytes) : SeedEvent(At);

/// <summary>A seed pull failed (ErrImagePull, pod failed) or its node was lost. The node is never retried.</summary>
public sealed record SeedFailedEvent(DateTimeOffset At, string Node, string Reason, bool NodeLost) : SeedEvent(At);

/// <summary>
/// A layer became complete on a node whose seed pull runs (a P2P mirror can now share it). FromPeer: whether a peer
/// served it (null = not known). Sent only where the executor can observe layers (the simulator); Kubernetes itself
/// reports whole pulls only.
/// </summary>
public sealed record SeedLayerCompletedEvent(DateTimeOffset At, string Node, string Digest, long Bytes, bool? FromPeer = null) : SeedEvent(At);

/// <summary>One probe sample, as the probe pods deliver it.</summary>
public sealed record ProbeSampleEvent(DateTimeOffset At, ClydeProbeSample Sample) : SeedEvent(At);

/// <summary>The probe pods are gone or failed; no more samples will come.</summary>
public sealed record ProbesEndedEvent(DateTimeOffset At, string Reason) : SeedEvent(At);

/// <summary>Where a wave's nodes are expected to pull from: Registry (the source), Peers, or Unknown (P2P may serve them).</summary>
public enum SeedSource
{
    Unknown,
    Registry,
    Peers,
}

/// <summary>What the executor must do.</summary>
public abstract record SeedAction;

/// <summary>Start seed pulls on these nodes as part of wave <paramref name="Wave"/> (1-based). A replacement for a failed node comes as another action with the same wave number.</summary>
public sealed record StartSeedsAction(int Wave, IReadOnlyList<string> Nodes, SeedSource Source) : SeedAction;

/// <summary>Start one probe pod per node, sampling every <paramref name="Interval"/>, living at most <paramref name="MaxDuration"/>.</summary>
public sealed record StartProbesAction(IReadOnlyList<string> Nodes, TimeSpan Interval, TimeSpan MaxDuration) : SeedAction;

/// <summary>Stop these seed pulls (delete their seed pods): a straggler replaced by another node. No event follows for them.</summary>
public sealed record CancelSeedsAction(IReadOnlyList<string> Nodes, string Reason) : SeedAction;

/// <summary>Delete the probe pods (idempotent: also sent after the probes ended by themselves, so leftovers are cleaned up).</summary>
public sealed record StopProbesAction : SeedAction;

/// <summary>Seeding is done: deploy the workload now. Nothing is running any more.</summary>
public sealed record DeployAction(string Reason) : SeedAction;

/// <summary>More than MaxFailedSeeds pulls failed: stop, do not deploy. Pulls still running are the executor's to cancel.</summary>
public sealed record AbortAction(string Reason) : SeedAction;

/// <summary>
/// One recorded decision. Kind: Plan, Wave, Window, Monitoring, Failure, Deploy, Abort. Verdict: Healthy, Unhealthy,
/// Undecided (Window decisions) or Info. Metrics are those of the window decided on (null elsewhere).
/// </summary>
public sealed record SeedDecision(
    DateTimeOffset At,
    string Kind,
    double? BandwidthMBps,
    double? JitterMs,
    double? DropRatePct,
    int Samples,
    int SuccessfulSamples,
    string Verdict,
    string Narrative)
{
    public override string ToString() => $"{At:HH:mm:ss} {Kind} {Verdict}: {Narrative}";
}

/// <summary>The policy's answer to Begin or to one event: the new state, what to do now, and what was decided.</summary>
public sealed record SeedStep(SeedPolicyState State, IReadOnlyList<SeedAction> Actions, IReadOnlyList<SeedDecision> Decisions);

/// <summary>A policy's opaque-but-readable state. WakeUpAt: when the executor must send the next TickEvent (null = only on events).</summary>
public abstract record SeedPolicyState
{
    public abstract bool Finished { get; }
    public abstract DateTimeOffset? WakeUpAt { get; }

    /// <summary>The waves (start batches) so far, for progress and forecasts.</summary>
    public virtual IReadOnlyList<SeedWave> StartedWaves => [];
}

/// <summary>A pure seeding policy: a reducer over events. No I/O, no clock.</summary>
public interface ISeedPolicy
{
    string Name { get; }
    SeedStep Begin(SeedPlan plan, DateTimeOffset now);
    SeedStep Next(SeedPolicyState state, SeedEvent e);

    /// <summary>For -WhatIf: the waves (node names) if every pull succeeds and no expansion happens.</summary>
    IReadOnlyList<IReadOnlyList<string>> PreviewWaves(SeedPlan plan);
}

public static class SeedPolicies
{
    static readonly ISeedPolicy DoublingPolicy = new WaveSeedPolicy(SeedStrategy.Doubling);
    static readonly ISeedPolicy AdaptivePolicy = new WaveSeedPolicy(SeedStrategy.Adaptive);
    static readonly ISeedPolicy PipelinedPolicy = new PipelinedSeedPolicy();

    public static ISeedPolicy For(SeedStrategy strategy) => strategy switch
    {
        SeedStrategy.Doubling => DoublingPolicy,
        SeedStrategy.Adaptive => AdaptivePolicy,
        SeedStrategy.Pipelined => PipelinedPolicy,
        _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "Unknown seeding strategy."),
    };

    /// <summary>
    /// The waves a policy starts if every pull succeeds at once, in order, and nothing else happens (what -WhatIf shows):
    /// runs the policy with a completion event per started node, oldest first.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<string>> PreviewWaves(ISeedPolicy policy, SeedPlan plan) => PreviewWaves(policy, plan, _ => null);

    /// <summary>
    /// As <see cref="PreviewWaves(ISeedPolicy, SeedPlan)"/>, but while <paramref name="timeDriven"/> gives a time for the
    /// state (starts that come with time, not with completions: planned starts), a tick at that time comes before the
    /// next completion.
    /// </summary>
    internal static IReadOnlyList<IReadOnlyList<string>> PreviewWaves(ISeedPolicy policy, SeedPlan plan, Func<SeedPolicyState, DateTimeOffset?> timeDriven)
    {
        var at = DateTimeOffset.UnixEpoch;
        var waves = new SortedDictionary<int, List<string>>();
        var pending = new Queue<string>();
        var step = policy.Begin(plan, at);
        for (var guard = 0; guard < 1_000_000; guard++)
        {
            foreach (var start in step.Actions.OfType<StartSeedsAction>())
            {
                if (!waves.TryGetValue(start.Wave, out var list))
                {
                    waves[start.Wave] = list = [];
                }
                list.AddRange(start.Nodes);
                foreach (var n in start.Nodes)
                {
                    pending.Enqueue(n);
                }
            }
            if (step.State.Finished || pending.Count == 0)
            {
                break;
            }
            if (timeDriven(step.State) is { } due && due > at)
            {
                at = due;
                step = policy.Next(step.State, new TickEvent(at));
                continue;
            }
            step = policy.Next(step.State, new SeedCompletedEvent(at, pending.Dequeue(), TimeSpan.Zero, 0));
        }
        return waves.Values.Select(w => (IReadOnlyList<string>)w).ToList();
    }
}

/// <summary>How the policies write nodes and numbers into their decisions' narratives.</summary>
internal static class PolicyText
{
    /// <summary>Up to 8 node names, then "and N more".</summary>
    public static string Names(IReadOnlyCollection<string> nodes) =>
        nodes.Count <= 8 ? string.Join(", ", nodes) : string.Join(", ", nodes.Take(8)) + $" and {nodes.Count - 8} more";

    /// <summary>A number with at most three decimals, invariant culture.</summary>
    public static string Num(double d) => d.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
}
