using ClydePS.Engine.Seeding.Simulation;
using ClydePS.Engine.Transfer;

namespace ClydePS.Engine.Tests.Seeding.Simulation;

/// <summary>The follower start planner: plans it returns hold in the model, it is deterministic, bounded, and says no when it has nothing to plan.</summary>
public sealed class StartSchedulePlannerTests
{
    const double GB = 1024d * 1024 * 1024;
    static readonly double ClydeRegistry = 32 * 18.6 * 1024 / 6600;
    static IReadOnlyList<TransferLayer> Equal(int count) => ImageLayering.Equal((long)(18.6 * GB), count);

    /// <summary>Runs a schedule at the given registry rate with node names unlike the planner's (another tie order among equal holders).</summary>
    static (double End, long RegistryBytes, long FollowerRegistryBytes) Replay(IReadOnlyList<TransferLayer> layers, IReadOnlyList<double> offsets, double registryMBps, Func<int, string>? names = null)
    {
        names ??= i => i == 0 ? "z-registry-lane" : $"a-{offsets.Count - i:000}";
        var net = new TransferNetwork(new TransferNetworkOptions { RegistryBandwidthMBps = registryMBps, PeerToPeer = true });
        for (var i = 0; i <= offsets.Count; i++) net.AddNode(names(i), 250);
        long follower = 0;
        net.LayerCompleted += e => { if (e.Peer is null && e.Node != names(0)) follower += e.SizeBytes; };
        var pulls = new List<PullHandle> { net.StartPull(names(0), layers) };
        for (var i = 0; i < offsets.Count; i++)
        {
            net.AdvanceTo(offsets[i]);
            pulls.Add(net.StartPull(names(i + 1), layers));
        }
        net.RunUntilIdle();
        return (pulls.Max(p => p.Completion.Result.EndTime), net.Stats.BytesFromRegistry, follower);
    }

    [Fact]
    public void ThePlanHoldsInTheModelWithoutASecondRegistryFetch()
    {
        var layers = Equal(40);
        var plan = StartSchedulePlanner.Plan(layers, ClydeRegistry, 250, 1, 31);
        Assert.NotNull(plan);
        Assert.Equal(31, plan.OffsetsSeconds.Count);
        Assert.Equal(plan.OffsetsSeconds.Order(), plan.OffsetsSeconds);
        var replay = Replay(layers, plan.OffsetsSeconds, ClydeRegistry);
        Assert.Equal(0, replay.FollowerRegistryBytes);
        Assert.Equal(layers.Sum(l => l.SizeBytes), replay.RegistryBytes);
        var firstCopy = layers.Sum(l => l.SizeBytes) / (ClydeRegistry * Bandwidth.BytesPerMB);
        // every node done within 1.4x the time the registry needs for one copy (the rules alone: about 2x), and the
        // outcome does not hang on node names (which holder a download picks among equals)
        Assert.InRange(replay.End, firstCopy, 1.4 * firstCopy);
        Assert.InRange(plan.PredictedSeconds, firstCopy, 1.4 * firstCopy);
        Assert.Equal(replay.End, Replay(layers, plan.OffsetsSeconds, ClydeRegistry, names: i => $"node-{i:0000}").End, 6);
    }

    [Fact]
    public void StartingEveryFollowerAtOnceIsWhatThePlanAvoids()
    {
        // the reason for planning: followers that start together move in lockstep through the one holder
        var layers = Equal(40);
        var together = Replay(layers, Enumerable.Repeat(150.0, 31).ToList(), ClydeRegistry);
        var plan = StartSchedulePlanner.Plan(layers, ClydeRegistry, 250, 1, 31)!;
        Assert.True(Replay(layers, plan.OffsetsSeconds, ClydeRegistry).End < 0.5 * together.End);
    }

    [Fact]
    public void TheSameInputGivesTheSamePlanWithinItsBudget()
    {
        var layers = Equal(20);
        var a = StartSchedulePlanner.Plan(layers, 100, 250, 1, 15, budget: 200_000)!;
        var b = StartSchedulePlanner.Plan(layers, 100, 250, 1, 15, budget: 200_000)!;
        Assert.Equal(a.OffsetsSeconds, b.OffsetsSeconds);
        Assert.Equal(a.PredictedSeconds, b.PredictedSeconds);
        Assert.InRange(a.Evaluations, 1, 200_000 / (2 * 16 * 20)); // each schedule runs twice
    }

    [Theory]
    [InlineData(1, 31)]   // one layer: nothing is shared before it completes
    [InlineData(40, 0)]   // no follower
    [InlineData(40, 65)]  // more than MaxFollowers
    public void NothingToPlan(int layers, int followers) =>
        Assert.Null(StartSchedulePlanner.Plan(Equal(layers), ClydeRegistry, 250, 1, followers));

    [Fact]
    public void ALargerClusterGetsItsFirstMaxFollowersPlanned()
    {
        // 100 nodes, all seeded before the DaemonSet (stop ratio 1): a registry lane of 1 and 99 followers, of which the
        // first 64 are planned; the rules start the rest once the plan is used up. The budget cannot pay for the whole
        // group grid at 64 followers, so a coarser grid leaves room for the finer searches.
        var plan = StartSchedulePlanner.ForRun(Equal(40), ClydeRegistry, 250, eligible: 100, alreadySeeded: 0, pipelinedStopRatio: 1);
        Assert.NotNull(plan);
        Assert.Equal(StartSchedulePlanner.MaxFollowers, plan.OffsetsSeconds.Count);
        var replay = Replay(Equal(40), plan.OffsetsSeconds, ClydeRegistry);
        Assert.Equal(0, replay.FollowerRegistryBytes);
        var firstCopy = Equal(40).Sum(l => l.SizeBytes) / (ClydeRegistry * Bandwidth.BytesPerMB);
        // at the registry rate given (the plan was made 5 % slower) it ends no later than predicted, within 1.7x the first
        // copy (the grid alone, cut short by the budget, planned 364 s: 1.77x)
        Assert.True(replay.End <= plan.PredictedSeconds + 1, $"replayed {replay.End:0.0} s, predicted {plan.PredictedSeconds:0.0} s");
        Assert.InRange(replay.End, firstCopy, 1.7 * firstCopy);
        Assert.True(plan.Evaluations > 2 * 6 * 6 * 2, $"{plan.Evaluations} schedules: the coarse grid alone, no finer search");
    }

    [Fact]
    public void ACancelledSearchStopsAtItsNextSchedule()
    {
        // planning 64 followers takes seconds: Ctrl+C (Start-ClydeSeed, Invoke-ClydeSeedSimulation) cancels it
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => StartSchedulePlanner.Plan(Equal(40), ClydeRegistry, 250, 1, 31, cancellationToken: cts.Token));
        var input = SeedSimulatorTests.Clyde(Equal(40));
        Assert.Throws<OperationCanceledException>(() => SeedSimulator.Run(input, SimulatedStrategy.Pipelined, cts.Token));
        // nothing to plan needs no search, so it is not cancelled
        Assert.Null(StartSchedulePlanner.Plan(Equal(1), ClydeRegistry, 250, 1, 31, cancellationToken: cts.Token));
    }

    [Fact]
    public void OneLayerOfHalfTheImageGivesNothingToPlan() =>
        Assert.Null(StartSchedulePlanner.Plan(ImageLayering.Default((long)(18.6 * GB)), ClydeRegistry, 250, 1, 31));

    [Fact]
    public void NoFeasibleScheduleWithinTheBudgetGivesNull() =>
        Assert.Null(StartSchedulePlanner.Plan(Equal(40), ClydeRegistry, 250, 1, 31, budget: 10));
}
