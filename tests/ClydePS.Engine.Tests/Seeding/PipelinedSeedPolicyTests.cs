using System.Globalization;
using ClydePS.Engine.Seeding;

namespace ClydePS.Engine.Tests.Seeding;

/// <summary>The Pipelined policy as a pure reducer: invariants over many runs, failures, stragglers and the plan it shows.</summary>
public sealed class PipelinedSeedPolicyTests
{
    static readonly DateTimeOffset T0 = FakeSeedDriver.T0;
    static readonly ISeedPolicy Policy = SeedPolicies.For(SeedStrategy.Pipelined);

    static SeedPlan Plan(int n, ClusterNetworkClass cls, bool someSeeded, SeedPolicyOptions? options = null, bool layers = false)
    {
        var eligibility = Eligibility.Evaluate(SeedPolicyPropertyTests.Nodes(n, cls, someSeeded), WorkloadPlacement.Anywhere, ["linux/amd64"], null);
        var plan = SeedPlanner.Create(eligibility, (options ?? new SeedPolicyOptions()) with { Strategy = SeedStrategy.Pipelined });
        return layers
            ? plan with
            {
                Layers = [new("sha256:a", 100 << 20), new("sha256:b", 300 << 20), new("sha256:c", 2000L << 20), new("sha256:d", 50 << 20)],
                NodeBandwidthMBps = 100,
                RegistryBandwidthMBps = 40,
            }
            : plan;
    }

    sealed record Outcome(List<string> Violations, DeployAction? Deploy, AbortAction? Abort, int Starts, int Cancels, int Failures, List<SeedDecision> Decisions, List<StartSeedsAction> StartActions);

    /// <summary>
    /// Drives the policy: each pull takes 10-120 s (stragglers 5,000 s), fails when <paramref name="fails"/> says so,
    /// and reports its layers at even fractions of its duration when the plan lists them. Ticks at every WakeUpAt.
    /// Checks the invariants from its own bookkeeping.
    /// </summary>
    static Outcome Drive(SeedPlan plan, int seed, Func<string, bool> fails, Func<string, bool> straggles)
    {
        var rng = new Random(seed);
        var queue = new PriorityQueue<SeedEvent, (long, long)>();
        long seq = 0;
        var v = new List<string>();
        var eligible = plan.Eligible.ToHashSet(StringComparer.Ordinal);
        var started = new HashSet<string>(StringComparer.Ordinal);
        var running = new HashSet<string>(StringComparer.Ordinal);
        var seeded = new HashSet<string>(plan.AlreadySeeded, StringComparer.Ordinal);
        var target = SeedTargets.StopTarget(plan.Eligible.Count, plan.Options.PipelinedStopRatio);
        DeployAction? deploy = null;
        AbortAction? abort = null;
        int starts = 0, cancels = 0, failures = 0;
        var decisions = new List<SeedDecision>();
        var startActions = new List<StartSeedsAction>();
        DateTimeOffset? tickAt = null;

        void Apply(SeedStep step, DateTimeOffset now)
        {
            decisions.AddRange(step.Decisions);
            foreach (var action in step.Actions)
            {
                if (deploy is not null || abort is not null) v.Add($"{action} after the end");
                switch (action)
                {
                    case StartSeedsAction s:
                        startActions.Add(s);
                        if (s.Source != SeedSource.Registry && plan.Layers is null && seeded.Count == 0) v.Add($"follower {string.Join(",", s.Nodes)} started before any node held the image");
                        foreach (var n in s.Nodes)
                        {
                            starts++;
                            if (!eligible.Contains(n)) v.Add($"ineligible {n}");
                            if (plan.AlreadySeeded.Contains(n)) v.Add($"already seeded {n}");
                            if (!started.Add(n)) v.Add($"started twice {n}");
                            running.Add(n);
                            var d = straggles(n) ? 5000 : 10 + rng.NextDouble() * 110;
                            if (fails(n))
                            {
                                queue.Enqueue(new SeedFailedEvent(now.AddSeconds(d / 2), n, "ErrImagePull", n.EndsWith('2')), (now.AddSeconds(d / 2).Ticks, ++seq));
                            }
                            else
                            {
                                if (plan.Layers is { } layers)
                                {
                                    for (var i = 0; i < layers.Count; i++)
                                    {
                                        var at = now.AddSeconds(d * (i + 1) / (layers.Count + 1));
                                        queue.Enqueue(new SeedLayerCompletedEvent(at, n, layers[i].Digest, layers[i].SizeBytes, i > 0), (at.Ticks, ++seq));
                                    }
                                }
                                queue.Enqueue(new SeedCompletedEvent(now.AddSeconds(d), n, TimeSpan.FromSeconds(d), 1), (now.AddSeconds(d).Ticks, ++seq));
                            }
                        }
                        if (seeded.Count + running.Count > Math.Max(target, plan.AlreadySeeded.Count)) v.Add($"seeded {seeded.Count} + running {running.Count} > target {target}");
                        break;
                    case CancelSeedsAction c:
                        foreach (var n in c.Nodes)
                        {
                            cancels++;
                            if (!running.Remove(n)) v.Add($"cancelled {n}, which was not running");
                        }
                        break;
                    case DeployAction d:
                        deploy = d;
                        if (running.Count > 0) v.Add($"deploy with {running.Count} running");
                        break;
                    case AbortAction a:
                        abort = a;
                        break;
                }
            }
            if (step.State.WakeUpAt is { } w && !step.State.Finished && w != tickAt)
            {
                if (w < now) v.Add($"wake-up {w} in the past");
                tickAt = w;
                queue.Enqueue(new TickEvent(w), (w.Ticks, ++seq));
            }
        }

        var step = Policy.Begin(plan, T0);
        Apply(step, T0);
        var guard = 0;
        while (!step.State.Finished && queue.TryDequeue(out var e, out _))
        {
            if (++guard > 100_000) { v.Add("did not finish"); break; }
            if (e is SeedCompletedEvent or SeedFailedEvent or SeedLayerCompletedEvent)
            {
                var node = e switch { SeedCompletedEvent c => c.Node, SeedFailedEvent f => f.Node, SeedLayerCompletedEvent l => l.Node, _ => "" };
                if (!running.Contains(node)) continue; // cancelled: the executor sends nothing more about it
                if (e is SeedCompletedEvent) { running.Remove(node); seeded.Add(node); }
                if (e is SeedFailedEvent) { running.Remove(node); failures++; }
            }
            step = Policy.Next(step.State, e);
            Apply(step, e.At);
        }
        if (!step.State.Finished) v.Add("never finished");
        if ((deploy is null) == (abort is null)) v.Add("not exactly one of Deploy and Abort");
        if (abort is not null && failures <= plan.Options.MaxFailedSeeds) v.Add($"abort with {failures} failures");
        if (deploy is not null && seeded.Count < target && started.Count < plan.Eligible.Count - plan.AlreadySeeded.Count) v.Add($"deploy with {seeded.Count} of {target} seeded while nodes were left");
        return new Outcome(v, deploy, abort, starts, cancels, failures, decisions, startActions);
    }

    public static IEnumerable<object[]> Cases()
    {
        foreach (var n in new[] { 1, 2, 3, 7, 16, 33, 64, 150 })
        foreach (var cls in new[] { ClusterNetworkClass.Private, ClusterNetworkClass.Mixed, ClusterNetworkClass.Public })
        foreach (var someSeeded in new[] { false, true })
        foreach (var layers in new[] { false, true })
            yield return [n, cls, someSeeded, layers];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void InvariantsHold(int n, ClusterNetworkClass cls, bool someSeeded, bool layers)
    {
        foreach (var (fails, straggles, ratio) in new (Func<string, bool>, Func<string, bool>, double)[]
        {
            (_ => false, _ => false, 1),
            (x => SeedPolicyPropertyTests.Index(x) % 13 == 5, x => SeedPolicyPropertyTests.Index(x) % 11 == 3, 1),
            (x => SeedPolicyPropertyTests.Index(x) % 3 == 1, _ => false, 0.6),
            (_ => false, x => SeedPolicyPropertyTests.Index(x) % 5 == 0, 0.3),
        })
        {
            var plan = Plan(n, cls, someSeeded, new SeedPolicyOptions { PipelinedStopRatio = ratio }, layers);
            var run = Drive(plan, n, fails, straggles);
            Assert.True(run.Violations.Count == 0, $"N={n} {cls} seeded={someSeeded} layers={layers} ratio={ratio}: " + string.Join("; ", run.Violations));
        }
    }

    [Theory]
    [InlineData(7)]
    [InlineData(33)]
    [InlineData(150)]
    public void InvariantsHoldWithAPlannedSchedule(int n)
    {
        // More or fewer planned starts than followers, some due at once, with failures and stragglers.
        var offsets = Enumerable.Range(0, n / 2).Select(i => 3.0 * (i / 3)).ToList();
        foreach (var (fails, straggles) in new (Func<string, bool>, Func<string, bool>)[]
        {
            (_ => false, _ => false),
            (x => SeedPolicyPropertyTests.Index(x) % 7 == 2, x => SeedPolicyPropertyTests.Index(x) % 11 == 3),
        })
        {
            var plan = Plan(n, ClusterNetworkClass.Private, false, layers: true) with { FollowerStartOffsets = offsets };
            var run = Drive(plan, n, fails, straggles);
            Assert.Empty(run.Violations);
        }
    }

    [Fact]
    public void PlannedStartsReplaceTheGatesUntilEveryLayerIsHeld()
    {
        var plan = Plan(10, ClusterNetworkClass.Private, false, layers: true) with { FollowerStartOffsets = [40, 20, 20] };
        var step = Policy.Begin(plan, T0);
        Assert.Contains(step.Decisions, d => d.Narrative.Contains("3 follower start(s) planned in the transfer model, from +20 s to +40 s", StringComparison.Ordinal));
        var lane = Assert.Single(step.Actions.OfType<StartSeedsAction>());
        Assert.True(step.State.WakeUpAt <= T0.AddSeconds(20), $"wake-up {step.State.WakeUpAt} after the first planned start"); // a straggler check or the planned start
        step = Policy.Next(step.State, new TickEvent(T0.AddSeconds(19)));
        Assert.Empty(step.Actions.OfType<StartSeedsAction>()); // nothing held yet, and the rules would not allow it either
        step = Policy.Next(step.State, new TickEvent(T0.AddSeconds(20)));
        var two = Assert.Single(step.Actions.OfType<StartSeedsAction>());
        Assert.Equal(2, two.Nodes.Count);
        Assert.Contains(step.Decisions, d => d.Narrative.Contains("planned starts 1-2 of 3 at +20 s", StringComparison.Ordinal));
        Assert.True(step.State.WakeUpAt <= T0.AddSeconds(40), $"wake-up {step.State.WakeUpAt} after the next planned start");
        step = Policy.Next(step.State, new TickEvent(T0.AddSeconds(40)));
        Assert.Single(Assert.Single(step.Actions.OfType<StartSeedsAction>()).Nodes);
        // the schedule is used up: the rules decide again (every layer held by the registry lane's node feeds one newcomer)
        var s = (PipelinedRunState)step.State;
        Assert.False(s.FollowsSchedule);
        step = Policy.Next(s, new SeedCompletedEvent(T0.AddSeconds(100), lane.Nodes[0], TimeSpan.FromSeconds(100), 1));
        Assert.DoesNotContain(step.Decisions, d => d.Narrative.Contains("planned start", StringComparison.Ordinal));
    }

    [Fact]
    public void ThePreviewShowsThePlannedStarts()
    {
        var plan = Plan(10, ClusterNetworkClass.Private, false, layers: true) with { FollowerStartOffsets = [40, 20, 20] };
        var waves = Policy.PreviewWaves(plan);
        Assert.Equal([1, 2, 1], waves.Take(3).Select(w => w.Count));        // the registry lane, then the planned groups
        Assert.Equal(10, waves.Sum(w => w.Count));                             // then the rules seed the rest
        Assert.Equal(plan.Eligible.Count, waves.SelectMany(w => w).Distinct().Count());
        var unplanned = Policy.PreviewWaves(plan with { FollowerStartOffsets = null });
        Assert.NotEqual(waves.Select(w => w.Count), unplanned.Select(w => w.Count));
    }

    [Fact]
    public void APlannedScheduleStopsDecidingOnceEveryLayerIsHeld()
    {
        var plan = Plan(10, ClusterNetworkClass.Private, false, layers: true) with { FollowerStartOffsets = [500, 600] };
        var step = Policy.Begin(plan, T0);
        var lane = Assert.Single(step.Actions.OfType<StartSeedsAction>()).Nodes[0];
        step = Policy.Next(step.State, new SeedCompletedEvent(T0.AddSeconds(100), lane, TimeSpan.FromSeconds(100), 1));
        Assert.False(((PipelinedRunState)step.State).FollowsSchedule);
        Assert.Single(Assert.Single(step.Actions.OfType<StartSeedsAction>()).Nodes); // started by the fan-out rule, long before +500 s
        Assert.DoesNotContain(step.Decisions, d => d.Narrative.Contains("planned start", StringComparison.Ordinal));
    }

    [Fact]
    public void APlannedScheduleKeepsItsTimesWhenEveryLayerArrivesAsPlanned()
    {
        // The plan expected the registry's copy at +100 s and it came then: the followers left start at their planned
        // times (+150 s, +600 s), not all at once by the fan-out rule, while a pull is under way to stagger them against.
        var plan = Plan(10, ClusterNetworkClass.Private, false, layers: true) with { FollowerStartOffsets = [50, 150, 600], FirstCopySeconds = 100 };
        var step = Policy.Begin(plan, T0);
        var lane = Assert.Single(step.Actions.OfType<StartSeedsAction>()).Nodes[0];
        step = Policy.Next(step.State, new TickEvent(T0.AddSeconds(50)));
        var first = Assert.Single(Assert.Single(step.Actions.OfType<StartSeedsAction>()).Nodes);
        var afterFirst = step.State;
        step = Policy.Next(afterFirst, new SeedCompletedEvent(T0.AddSeconds(100), lane, TimeSpan.FromSeconds(100), 1));
        var state = (PipelinedRunState)step.State;
        Assert.True(state.FollowsSchedule);
        Assert.True(state.ScheduleOutlastsCopy);
        Assert.Empty(step.Actions.OfType<StartSeedsAction>());
        Assert.Contains(step.Decisions, d => d.Kind == "Schedule" && d.Narrative.Contains("as the plan expected (+100 s): the 2 planned start(s) left keep their times", StringComparison.Ordinal));
        Assert.NotNull(state.WakeUpAt);
        var atPlan = Policy.Next(step.State, new TickEvent(T0.AddSeconds(150)));
        Assert.Single(Assert.Single(atPlan.Actions.OfType<StartSeedsAction>()).Nodes);
        Assert.True(atPlan.Decisions.Any(d => d.Narrative.Contains("planned start 2 of 3 at +150 s", StringComparison.Ordinal)), string.Join(" | ", atPlan.Decisions.Select(d => d.Narrative)));

        // Once nothing is pulling, the planned times would wait for nothing: the rules start the followers left.
        var idle = Policy.Next(step.State, new SeedCompletedEvent(T0.AddSeconds(120), first, TimeSpan.FromSeconds(70), 2));
        Assert.False(((PipelinedRunState)idle.State).FollowsSchedule);
        Assert.NotEmpty(Assert.Single(idle.Actions.OfType<StartSeedsAction>()).Nodes);
        Assert.True(idle.Decisions.Any(d => d.Kind == "Schedule" && d.Narrative.Contains("nothing is pulling", StringComparison.Ordinal)), string.Join(" | ", idle.Decisions.Select(d => d.Narrative)));
    }

    [Fact]
    public void AFasterRegistryThanPlannedHandsTheFollowersLeftToTheRules()
    {
        // The copy came at +100 s where the plan expected +200 s: waiting for +500 s would wait for nothing.
        var plan = Plan(10, ClusterNetworkClass.Private, false, layers: true) with { FollowerStartOffsets = [500, 600], FirstCopySeconds = 200 };
        var step = Policy.Begin(plan, T0);
        var lane = Assert.Single(step.Actions.OfType<StartSeedsAction>()).Nodes[0];
        step = Policy.Next(step.State, new SeedCompletedEvent(T0.AddSeconds(100), lane, TimeSpan.FromSeconds(100), 1));
        var state = (PipelinedRunState)step.State;
        Assert.False(state.FollowsSchedule);
        Assert.False(state.ScheduleOutlastsCopy);
        Assert.Single(Assert.Single(step.Actions.OfType<StartSeedsAction>()).Nodes);
        Assert.Contains(step.Decisions, d => d.Kind == "Schedule" && d.Narrative.Contains("before the plan expected it (+200 s): the registry is faster than given", StringComparison.Ordinal));
    }

    [Fact]
    public void WithoutLayersItDoublesOnCompletionsWithoutWaitingForAWave()
    {
        var plan = Plan(40, ClusterNetworkClass.Private, false);
        var step = Policy.Begin(plan, T0);
        var first = Assert.Single(step.Actions.OfType<StartSeedsAction>());
        Assert.Equal(SeedSource.Registry, first.Source);
        Assert.Single(first.Nodes); // one node keeps the registry busy
        var s = step.State;
        step = Policy.Next(s, new SeedCompletedEvent(T0.AddSeconds(100), first.Nodes[0], TimeSpan.FromSeconds(100), 1));
        var second = Assert.Single(step.Actions.OfType<StartSeedsAction>());
        Assert.Single(second.Nodes); // one holder feeds one newcomer (UploadFanOut 1)
        // second completes: 2 holders, nothing running: 2 more start at once
        step = Policy.Next(step.State, new SeedCompletedEvent(T0.AddSeconds(180), second.Nodes[0], TimeSpan.FromSeconds(80), 1));
        var third = Assert.Single(step.Actions.OfType<StartSeedsAction>());
        Assert.Equal(2, third.Nodes.Count);
        // one of those completes while the other still runs: no barrier, two more start right away
        step = Policy.Next(step.State, new SeedCompletedEvent(T0.AddSeconds(250), third.Nodes[0], TimeSpan.FromSeconds(70), 1));
        Assert.Equal(2, Assert.Single(step.Actions.OfType<StartSeedsAction>()).Nodes.Count);
        Assert.Equal(plan.Eligible.Count, ((PipelinedRunState)step.State).Target);
    }

    [Fact]
    public void AFanOutOfTwoStartsTwoPerHolder()
    {
        var plan = Plan(40, ClusterNetworkClass.Private, false, new SeedPolicyOptions { UploadFanOut = 2 });
        var step = Policy.Begin(plan, T0);
        var first = step.Actions.OfType<StartSeedsAction>().Single();
        step = Policy.Next(step.State, new SeedCompletedEvent(T0.AddSeconds(100), first.Nodes[0], TimeSpan.FromSeconds(100), 1));
        Assert.Equal(2, step.Actions.OfType<StartSeedsAction>().Single().Nodes.Count);
    }

    [Fact]
    public void RegistryAndNodeBandwidthSizeTheRegistryLane()
    {
        var plan = Plan(40, ClusterNetworkClass.Private, false) with { RegistryBandwidthMBps = 1000, NodeBandwidthMBps = 300 };
        var step = Policy.Begin(plan, T0);
        Assert.Equal(4, step.Actions.OfType<StartSeedsAction>().Single().Nodes.Count); // ceil(1000 / 300)
        Assert.Contains(step.Decisions, d => d.Narrative.Contains("4 node(s) keep the registry busy", StringComparison.Ordinal));
    }

    [Fact]
    public void WithLayerEventsAFollowerStartsBeforeTheFirstCopyCompletes()
    {
        // 4 layers, 2.4 GB at 40 MB/s from the registry (~61 s); a follower at 100 MB/s needs ~25 s
        var plan = Plan(10, ClusterNetworkClass.Private, false, layers: true);
        var step = Policy.Begin(plan, T0);
        var first = step.Actions.OfType<StartSeedsAction>().Single().Nodes[0];
        step = Policy.Next(step.State, new SeedLayerCompletedEvent(T0.AddSeconds(8), first, "sha256:a", 100 << 20));
        Assert.Empty(step.Actions.OfType<StartSeedsAction>()); // too early: it would ask the registry for layers nobody has
        step = Policy.Next(step.State, new SeedLayerCompletedEvent(T0.AddSeconds(14), first, "sha256:b", 300 << 20));
        step = Policy.Next(step.State, new SeedLayerCompletedEvent(T0.AddSeconds(60), first, "sha256:c", 2000L << 20));
        var follower = step.Actions.OfType<StartSeedsAction>().Single();
        Assert.Equal(SeedSource.Unknown, follower.Source);
        Assert.Contains(step.Decisions, d => d.Kind == "Wave" && d.BandwidthMBps > 0 && d.Narrative.Contains("s to spare", StringComparison.Ordinal));
    }

    [Fact]
    public void WithoutBandwidthsItLearnsThemFromItsPullsAndStartsTheNextNodesBeforeTheirFeedersComplete()
    {
        var plan = Plan(40, ClusterNetworkClass.Private, false, layers: true) with { NodeBandwidthMBps = null, RegistryBandwidthMBps = null };
        var step = Policy.Begin(plan, T0);
        var first = step.Actions.OfType<StartSeedsAction>().Single().Nodes[0];
        step = Policy.Next(step.State, new SeedCompletedEvent(T0.AddSeconds(100), first, TimeSpan.FromSeconds(100), 1));
        var second = step.Actions.OfType<StartSeedsAction>().Single().Nodes.Single();
        Assert.Null(PipelinedSeedPolicy.NodeMBps((PipelinedRunState)step.State)); // the registry-lane pull says nothing about peers
        // the follower took 85 s, 80 s after its start latency: 2,450 MB / 80 s
        step = Policy.Next(step.State, new SeedCompletedEvent(T0.AddSeconds(185), second, TimeSpan.FromSeconds(85), 1));
        Assert.Equal(2450 / 80.0, PipelinedSeedPolicy.NodeMBps((PipelinedRunState)step.State)!.Value, 6);
        var pair = step.Actions.OfType<StartSeedsAction>().Single().Nodes;
        Assert.Equal(2, pair.Count);
        // the pair should complete at 185 + 5 + 80 = 270 s; the next nodes are due 5 s (the start latency) before
        DateTimeOffset wake;
        do
        {
            wake = step.State.WakeUpAt!.Value; // straggler checks every 15 s, and the predicted times
            step = Policy.Next(step.State, new TickEvent(wake));
        }
        while (!step.Actions.OfType<StartSeedsAction>().Any() && wake < T0.AddSeconds(300));
        Assert.Equal(T0.AddSeconds(265), wake);
        Assert.Equal(4, step.Actions.OfType<StartSeedsAction>().Single().Nodes.Count);
        Assert.Contains(step.Decisions, d => d.Narrative.Contains("2 about to complete", StringComparison.Ordinal));
    }

    [Fact]
    public void AStragglerIsCancelledAndReplaced()
    {
        var plan = Plan(20, ClusterNetworkClass.Private, false, new SeedPolicyOptions { StragglerMinimum = TimeSpan.FromSeconds(30) });
        var run = Drive(plan, 3, _ => false, x => x == plan.Eligible[2]);
        Assert.Empty(run.Violations);
        Assert.Equal(1, run.Cancels);
        Assert.Contains(run.Decisions, d => d.Kind == "Straggler" && d.Narrative.Contains(plan.Eligible[2], StringComparison.Ordinal));
        Assert.NotNull(run.Deploy);
        Assert.Equal(plan.Eligible.Count, run.Starts); // the straggler's replacement took the last unused node
        Assert.Contains("unreachable", run.Deploy!.Reason, StringComparison.Ordinal); // 19 of 20: the cancelled node gets the image with the workload
    }

    [Fact]
    public void TooManyFailuresAbort()
    {
        var plan = Plan(30, ClusterNetworkClass.Private, false, new SeedPolicyOptions { MaxFailedSeeds = 2 });
        var run = Drive(plan, 5, _ => true, _ => false);
        Assert.Empty(run.Violations);
        Assert.NotNull(run.Abort);
        Assert.Equal(3, run.Failures);
    }

    [Fact]
    public void AlreadySeededNodesFeedTheFirstFollowers()
    {
        var plan = Plan(40, ClusterNetworkClass.Private, true);
        Assert.NotEmpty(plan.AlreadySeeded);
        var step = Policy.Begin(plan, T0);
        var start = step.Actions.OfType<StartSeedsAction>().Single();
        Assert.Equal(SeedSource.Peers, start.Source); // no registry lane: every layer is in the cluster
        Assert.Equal(plan.AlreadySeeded.Count, start.Nodes.Count);
    }

    [Fact]
    public void PreviewShowsTheStartsAndThePlanShowsItsTarget()
    {
        var plan = Plan(10, ClusterNetworkClass.Private, false);
        Assert.Equal(10, plan.Eligible.Count);
        Assert.Equal(10, plan.Target); // Pipelined's own stop ratio (1) sizes the plan
        var waves = Policy.PreviewWaves(plan);
        Assert.Equal([1, 1, 2, 2, 2, 2], waves.Select(w => w.Count)); // each completion frees its feeder and adds a holder
        Assert.Equal(10, waves.SelectMany(w => w).Distinct().Count());
        Assert.Equal(5, Plan(10, ClusterNetworkClass.Private, false, new SeedPolicyOptions { PipelinedStopRatio = 0.5 }).Target);
    }

    [Fact]
    public void DoublingAndAdaptiveAreUnchanged()
    {
        Assert.Equal("Doubling", SeedPolicies.For(SeedStrategy.Doubling).Name);
        Assert.Equal("Adaptive", SeedPolicies.For(SeedStrategy.Adaptive).Name);
        var eligibility = Eligibility.Evaluate(SeedPolicyPropertyTests.Nodes(40, ClusterNetworkClass.Private, false), WorkloadPlacement.Anywhere, ["linux/amd64"], null);
        var plan = SeedPlanner.Create(eligibility, new SeedPolicyOptions { Strategy = SeedStrategy.Doubling });
        Assert.Equal(SeedTargets.StopTarget(eligibility.Eligible.Count, 0.5), plan.Target);
        var waves = SeedPolicies.For(SeedStrategy.Doubling).PreviewWaves(plan).Select(w => w.Count).ToList();
        Assert.Equal(plan.InitialSeeds, waves[0]);
        Assert.Equal(2 * waves[0], waves[1]);
        Assert.Equal(plan.Target, waves.Sum());
        Assert.Throws<ArgumentException>(() => Policy.Next(SeedPolicies.For(SeedStrategy.Doubling).Begin(plan, T0).State, new TickEvent(T0)));
    }

    [Fact]
    public void InvalidOptionsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SeedPolicyOptions { UploadFanOut = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new SeedPolicyOptions { PipelinedStopRatio = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new SeedPolicyOptions { StragglerFactor = 1 }.Validate());
        _ = CultureInfo.InvariantCulture;
    }
}
