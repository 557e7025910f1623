using ClydePS.Engine.Probe;
using ClydePS.Engine.Seeding;

namespace ClydePS.Engine.Tests.Seeding;

/// <summary>Named behaviours of the Doubling and Adaptive policies, each with exact expectations.</summary>
public sealed class SeedPolicyScenarioTests
{
    static readonly DateTimeOffset T0 = FakeSeedDriver.T0;

    static SeedPlan Plan(int n, SeedPolicyOptions options, NetworkClass net = NetworkClass.Private, int holding = 0)
    {
        var nodes = Enumerable.Range(0, n)
            .Select(i => EligibilityTests.Node($"node-{i:000}", net: net, zone: $"z{i % 2}", holds: i < holding))
            .ToList();
        return SeedPlanner.Create(Eligibility.Evaluate(nodes, WorkloadPlacement.Anywhere, [], null), options);
    }

    static FakeRun Drive(SeedPlan plan, FakeNetwork network, double minPull = 100, double maxPull = 120, Func<string, bool>? fails = null) =>
        new FakeSeedDriver().Run(SeedPolicies.For(plan.Options.Strategy), plan, new FakeScenario(42, network, fails ?? (_ => false), minPull, maxPull));

    static List<StartSeedsAction> Starts(FakeRun run) => run.Actions.Select(a => a.Action).OfType<StartSeedsAction>().ToList();

    [Fact]
    public void HealthyWindowsExpandFromTheRegistryWhileUnhealthyOnesStopMonitoring()
    {
        var plan = Plan(100, new SeedPolicyOptions { InitialSeeds = 4 }); // target 50
        var healthy = Drive(plan, FakeNetwork.Healthy);
        var unhealthy = Drive(plan, FakeNetwork.Unhealthy);
        Assert.Empty(healthy.Violations);
        Assert.Empty(unhealthy.Violations);

        // Healthy: at 20 s, 40 s, 60 s a wave of twice the last one starts from the registry while wave 1 still runs,
        // capped so seeded + running stays at the target of 50: 4, 8, 16, then 22.
        var expansions = healthy.Waves.Where(w => w.WhileProbing).ToList();
        Assert.Equal([8, 16, 22], expansions.Select(w => w.Size));
        Assert.All(expansions, w => Assert.Equal(SeedSource.Registry, w.Source));
        Assert.Equal([T0.AddSeconds(20), T0.AddSeconds(40), T0.AddSeconds(60)], expansions.Select(w => w.At));
        var firstWindow = healthy.Decisions.First(d => d.Kind == "Window");
        Assert.Equal("Healthy", firstWindow.Verdict);
        Assert.EndsWith("network healthy, add another seed wave from the source (wave 2: 8 nodes)", firstWindow.Narrative);
        Assert.InRange(firstWindow.BandwidthMBps!.Value, 60, 120);
        Assert.True(firstWindow.SuccessfulSamples >= 3);

        // Unhealthy: the first window stops monitoring for good; the next wave waits for wave 1 (barrier).
        var window = Assert.Single(unhealthy.Decisions, d => d.Kind == "Window");
        Assert.Equal("Unhealthy", window.Verdict);
        Assert.Contains("network unhealthy", window.Narrative);
        Assert.Contains(unhealthy.Actions, a => a.Action is StopProbesAction && a.At == T0.AddSeconds(20));
        Assert.DoesNotContain(unhealthy.Waves, w => w.WhileProbing);
        Assert.Equal([4, 8, 16, 22], unhealthy.Waves.Select(w => w.Size));
        Assert.All(unhealthy.Waves.Skip(1), w => Assert.Equal(0, w.RunningBefore));
        Assert.NotEqual(healthy.Transcript(), unhealthy.Transcript());
        Assert.NotNull(healthy.Deploy);
        Assert.NotNull(unhealthy.Deploy);
    }

    [Fact]
    public void UndecidedWindowsAreRetriedThreeTimesThenCountAsUnhealthy()
    {
        var plan = Plan(100, new SeedPolicyOptions { InitialSeeds = 4 });
        var run = Drive(plan, FakeNetwork.Silent, minPull: 200, maxPull: 220);
        Assert.Empty(run.Violations);
        var windows = run.Decisions.Where(d => d.Kind == "Window").ToList();
        Assert.Equal(4, windows.Count);
        Assert.All(windows, w => Assert.Equal("Undecided", w.Verdict));
        Assert.Contains("retry 1 of 3", windows[0].Narrative);
        Assert.Contains("retry 3 of 3", windows[2].Narrative);
        Assert.Contains("counts as unhealthy", windows[3].Narrative);
        Assert.Equal(0, windows[0].SuccessfulSamples);
        Assert.True(windows[0].Samples > 0);
        var probes = Assert.Single(run.Actions.Select(a => a.Action).OfType<StartProbesAction>());
        Assert.Equal(TimeSpan.FromSeconds(80), probes.MaxDuration);
        Assert.Equal(TimeSpan.FromSeconds(2), probes.Interval);
        Assert.DoesNotContain(run.Waves, w => w.WhileProbing);
    }

    [Fact]
    public void MonitoringStopsWhenTheFirstWaveCompletes()
    {
        var plan = Plan(100, new SeedPolicyOptions { InitialSeeds = 4 });
        var run = Drive(plan, FakeNetwork.Healthy, minPull: 5, maxPull: 10);
        Assert.Empty(run.Violations);
        Assert.DoesNotContain(run.Decisions, d => d.Kind == "Window");
        Assert.Contains(run.Decisions, d => d.Kind == "Monitoring" && d.Narrative.Contains("the first seed wave completed"));
        var stop = run.Actions.FindIndex(a => a.Action is StopProbesAction);
        var wave2 = run.Actions.FindIndex(a => a.Action is StartSeedsAction { Wave: 2 });
        Assert.True(stop >= 0 && stop < wave2);
        Assert.Equal([4, 8, 16, 22], run.Waves.Select(w => w.Size));
    }

    [Fact]
    public void ProbesEndingEndsMonitoringWithAReason()
    {
        var policy = SeedPolicies.For(SeedStrategy.Adaptive);
        var plan = Plan(20, new SeedPolicyOptions());
        var begin = policy.Begin(plan, T0);
        Assert.Equal(T0.AddSeconds(20), begin.State.WakeUpAt);
        var step = policy.Next(begin.State, new ProbesEndedEvent(T0.AddSeconds(5), "probe pod on node-019 failed: ImagePullBackOff"));
        Assert.Contains(step.Actions, a => a is StopProbesAction);
        Assert.Contains(step.Decisions, d => d.Kind == "Monitoring" && d.Narrative.Contains("ImagePullBackOff"));
        Assert.Null(step.State.WakeUpAt);
        // A later sample or tick changes nothing.
        var later = policy.Next(step.State, new TickEvent(T0.AddSeconds(20)));
        Assert.Empty(later.Actions);
        Assert.Empty(later.Decisions);
    }

    [Fact]
    public void NarrativeReadsLikeClydectl()
    {
        var policy = SeedPolicies.For(SeedStrategy.Adaptive);
        var plan = Plan(40, new SeedPolicyOptions { InitialSeeds = 2 }); // target 20
        var step = policy.Begin(plan, T0);
        var probers = step.Actions.OfType<StartProbesAction>().Single().Nodes;
        // 250 samples in the window: 249 at 63 MB/s with ttfb alternating 10 / 22 ms (jitter 12), one dropped (0.4 %).
        for (var i = 0; i < 250; i++)
        {
            var prober = probers[i % 2];
            var at = T0.AddMilliseconds(50 * i);
            var sample = i == 249
                ? ProbeMetrics.Sample(prober, at, 0, 0, 1, null, "timeout")
                : ProbeMetrics.Sample(prober, at, 206, 63L * 1_048_576, 1, i / 2 % 2 == 0 ? 10 : 22, null);
            step = policy.Next(step.State, new ProbeSampleEvent(at, sample));
        }
        step = policy.Next(step.State, new TickEvent(T0.AddSeconds(20)));
        var window = Assert.Single(step.Decisions, d => d.Kind == "Window");
        Assert.Equal("window 1: 63.0 >= 50 true; 12.0 <= 20 true; 0.4 <= 1 true: network healthy, add another seed wave from the source (wave 2: 4 nodes)", window.Narrative);
        Assert.Equal((250, 249, "Healthy"), (window.Samples, window.SuccessfulSamples, window.Verdict));
        var wave2 = Assert.Single(step.Actions.OfType<StartSeedsAction>());
        Assert.Equal((2, 4, SeedSource.Registry), (wave2.Wave, wave2.Nodes.Count, wave2.Source));
        Assert.Equal(T0.AddSeconds(40), step.State.WakeUpAt);
    }

    [Fact]
    public void ProbesRunOnOtherNodesAndOnSeedNodesOnlyWhenTooFewOthersExist()
    {
        var policy = SeedPolicies.For(SeedStrategy.Adaptive);
        var many = policy.Begin(Plan(20, new SeedPolicyOptions { InitialSeeds = 2 }), T0);
        var wave1 = many.Actions.OfType<StartSeedsAction>().Single().Nodes;
        var probes = many.Actions.OfType<StartProbesAction>().Single().Nodes;
        Assert.Equal(2, probes.Count);
        Assert.Empty(probes.Intersect(wave1));

        // Two eligible nodes, both needed: one seeds, the other probes, and the seed node makes the second prober.
        var few = policy.Begin(Plan(2, new SeedPolicyOptions { InitialSeeds = 1, StopRatio = 1 }), T0);
        var seed = few.Actions.OfType<StartSeedsAction>().Single().Nodes.Single();
        var fewProbes = few.Actions.OfType<StartProbesAction>().Single().Nodes;
        Assert.Equal(2, fewProbes.Count);
        Assert.Equal(seed, fewProbes[1]);
        Assert.NotEqual(seed, fewProbes[0]);

        // Nodes already holding the image probe first: they pull nothing.
        var held = policy.Begin(Plan(20, new SeedPolicyOptions(), holding: 1), T0);
        Assert.Equal("node-000", held.Actions.OfType<StartProbesAction>().Single().Nodes[0]);
    }

    [Fact]
    public void AlreadySeededNodesCountTowardTheTargetAndAreNeverPulled()
    {
        foreach (var strategy in new[] { SeedStrategy.Doubling, SeedStrategy.Adaptive })
        {
            var policy = SeedPolicies.For(strategy);
            var done = policy.Begin(Plan(10, new SeedPolicyOptions { Strategy = strategy }, holding: 5), T0);
            Assert.True(done.State.Finished);
            var deploy = Assert.IsType<DeployAction>(Assert.Single(done.Actions));
            Assert.Contains("stop target reached", deploy.Reason);

            var plan = Plan(10, new SeedPolicyOptions { Strategy = strategy, StopRatio = 1 }, holding: 3);
            var run = Drive(plan, FakeNetwork.Unhealthy, 5, 10);
            Assert.Empty(run.Violations);
            Assert.Equal(SeedSource.Unknown, run.Waves[0].Source); // peers may serve it
            Assert.Equal(7, run.Waves.Sum(w => w.Size));
        }
    }

    [Fact]
    public void DoublingWavesAreWaitedForAndDoubleUpToTheTarget()
    {
        var plan = Plan(40, new SeedPolicyOptions { Strategy = SeedStrategy.Doubling }); // target 20, initial 4
        var run = Drive(plan, FakeNetwork.Healthy, 5, 60);
        Assert.Empty(run.Violations);
        Assert.Equal([4, 8, 8], run.Waves.Select(w => w.Size));
        Assert.Equal([SeedSource.Registry, SeedSource.Unknown, SeedSource.Unknown], run.Waves.Select(w => w.Source));
        Assert.All(run.Waves.Skip(1), w => Assert.Equal(0, w.RunningBefore));
        Assert.Equal(0, run.ProbeStarts);
        Assert.Contains("stop target reached: 20 of 40", run.Deploy!.Reason);
        Assert.Equal(
            SeedPolicies.For(SeedStrategy.Doubling).PreviewWaves(plan).SelectMany(w => w),
            Starts(run).SelectMany(s => s.Nodes));
    }

    [Fact]
    public void PreviewShowsTheWavesInPickOrder()
    {
        var plan = Plan(40, new SeedPolicyOptions()); // Adaptive, private, target 20, initial 4
        var waves = SeedPolicies.For(SeedStrategy.Adaptive).PreviewWaves(plan);
        Assert.Equal([4, 8, 8], waves.Select(w => w.Count));
        Assert.Equal(plan.Eligible.Take(20), waves.SelectMany(w => w));
        Assert.Equal(waves, SeedPolicies.For(SeedStrategy.Doubling).PreviewWaves(plan));

        var publicPlan = Plan(40, new SeedPolicyOptions { PublicSeeds = 3 }, NetworkClass.Public);
        Assert.Equal([plan.Eligible.Take(3).ToList()], SeedPolicies.For(SeedStrategy.Adaptive).PreviewWaves(publicPlan));
        Assert.Empty(SeedPolicies.For(SeedStrategy.Adaptive).PreviewWaves(Plan(40, new SeedPolicyOptions(), NetworkClass.Public)));
    }

    [Fact]
    public void PublicClustersPreSeedThenDeployWithoutTheStopTarget()
    {
        var policy = SeedPolicies.For(SeedStrategy.Adaptive);
        var direct = policy.Begin(Plan(10, new SeedPolicyOptions(), NetworkClass.Public), T0);
        Assert.Contains("deploy directly", Assert.IsType<DeployAction>(Assert.Single(direct.Actions)).Reason);

        var plan = Plan(10, new SeedPolicyOptions { PublicSeeds = 8 }, NetworkClass.Public); // more than the target of 5
        var run = Drive(plan, FakeNetwork.Healthy, 5, 10);
        Assert.Empty(run.Violations);
        var wave = Assert.Single(run.Waves);
        Assert.Equal((8, SeedSource.Registry), (wave.Size, wave.Source));
        Assert.Equal(0, run.ProbeStarts);
        Assert.NotNull(run.Deploy);

        // Nodes already holding the image count toward -PublicSeeds, so a re-run resumes.
        var resumed = Drive(Plan(10, new SeedPolicyOptions { PublicSeeds = 8 }, NetworkClass.Public, holding: 6), FakeNetwork.Healthy, 5, 10);
        Assert.Equal(2, Assert.Single(resumed.Waves).Size);
    }

    [Fact]
    public void AFailedPullIsReplacedInTheSameWaveAndNeverRetried()
    {
        var plan = Plan(40, new SeedPolicyOptions { Strategy = SeedStrategy.Doubling }); // waves 4, 8, 8
        var firstNode = plan.Eligible[0];
        var run = Drive(plan, FakeNetwork.Healthy, 5, 60, n => n == firstNode);
        Assert.Empty(run.Violations);
        Assert.Equal(1, run.Replacements);
        var replacement = Starts(run).Single(s => s.Wave == 1 && s.Nodes.Count == 1);
        Assert.Equal(plan.Eligible[4], replacement.Nodes[0]); // the next unused node in pick order
        Assert.Contains(run.Decisions, d => d.Kind == "Failure" && d.Narrative.Contains($"replaced by {plan.Eligible[4]} in wave 1"));
        Assert.Equal(1, Starts(run).SelectMany(s => s.Nodes).Count(n => n == firstNode));
        Assert.Equal([4, 8, 8], run.Waves.Select(w => w.Size));
        Assert.Contains("stop target reached: 20 of 40", run.Deploy!.Reason);
    }

    [Fact]
    public void MoreThanMaxFailedSeedsAborts()
    {
        var plan = Plan(40, new SeedPolicyOptions { Strategy = SeedStrategy.Doubling, MaxFailedSeeds = 2 });
        var run = Drive(plan, FakeNetwork.Healthy, 5, 60, n => SeedPolicyPropertyTests.Index(n) % 2 == 0);
        Assert.Empty(run.Violations);
        Assert.NotNull(run.Abort);
        Assert.Null(run.Deploy);
        Assert.Equal(3, run.Failures);
        Assert.Contains("more than MaxFailedSeeds 2", run.Abort!.Reason);
        Assert.True(run.Final!.Aborted);

        // Exactly MaxFailedSeeds failures do not abort.
        var two = Drive(plan, FakeNetwork.Healthy, 5, 60, n => n == plan.Eligible[0] || n == plan.Eligible[1]);
        Assert.Empty(two.Violations);
        Assert.NotNull(two.Deploy);
    }

    [Fact]
    public void WithNoNodeLeftToReplaceFailuresItDeploysWhatItCouldSeed()
    {
        var plan = Plan(4, new SeedPolicyOptions { Strategy = SeedStrategy.Doubling, StopRatio = 1, InitialSeeds = 4 });
        var run = Drive(plan, FakeNetwork.Healthy, 5, 60, n => n == plan.Eligible[3]);
        Assert.Empty(run.Violations);
        Assert.Contains(run.Decisions, d => d.Kind == "Failure" && d.Narrative.Contains("no unused eligible node left to replace it"));
        Assert.Contains("unreachable", run.Deploy!.Reason);
        Assert.Contains("3 of 4 seeded", run.Deploy.Reason);
    }

    [Fact]
    public void FinishedStatesIgnoreEventsAndForeignStatesAreRejected()
    {
        var doubling = SeedPolicies.For(SeedStrategy.Doubling);
        var adaptive = SeedPolicies.For(SeedStrategy.Adaptive);
        var plan = Plan(10, new SeedPolicyOptions { Strategy = SeedStrategy.Doubling }, holding: 5);
        var done = doubling.Begin(plan, T0);
        var after = doubling.Next(done.State, new SeedCompletedEvent(T0, "node-009", TimeSpan.Zero, 0));
        Assert.Empty(after.Actions);
        Assert.Same(done.State, after.State);
        Assert.Throws<ArgumentException>(() => adaptive.Next(done.State, new TickEvent(T0)));
        Assert.Equal("Doubling", doubling.Name);
        Assert.Equal("Adaptive", adaptive.Name);

        // Events for nodes the policy never started are ignored.
        var begin = doubling.Begin(Plan(10, new SeedPolicyOptions { Strategy = SeedStrategy.Doubling }), T0);
        var stray = doubling.Next(begin.State, new SeedFailedEvent(T0, "node-009", "ErrImagePull", false));
        Assert.Empty(stray.Actions);
        Assert.Equal(0, ((SeedRunState)stray.State).Failures);
        Assert.Null(begin.State.WakeUpAt);
    }

    [Fact]
    public void ThePropertyRunsExerciseEveryPath()
    {
        var runs = Enumerable.Range(1, 60).Where(n => n % 3 == 0).SelectMany(SeedPolicyPropertyTests.Cases).Select(c => SeedPolicyPropertyTests.Run(c)).ToList();
        Assert.Contains(runs, r => r.Waves.Any(w => w.WhileProbing));
        Assert.Contains(runs, r => r.Replacements > 0);
        Assert.Contains(runs, r => r.Abort is not null);
        Assert.Contains(runs, r => r.Deploy?.Reason.Contains("unreachable") == true);
        Assert.Contains(runs, r => r.Decisions.Any(d => d.Narrative.Contains("retry 3 of 3")));
        Assert.Contains(runs, r => r.Decisions.Any(d => d.Kind == "Monitoring" && d.Narrative.Contains("probe pods ended")));
        Assert.Contains(runs, r => r.Decisions.Any(d => d.Narrative.Contains("no further wave fits")));
        Assert.Contains(runs, r => r.Decisions.Any(d => d.Narrative.Contains("public cluster")));
    }
}
