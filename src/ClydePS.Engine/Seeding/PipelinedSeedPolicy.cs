using System.Collections.Immutable;
using System.Globalization;

namespace ClydePS.Engine.Seeding;

/// <summary>One seed pull of the Pipelined policy: its node, the layers it is known to hold, and whether it was started to keep the registry busy.</summary>
public sealed record PipelinedPull(
    string Node,
    int Wave,
    bool RegistryLane,
    DateTimeOffset StartedAt,
    SeedPullStatus Status,
    ImmutableHashSet<string> Layers,
    long BytesHeld,
    DateTimeOffset? EndedAt = null,
    string? Reason = null);

/// <summary>The Pipelined policy's state: immutable; every step returns a new one.</summary>
public sealed record PipelinedRunState : SeedPolicyState
{
    public required SeedPlan Plan { get; init; }

    /// <summary>Nodes to hold the image before the deploy: ceil(PipelinedStopRatio x eligible).</summary>
    public required int Target { get; init; }

    /// <summary>The image's layers in pull order (one pseudo-layer when the plan does not list them).</summary>
    public required ImmutableArray<SeedLayer> Layers
    {
        get => _layers;
        init
        {
            _layers = value;
            _imageBytes = value.IsDefault ? 0 : value.Sum(l => l.SizeBytes);
        }
    }

    readonly ImmutableArray<SeedLayer> _layers;
    readonly long _imageBytes; // every event reads it: summed once, when the layers are set

    /// <summary>Whether the plan listed the layers (layer events and predictions are possible).</summary>
    public required bool KnowsLayers { get; init; }

    /// <summary>Eligible nodes that do not hold the image, in pick order.</summary>
    public required ImmutableArray<string> Candidates { get; init; }
    public int NextCandidate { get; init; }

    /// <summary>How many nodes pull from the registry at a time while some layer exists nowhere in the cluster.</summary>
    public required int RegistryLane { get; init; }

    public ImmutableDictionary<string, PipelinedPull> Pulls { get; init; } = ImmutableDictionary.Create<string, PipelinedPull>(StringComparer.Ordinal);

    /// <summary>The running pulls in start order (the same records as in <see cref="Pulls"/>; an array, since every event scans them).</summary>
    public ImmutableArray<PipelinedPull> RunningPulls { get; init; } = [];

    /// <summary>Nodes known to hold each layer (digest -> count): already seeded nodes, completed pulls, and layers reported complete.</summary>
    public ImmutableDictionary<string, int> Holders { get; init; } = ImmutableDictionary.Create<string, int>(StringComparer.Ordinal);

    /// <summary>Bytes of the layers held somewhere in the cluster (the first copy the registry delivered so far).</summary>
    public long FirstCopyBytes { get; init; }

    /// <summary>When the first registry-lane pull was started (null before).</summary>
    public DateTimeOffset? RegistryStart { get; init; }

    /// <summary>The planned follower starts (seconds after <see cref="RegistryStart"/>, sorted; empty = the rules alone).</summary>
    public ImmutableArray<double> Schedule { get; init; } = [];

    /// <summary>How many planned starts were made.</summary>
    public int ScheduledStarts { get; init; }

    /// <summary>When the planner expects the registry lane's copy to be complete, in seconds after <see cref="RegistryStart"/> at the registry rate given (null: not known).</summary>
    public double? FirstCopySeconds { get; init; }

    /// <summary>
    /// Once every layer is in the cluster: whether the planned starts that remain keep their times (every layer arrived no
    /// sooner than the plan expected) or the rules start those followers (sooner: the registry is faster than given, or the
    /// plan said nothing about it). Null before.
    /// </summary>
    public bool? ScheduleOutlastsCopy { get; init; }

    /// <summary>Whether planned starts decide now: some remain, the registry lane has started, and some layer exists nowhere or every layer arrived as planned.</summary>
    public bool FollowsSchedule => ScheduledStarts < Schedule.Length && RegistryStart is not null && (!EveryLayerHeld || ScheduleOutlastsCopy == true);

    public ImmutableList<SeedWave> Waves { get; init; } = [];
    public ImmutableList<TimeSpan> CompletedDurations { get; init; } = [];

    /// <summary>Seconds each completed follower pull took after its start latency, sorted (for the learnt node bandwidth).</summary>
    public ImmutableList<double> FollowerSeconds { get; init; } = [];

    /// <summary>Image bytes over the median of <see cref="FollowerSeconds"/>, in MB/s (null before a follower completed).</summary>
    public double? LearntNodeMBps { get; init; }
    public int Running { get; init; }
    public int NewlySeeded { get; init; }
    public int Failures { get; init; }
    public int Replaced { get; init; }
    public string? Outcome { get; init; }
    public bool Aborted { get; init; }
    public DateTimeOffset Now { get; init; }

    /// <summary>The next wake-up: a straggler check (every 15 s) or a pull predicted to complete soon (null when nothing runs).</summary>
    public DateTimeOffset? NextCheck { get; init; }

    public override bool Finished => Outcome is not null;
    public override DateTimeOffset? WakeUpAt => Finished ? null : NextCheck;
    public override IReadOnlyList<SeedWave> StartedWaves => Waves;

    public int Seeded => Plan.AlreadySeeded.Count + NewlySeeded;
    public int Available => Candidates.Length - NextCandidate;
    public long ImageBytes => _imageBytes;
    public int HoldersOf(string digest) => Holders.GetValueOrDefault(digest);
    public bool EveryLayerHeld => Layers.All(l => HoldersOf(l.Digest) > 0);
}

/// <summary>
/// The Pipelined policy (see README.md in this folder): no wave barriers. As few nodes as keep the registry busy pull
/// the first copy; every other node starts as soon as holders can feed it (at most <see cref="SeedPolicyOptions.UploadFanOut"/>
/// newcomers per holder of the first layer and of every large layer) and, while some layer exists nowhere yet, only when
/// it cannot outrun the registry's first copy (so no layer is fetched twice from the registry). Layer events, where the
/// executor can observe them, let followers start before their sources finish; with whole pulls only, a completed node
/// is a holder of every layer. Stragglers (running longer than StragglerFactor x the median pull) are cancelled and
/// replaced. Every start and replacement is recorded with the numbers behind it.
/// </summary>
internal sealed class PipelinedSeedPolicy : ISeedPolicy
{
    /// <summary>containerd's max_concurrent_downloads: a pull asks for layer j once layer j-3 is complete.</summary>
    internal const int ConcurrentDownloads = 3;

    /// <summary>A layer at least this share of the image is "large": its holders gate the starts one newcomer per holder.</summary>
    internal const double LargeLayerShare = 0.25;

    /// <summary>Planned starts due within this much of now start now (ticks are rounded to whole ticks).</summary>
    static readonly TimeSpan Epsilon = TimeSpan.FromMilliseconds(1);

    /// <summary>How often running pulls are checked for stragglers.</summary>
    internal static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(15);

    public string Name => nameof(SeedStrategy.Pipelined);

    /// <summary>As few nodes as keep the registry busy: ceil(R/B), at least 1.</summary>
    internal static int RegistryLaneSize(double registryMBps, double nodeMBps) => Math.Max(1, (int)Math.Ceiling(registryMBps / nodeMBps - 1e-9));

    public SeedStep Begin(SeedPlan plan, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(plan);
        plan.Options.Validate();
        if (plan.AlreadySeeded.Any(n => !plan.Eligible.Contains(n)))
        {
            throw new ArgumentException("AlreadySeeded must name eligible nodes only.", nameof(plan));
        }
        if (plan.Eligible.Distinct(StringComparer.Ordinal).Count() != plan.Eligible.Count)
        {
            throw new ArgumentException("Eligible node names must be unique.", nameof(plan));
        }
        var knows = plan.Layers is { Count: > 0 } && plan.Layers.All(l => l.SizeBytes > 0)
            && plan.Layers.Select(l => l.Digest).Distinct(StringComparer.Ordinal).Count() == plan.Layers.Count;
        var layers = knows ? plan.Layers!.ToImmutableArray() : [new SeedLayer("image", 1)];
        var o = plan.Options;
        var eligible = plan.Eligible.Count;
        var target = SeedTargets.StopTarget(eligible, o.PipelinedStopRatio);
        var lane = 1;
        if (plan.RegistryBandwidthMBps is > 0 and var r && plan.NodeBandwidthMBps is > 0 and var b)
        {
            lane = RegistryLaneSize(r, b);
        }
        var holders = ImmutableDictionary.Create<string, int>(StringComparer.Ordinal);
        if (plan.AlreadySeeded.Count > 0)
        {
            holders = holders.SetItems(layers.Select(l => KeyValuePair.Create(l.Digest, plan.AlreadySeeded.Count)));
        }
        var schedule = knows && plan.FollowerStartOffsets is { Count: > 0 } offsets
            ? offsets.Select(x => double.IsFinite(x) ? Math.Max(0, x) : throw new ArgumentException("FollowerStartOffsets must be finite.", nameof(plan))).Order().ToImmutableArray()
            : [];
        var state = new PipelinedRunState
        {
            Schedule = schedule,
            FirstCopySeconds = schedule.IsEmpty ? null : plan.FirstCopySeconds,
            Plan = plan,
            Target = target,
            Layers = layers,
            KnowsLayers = knows,
            Candidates = plan.Eligible.Where(n => !plan.AlreadySeeded.Contains(n)).ToImmutableArray(),
            RegistryLane = lane,
            Holders = holders,
            FirstCopyBytes = plan.AlreadySeeded.Count > 0 ? layers.Sum(l => l.SizeBytes) : 0,
            Now = now,
        };
        var step = new Step(state, now);
        var bandwidths = plan.RegistryBandwidthMBps is { } rr && plan.NodeBandwidthMBps is { } bb
            ? string.Create(CultureInfo.InvariantCulture, $"registry {rr:0.#} MB/s, nodes {bb:0.#} MB/s: {lane} node(s) keep the registry busy")
            : "bandwidths not known: one node pulls from the registry";
        step.Info("Plan", $"{Name}: {eligible} eligible node(s), {plan.AlreadySeeded.Count} already hold the image; cluster {plan.ClusterClass}; target {target} = ceil({Num(o.PipelinedStopRatio)} x {eligible}); {(knows ? $"{layers.Length} layer(s) known" : "layers not known: whole pulls only")}; {bandwidths}; fan-out {o.UploadFanOut} per holder{(schedule.IsEmpty ? "" : $"; {schedule.Length} follower start(s) planned in the transfer model, from +{schedule[0]:0.#} s to +{schedule[^1]:0.#} s after the registry copy begins")}");
        Fill(step);
        return step.Result();
    }

    public SeedStep Next(SeedPolicyState state, SeedEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (state is not PipelinedRunState s)
        {
            throw new ArgumentException($"The state was not made by the {Name} policy.", nameof(state));
        }
        if (s.Finished)
        {
            return new SeedStep(s, [], []);
        }
        var step = new Step(s, e.At);
        switch (e)
        {
            case SeedLayerCompletedEvent l when s.EveryLayerHeld && !IsGate(s, l.Digest) && (s.NextCheck is not { } due || e.At < due):
                // Fast path: a layer that gates nothing, once every layer is in the cluster, changes no gate (time-driven
                // starts come with their own ticks), so nothing can start now.
                OnLayer(step, l);
                return step.Result();
            case SeedLayerCompletedEvent l:
                OnLayer(step, l);
                break;
            case SeedCompletedEvent c:
                OnCompleted(step, c);
                break;
            case SeedFailedEvent f:
                OnFailed(step, f);
                break;
        }
        NoteEveryLayerHeld(step);
        if (!step.S.Finished && step.S.NextCheck is { } check && step.Now >= check)
        {
            CheckStragglers(step);
        }
        Fill(step);
        return step.Result();
    }

    /// <summary>The waves with every pull succeeding at once, after the planned starts (which come with time) are made.</summary>
    public IReadOnlyList<IReadOnlyList<string>> PreviewWaves(SeedPlan plan) =>
        SeedPolicies.PreviewWaves(this, plan, s => s is PipelinedRunState { FollowsSchedule: true } p ? p.WakeUpAt : null);

    // ---- events ----

    static void OnLayer(Step step, SeedLayerCompletedEvent l)
    {
        var s = step.S;
        if (!s.KnowsLayers || !s.Pulls.TryGetValue(l.Node, out var pull) || pull.Status != SeedPullStatus.Running || pull.Layers.Contains(l.Digest))
        {
            return;
        }
        var layer = s.Layers.FirstOrDefault(x => x.Digest == l.Digest);
        if (layer is null)
        {
            return;
        }
        var updated = pull with { Layers = pull.Layers.Add(l.Digest), BytesHeld = pull.BytesHeld + layer.SizeBytes };
        step.S = Hold(s, [layer]) with
        {
            Pulls = s.Pulls.SetItem(l.Node, updated),
            RunningPulls = Replace(s.RunningPulls, pull, updated),
        };
    }

    /// <summary>A registry this much faster than given completes its copy early enough for the rules to beat the planned starts that remain.</summary>
    internal const double FasterRegistryTolerance = 0.05;

    /// <summary>
    /// When every layer first is in the cluster, decides whether the planned starts that remain keep their times. They do
    /// when the copy arrived no sooner than the plan expected (less <see cref="FasterRegistryTolerance"/>): starting them
    /// all at once instead would make them move in lockstep through the same holders, which is slower than the plan (on
    /// 100 nodes of the Clyde experiment's 40-layer image, 437 s against 369 s: bench/results/Simulation.md). A copy that arrives sooner means a
    /// registry faster than given, and the plan's later starts would wait for nothing: the rules start those followers.
    /// </summary>
    static void NoteEveryLayerHeld(Step step)
    {
        var s = step.S;
        if (s.ScheduleOutlastsCopy is not null || s.Schedule.IsEmpty || s.RegistryStart is not { } start || !s.EveryLayerHeld)
        {
            return;
        }
        var at = (step.Now - start).TotalSeconds;
        var keep = s.FirstCopySeconds is { } expected && at >= expected * (1 - FasterRegistryTolerance);
        step.S = s with { ScheduleOutlastsCopy = keep };
        var left = s.Schedule.Length - s.ScheduledStarts;
        if (left == 0)
        {
            return;
        }
        var why = keep
            ? string.Create(CultureInfo.InvariantCulture, $"as the plan expected (+{s.FirstCopySeconds:0.#} s): the {left} planned start(s) left keep their times")
            : s.FirstCopySeconds is { } e
                ? string.Create(CultureInfo.InvariantCulture, $"before the plan expected it (+{e:0.#} s): the registry is faster than given, so the rules start the {left} follower(s) the plan had left")
                : $"so the rules start the {left} follower(s) the plan had left";
        step.Info("Schedule", string.Create(CultureInfo.InvariantCulture, $"every layer is in the cluster at +{at:0.#} s, {why}"));
    }

    /// <summary>Counts one more holder of each of <paramref name="layers"/>, and the first-copy bytes of those held nowhere before.</summary>
    static PipelinedRunState Hold(PipelinedRunState s, IEnumerable<SeedLayer> layers)
    {
        var holders = s.Holders;
        var first = s.FirstCopyBytes;
        foreach (var layer in layers)
        {
            var count = holders.GetValueOrDefault(layer.Digest);
            if (count == 0)
            {
                first += layer.SizeBytes;
            }
            holders = holders.SetItem(layer.Digest, count + 1);
        }
        return s with { Holders = holders, FirstCopyBytes = first };
    }

    static void OnCompleted(Step step, SeedCompletedEvent c)
    {
        var s = step.S;
        if (!s.Pulls.TryGetValue(c.Node, out var pull) || pull.Status != SeedPullStatus.Running)
        {
            return;
        }
        var missing = s.Layers.Where(l => !pull.Layers.Contains(l.Digest)).ToList();
        s = Hold(s, missing);
        step.S = s with
        {
            Pulls = s.Pulls.SetItem(c.Node, pull with
            {
                Status = SeedPullStatus.Completed,
                EndedAt = c.At,
                Layers = pull.Layers.Union(missing.Select(l => l.Digest)),
                BytesHeld = s.ImageBytes,
            }),
            RunningPulls = Remove(s.RunningPulls, c.Node),
            Running = s.Running - 1,
            NewlySeeded = s.NewlySeeded + 1,
            CompletedDurations = InsertSorted(s.CompletedDurations, c.At - pull.StartedAt),
        };
        var seconds = (c.At - pull.StartedAt - s.Plan.StartLatency).TotalSeconds;
        if (!pull.RegistryLane && seconds > 0 && s.KnowsLayers)
        {
            var followers = InsertSorted(step.S.FollowerSeconds, seconds);
            step.S = step.S with { FollowerSeconds = followers, LearntNodeMBps = s.ImageBytes / followers[followers.Count / 2] / BytesPerMB };
        }
        EndInWave(step, pull.Wave);
    }

    static void OnFailed(Step step, SeedFailedEvent f)
    {
        var s = step.S;
        if (!s.Pulls.TryGetValue(f.Node, out var pull) || pull.Status != SeedPullStatus.Running)
        {
            return;
        }
        var o = s.Plan.Options;
        if (f.NodeLost && pull.Layers.Count > 0)
        {
            // a lost node shares nothing any more
            var holders = s.Holders;
            foreach (var d in pull.Layers)
            {
                holders = holders.SetItem(d, Math.Max(0, holders.GetValueOrDefault(d) - 1));
            }
            s = s with { Holders = holders };
        }
        step.S = s with
        {
            Pulls = s.Pulls.SetItem(f.Node, pull with { Status = SeedPullStatus.Failed, EndedAt = f.At, Reason = f.Reason }),
            RunningPulls = Remove(s.RunningPulls, f.Node),
            Running = s.Running - 1,
            Failures = s.Failures + 1,
        };
        EndInWave(step, pull.Wave);
        var what = $"seed pull on {f.Node} failed{(f.NodeLost ? " (node lost)" : "")}: {f.Reason}";
        if (step.S.Failures > o.MaxFailedSeeds)
        {
            step.Info("Failure", $"{what}; {step.S.Failures} failed pulls > MaxFailedSeeds {o.MaxFailedSeeds}");
            step.Actions.Add(new AbortAction($"{step.S.Failures} seed pulls failed, more than MaxFailedSeeds {o.MaxFailedSeeds} (last: {what})"));
            step.Info("Abort", $"abort: {step.S.Failures} seed pulls failed, more than MaxFailedSeeds {o.MaxFailedSeeds}; the workload is not deployed");
            step.S = step.S with { Outcome = $"aborted: {step.S.Failures} seed pulls failed", Aborted = true };
            return;
        }
        step.Info("Failure", $"{what}; never retried there: the next node starts when a source can serve it (failure {step.S.Failures}, abort above {o.MaxFailedSeeds})");
    }

    /// <summary>Puts <paramref name="updated"/> in place of <paramref name="old"/>: the running pulls are the records of <see cref="PipelinedRunState.Pulls"/>, so a reference finds it (a layer event on every node of a large cluster makes this hot).</summary>
    static ImmutableArray<PipelinedPull> Replace(ImmutableArray<PipelinedPull> running, PipelinedPull old, PipelinedPull updated)
    {
        for (var i = 0; i < running.Length; i++)
        {
            if (ReferenceEquals(running[i], old))
            {
                return running.SetItem(i, updated);
            }
        }
        for (var i = 0; i < running.Length; i++)
        {
            if (running[i].Node == old.Node)
            {
                return running.SetItem(i, updated); // a state built elsewhere with equal but distinct records
            }
        }
        return running;
    }

    static ImmutableArray<PipelinedPull> Remove(ImmutableArray<PipelinedPull> running, string node)
    {
        for (var i = 0; i < running.Length; i++)
        {
            if (running[i].Node == node)
            {
                return running.RemoveAt(i);
            }
        }
        return running;
    }

    static ImmutableList<T> InsertSorted<T>(ImmutableList<T> list, T item)
    {
        var at = list.BinarySearch(item);
        return list.Insert(at < 0 ? ~at : at, item);
    }

    static void EndInWave(Step step, int number)
    {
        var wave = step.S.Waves[number - 1];
        wave = wave with { Running = wave.Running - 1 };
        if (wave.Running == 0)
        {
            wave = wave with { CompletedAt = step.Now };
        }
        step.S = step.S with { Waves = step.S.Waves.SetItem(number - 1, wave) };
    }

    // ---- stragglers ----

    static void CheckStragglers(Step step)
    {
        var s = step.S;
        var o = s.Plan.Options;
        if (s.CompletedDurations.Count > 0 && s.Available > 0)
        {
            var median = s.CompletedDurations[s.CompletedDurations.Count / 2];
            var limit = TimeSpan.FromTicks(Math.Max(o.StragglerMinimum.Ticks, (long)(median.Ticks * o.StragglerFactor)));
            var slow = s.RunningPulls.Where(p => step.Now - p.StartedAt > limit)
                .OrderBy(p => p.StartedAt).ThenBy(p => p.Node, StringComparer.Ordinal).Take(s.Available).ToList();
            foreach (var p in slow)
            {
                step.S = step.S with
                {
                    Pulls = step.S.Pulls.SetItem(p.Node, p with { Status = SeedPullStatus.Cancelled, EndedAt = step.Now, Reason = "straggler" }),
                    RunningPulls = Remove(step.S.RunningPulls, p.Node),
                    Running = step.S.Running - 1,
                    Replaced = step.S.Replaced + 1,
                };
                EndInWave(step, p.Wave);
                step.Actions.Add(new CancelSeedsAction([p.Node], $"running {Secs(step.Now - p.StartedAt)}, more than {Secs(limit)} (StragglerFactor {Num(o.StragglerFactor)} x median pull {Secs(median)})"));
                step.Info("Straggler", $"{p.Node} has pulled for {Secs(step.Now - p.StartedAt)} ({Mb(p.BytesHeld)} of {Mb(s.ImageBytes)} reported), more than {Num(o.StragglerFactor)} x the median pull {Secs(median)} (at least {Secs(o.StragglerMinimum)}): cancelled, another node takes its place");
            }
        }
        step.S = step.S with { NextCheck = step.S.Running > 0 ? step.Now + CheckInterval : null };
    }

    // ---- starts ----

    /// <summary>Starts what can start now, then deploys when the target holds the image and nothing runs.</summary>
    static void Fill(Step step)
    {
        var s = step.S;
        if (s.Finished)
        {
            return;
        }
        var eligible = s.Plan.Eligible.Count;
        if (s.Running == 0 && s.ScheduleOutlastsCopy == true && s.FollowsSchedule)
        {
            // The planned times stagger followers against the pulls under way; with none under way they would wait for nothing.
            step.S = s with { ScheduleOutlastsCopy = false };
            step.Info("Schedule", $"nothing is pulling: the rules start the {s.Schedule.Length - s.ScheduledStarts} follower(s) the plan had left");
            s = step.S;
        }
        if (s.Seeded < s.Target && s.Available > 0)
        {
            StartRegistryLane(step);
            StartFollowers(step);
        }
        s = step.S;
        if (s.Running == 0)
        {
            if (s.Seeded >= s.Target)
            {
                Deploy(step, $"target reached: {s.Seeded} of {eligible} eligible node(s) hold the image (target {s.Target})");
            }
            else if (s.Available == 0)
            {
                Deploy(step, $"target {s.Target} unreachable: no unused eligible node left ({s.Seeded} of {eligible} seeded, {s.Failures} pull(s) failed, {s.Replaced} straggler(s) replaced); deploy with what is seeded");
            }
            return;
        }
        var next = step.S.NextCheck ?? step.Now + CheckInterval;
        if (step.S.FollowsSchedule)
        {
            var planned = step.S.RegistryStart!.Value + TimeSpan.FromSeconds(step.S.Schedule[step.S.ScheduledStarts]);
            if (planned > step.Now && planned < next)
            {
                next = planned;
            }
        }
        // wake up when a running pull is about to complete, so its follower starts before it does
        var nodeMBps = NodeMBps(step.S);
        if (nodeMBps is not null)
        {
            var leads = GateLayers(step.S).Select(j => step.S.Plan.StartLatency + TimeSpan.FromSeconds(AskedBefore(step.S, j) / NodeRate(nodeMBps))).ToList();
            foreach (var p in step.S.RunningPulls)
            {
                if (PredictedDone(step.S, p, nodeMBps) is { } done)
                {
                    foreach (var lead in leads)
                    {
                        var at = done - lead;
                        if (at > step.Now && at < next)
                        {
                            next = at;
                        }
                    }
                }
            }
        }
        step.S = step.S with { NextCheck = next };
    }

    /// <summary>While some layer exists nowhere in the cluster, keep RegistryLane nodes pulling it from the registry.</summary>
    static void StartRegistryLane(Step step)
    {
        var s = step.S;
        if (s.EveryLayerHeld)
        {
            return;
        }
        var lane = s.RunningPulls.Count(p => p.RegistryLane);
        var room = Math.Min(Math.Min(s.RegistryLane - lane, s.Target - s.Seeded - s.Running), s.Available);
        if (room <= 0)
        {
            return;
        }
        var missing = s.Layers.Where(l => s.HoldersOf(l.Digest) == 0).ToList();
        Start(step, room, registryLane: true, SeedSource.Registry,
            $"{Mb(missing.Sum(l => l.SizeBytes))} in {missing.Count} layer(s) exist nowhere in the cluster; {room} node(s) pull them from the registry ({s.RegistryLane} keep it busy{(lane > 0 ? $", {lane} already do" : "")})");
    }

    /// <summary>Starts as many followers as the gates allow now (computed once per event: O(running pulls x gate layers)).</summary>
    static void StartFollowers(Step step)
    {
        var s = step.S;
        var room = Math.Min(s.Target - s.Seeded - s.Running, s.Available);
        if (room <= 0)
        {
            return;
        }
        if (s.FollowsSchedule)
        {
            // The plan was checked in the transfer model (no follower outruns the first copy): its starts replace the gates.
            var due = 0;
            while (s.ScheduledStarts + due < s.Schedule.Length && s.RegistryStart!.Value + TimeSpan.FromSeconds(s.Schedule[s.ScheduledStarts + due]) <= step.Now + Epsilon)
            {
                due++;
            }
            var planned = Math.Min(room, due);
            if (planned > 0)
            {
                var first = s.ScheduledStarts + 1;
                Start(step, planned, registryLane: false, SeedSource.Unknown, string.Create(CultureInfo.InvariantCulture,
                    $"planned start{(planned > 1 ? "s" : "")} {first}{(planned > 1 ? $"-{first + planned - 1}" : "")} of {s.Schedule.Length} at +{s.Schedule[first - 1]:0.#} s after the registry copy began (schedule planned in the transfer model: no follower fetches from the registry)"));
                step.S = step.S with { ScheduledStarts = s.ScheduledStarts + due };
            }
            return;
        }
        var (allowed, why, rate) = AllowedFollowers(s, step.Now);
        var count = Math.Min(room, allowed);
        if (count > 0)
        {
            Start(step, count, registryLane: false, s.EveryLayerHeld ? SeedSource.Peers : SeedSource.Unknown, why, rate);
        }
    }

    static bool IsGate(PipelinedRunState s, string digest)
    {
        foreach (var j in GateLayers(s))
        {
            if (s.Layers[j].Digest == digest)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The gate layers: the first layer and every layer of at least <see cref="LargeLayerShare"/> of the image.</summary>
    static IEnumerable<int> GateLayers(PipelinedRunState s)
    {
        var total = (double)s.ImageBytes;
        for (var j = 0; j < s.Layers.Length; j++)
        {
            if (j == 0 || s.Layers[j].SizeBytes >= LargeLayerShare * total)
            {
                yield return j;
            }
        }
    }

    /// <summary>
    /// How many followers may start now: for the first layer and every large layer that some node holds, the pulls still
    /// lacking it plus the newcomers stay within UploadFanOut x its holders (a running pull predicted to hold the whole
    /// image by the time a newcomer asks for that layer counts as a holder); and, while some layer exists nowhere, none
    /// unless a follower (pulling at the node bandwidth, asking for layer j once j-3 is complete) asks for no such layer
    /// before the registry's first copy (at the rate it has delivered so far) completes it.
    /// </summary>
    static (int Allowed, string Reason, double? FirstCopyMBps) AllowedFollowers(PipelinedRunState s, DateTimeOffset now)
    {
        var o = s.Plan.Options;
        var allowed = int.MaxValue;
        var gates = new List<string>();
        var running = s.RunningPulls;
        var nodeMBps = NodeMBps(s);
        DateTimeOffset?[]? done = null; // predicted only when a gate has to count (most events do not)
        foreach (var j in GateLayers(s))
        {
            var layer = s.Layers[j];
            var holders = s.HoldersOf(layer.Digest);
            if (holders == 0)
            {
                continue; // the first-copy check below decides
            }
            if ((long)o.UploadFanOut * holders - running.Length >= s.Available)
            {
                // enough holders for every pull that could still lack the layer: no need to count
                allowed = Math.Min(allowed, s.Available);
                gates.Add($"layer {j + 1} ({Mb(layer.SizeBytes)}): {holders} holder(s), at most {running.Length} pull(s) need it");
                continue;
            }
            if (done is null)
            {
                done = new DateTimeOffset?[running.Length];
                for (var i = 0; i < running.Length; i++)
                {
                    done[i] = PredictedDone(s, running[i], nodeMBps);
                }
            }
            var askAt = now + s.Plan.StartLatency + TimeSpan.FromSeconds(AskedBefore(s, j) / NodeRate(nodeMBps));
            int lacking = 0, soon = 0;
            for (var i = 0; i < running.Length; i++)
            {
                if (running[i].Layers.Contains(layer.Digest))
                {
                    continue;
                }
                lacking++;
                if (done[i] is { } d && d <= askAt)
                {
                    soon++;
                }
            }
            var free = o.UploadFanOut * (holders + soon) - (lacking - soon);
            allowed = Math.Min(allowed, free);
            if (free <= 0)
            {
                return (0, "", null);
            }
            gates.Add($"layer {j + 1} ({Mb(layer.SizeBytes)}): {holders} holder(s){(soon > 0 ? $" and {soon} about to complete" : "")}, {lacking - soon} pull(s) still need it");
        }
        if (s.EveryLayerHeld)
        {
            return (allowed, "every layer is in the cluster; " + string.Join("; ", gates), null);
        }
        // Some layer exists nowhere: only a follower that cannot catch up with the registry's first copy may start.
        if (!s.KnowsLayers || nodeMBps is not { } bandwidth || s.RegistryStart is not { } regStart || s.FirstCopyBytes <= 0)
        {
            return (0, "", null);
        }
        var elapsed = (now - regStart - s.Plan.StartLatency).TotalSeconds;
        if (elapsed <= 0)
        {
            return (0, "", null);
        }
        var firstCopy = s.FirstCopyBytes / elapsed; // bytes/s the registry delivered as first copies (completed layers only: conservative)
        var node = bandwidth * BytesPerMB;
        double missing = 0;
        var lead = double.PositiveInfinity;
        double asked = 0; // bytes complete when the follower asks for layer j (layers up to j-3)
        for (var j = 0; j < s.Layers.Length; j++)
        {
            var layer = s.Layers[j];
            if (j >= ConcurrentDownloads)
            {
                asked += s.Layers[j - ConcurrentDownloads].SizeBytes;
            }
            if (s.HoldersOf(layer.Digest) == 0)
            {
                missing += layer.SizeBytes;
                var request = s.Plan.StartLatency.TotalSeconds + asked / node;
                var available = missing / firstCopy;
                lead = Math.Min(lead, request - available);
            }
        }
        if (lead < 0)
        {
            return (0, "", Mbps(firstCopy));
        }
        gates.Add(string.Create(CultureInfo.InvariantCulture,
            $"first copy from the registry at {Mbps(firstCopy):0.#} MB/s completes the {Mb((long)missing)} still missing before a follower at {bandwidth:0.#} MB/s asks for it ({lead:0.#} s to spare)"));
        return (allowed, string.Join("; ", gates), Mbps(firstCopy));
    }

    /// <summary>Bytes a follower holds when it asks for layer <paramref name="j"/>: layers up to j-3 (containerd fetches 3 at a time, in order).</summary>
    static double AskedBefore(PipelinedRunState s, int j)
    {
        double asked = 0;
        for (var i = 0; i <= j - ConcurrentDownloads; i++)
        {
            asked += s.Layers[i].SizeBytes;
        }
        return asked;
    }

    /// <summary>A follower's download rate in bytes/s (the node bandwidth; unknown = infinitely fast, which predicts nothing).</summary>
    static double NodeRate(double? nodeMBps) => nodeMBps is { } b ? b * BytesPerMB : double.PositiveInfinity;

    /// <summary>
    /// A node's bandwidth in MB/s: the plan's when known, else what the completed follower pulls achieved (image bytes over
    /// the median pull time less the start latency), so the executor, which measures nothing, learns it from its own pulls.
    /// </summary>
    internal static double? NodeMBps(PipelinedRunState s) =>
        s.Plan.NodeBandwidthMBps is > 0 and var b ? b : s.KnowsLayers ? s.LearntNodeMBps : null;

    /// <summary>
    /// When a running pull should hold the whole image, if the bandwidths are known: a follower at the node bandwidth
    /// (it has one holder to itself, by the fan-out cap), a registry-lane pull at min(registry, node) bandwidth.
    /// </summary>
    internal static DateTimeOffset? PredictedDone(PipelinedRunState s, PipelinedPull p, double? nodeMBps)
    {
        if (!s.KnowsLayers || nodeMBps is not { } rate)
        {
            return null;
        }
        if (p.RegistryLane)
        {
            if (s.Plan.RegistryBandwidthMBps is not > 0)
            {
                return null;
            }
            rate = Math.Min(rate, s.Plan.RegistryBandwidthMBps.Value / s.RegistryLane);
        }
        return p.StartedAt + s.Plan.StartLatency + TimeSpan.FromSeconds(s.ImageBytes / (rate * BytesPerMB));
    }

    static void Start(Step step, int count, bool registryLane, SeedSource source, string why, double? bandwidthMBps = null)
    {
        var s = step.S;
        var nodes = ImmutableList.CreateRange(ImmutableArray.Create(s.Candidates, s.NextCandidate, Math.Min(count, s.Available)));
        var number = s.Waves.Count + 1;
        var pulls = s.Pulls;
        var running = s.RunningPulls.ToBuilder();
        foreach (var n in nodes)
        {
            var pull = new PipelinedPull(n, number, registryLane, step.Now, SeedPullStatus.Running, ImmutableHashSet.Create<string>(DigestComparer.Instance), 0);
            pulls = pulls.SetItem(n, pull);
            running.Add(pull);
        }
        step.S = s with
        {
            NextCandidate = s.NextCandidate + nodes.Count,
            Pulls = pulls,
            RunningPulls = running.ToImmutable(),
            Running = s.Running + nodes.Count,
            Waves = s.Waves.Add(new SeedWave(number, nodes.Count, source, false, step.Now, nodes, nodes.Count)),
            RegistryStart = s.RegistryStart ?? (registryLane ? step.Now : null),
        };
        step.Actions.Add(new StartSeedsAction(number, nodes, source));
        var narrative = $"start {number}: {Names(nodes)} ({(registryLane ? "registry" : "follower")}): {why}; seeded {step.S.Seeded} + running {step.S.Running} of target {s.Target}";
        step.Decisions.Add(new SeedDecision(step.Now, "Wave", bandwidthMBps, null, null, 0, 0, "Info", narrative));
    }

    static void Deploy(Step step, string reason)
    {
        step.Actions.Add(new DeployAction(reason));
        step.Info("Deploy", reason);
        step.S = step.S with { Outcome = reason, NextCheck = null };
    }

    // ---- text ----

    const double BytesPerMB = 1_048_576;

    static double Mbps(double bytesPerSecond) => bytesPerSecond / BytesPerMB;

    static string Mb(long bytes) => bytes >= 1L << 30
        ? (bytes / (double)(1L << 30)).ToString("0.##", CultureInfo.InvariantCulture) + " GB"
        : (bytes / BytesPerMB).ToString("0.#", CultureInfo.InvariantCulture) + " MB";

    static string Names(IReadOnlyCollection<string> nodes) => PolicyText.Names(nodes);

    static string Num(double d) => PolicyText.Num(d);

    static string Secs(TimeSpan t) => t.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + " s";

    private sealed class Step(PipelinedRunState state, DateTimeOffset now)
    {
        public PipelinedRunState S = state;
        public readonly DateTimeOffset Now = now;
        public readonly List<SeedAction> Actions = [];
        public readonly List<SeedDecision> Decisions = [];

        public void Info(string kind, string narrative) =>
            Decisions.Add(new SeedDecision(Now, kind, null, null, null, 0, 0, "Info", narrative));

        public SeedStep Result() => new(S with { Now = Now }, Actions, Decisions);
    }
}

/// <summary>
/// Ordinal equality for layer digests with a cheap hash of their last 16 characters: a digest's hex is uniformly random, and
/// the Pipelined policy looks digests up in every running pull's layer set on each event (on 5,000 nodes, hashing whole
/// 71-character strings was a sixth of a simulation).
/// </summary>
sealed class DigestComparer : IEqualityComparer<string>
{
    public static readonly DigestComparer Instance = new();

    public bool Equals(string? x, string? y) => string.Equals(x, y, StringComparison.Ordinal);

    public int GetHashCode(string obj)
    {
        var hash = 2166136261u;
        for (var i = Math.Max(0, obj.Length - 16); i < obj.Length; i++)
        {
            hash = (hash ^ obj[i]) * 16777619u;
        }
        return (int)hash;
    }
}
