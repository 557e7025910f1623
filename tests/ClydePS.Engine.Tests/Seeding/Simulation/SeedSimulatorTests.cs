using ClydePS.Engine.Seeding;
using ClydePS.Engine.Seeding.Simulation;
using ClydePS.Engine.Transfer;

namespace ClydePS.Engine.Tests.Seeding.Simulation;

/// <summary>The simulator in virtual time: bounds, determinism, and the Clyde experiment's scenario.</summary>
public sealed class SeedSimulatorTests
{
    const double GB = 1024d * 1024 * 1024;
    const double MB = 1024d * 1024;

    static readonly SimulatedStrategy[] All = [SimulatedStrategy.Direct, SimulatedStrategy.Doubling, SimulatedStrategy.Adaptive, SimulatedStrategy.Pipelined];

    /// <summary>The Clyde experiment: 32 private nodes, NAT not the bottleneck, P2P, 18.6 GB, Direct ~110 min, 250 MB/s nodes.</summary>
    internal static SeedSimulationInput Clyde(IReadOnlyList<TransferLayer>? layers = null, int seed = 1) => new()
    {
        Nodes = SeedSimulationInput.MakeNodes(32, 0),
        Layers = layers ?? ImageLayering.Default((long)(18.6 * GB)),
        RegistryBandwidthMBps = ClydeRegistryMBps,
        NodeBandwidthMBps = 250,
        NatBandwidthMBps = 10_000,
        PeerToPeer = true,
        Seed = seed,
    };

    /// <summary>R = N·S / 6600 s: every node pulling from the registry takes 110 min.</summary>
    static double ClydeRegistryMBps => 32 * 18.6 * 1024 / 6600;

    [Theory]
    [InlineData(10L * 1024 * 1024 * 1024, 32, 100, 250, null, true)]   // registry-bound first copy: S/R
    [InlineData(1L * 1024 * 1024 * 1024, 1, 1000, 100, null, true)]     // one node: S/B
    [InlineData(5L * 1024 * 1024 * 1024, 1000, 5000, 10, null, true)]   // node-bound at scale
    [InlineData(8L * 1024 * 1024 * 1024, 50, 800, 400, 200.0, true)]    // all private: R = min(R, NAT)
    [InlineData(8L * 1024 * 1024 * 1024, 50, 800, 400, 200.0, false)]   // mixed: the NAT does not bound R
    public void PieceBoundIsTheFormula(long s, int n, double rMBps, double bMBps, double? natMBps, bool allPrivate)
    {
        var r = (allPrivate && natMBps is { } g ? Math.Min(rMBps, g) : rMBps) * MB;
        var b = bMBps * MB;
        var expected = new[] { s / r, s / b, n * (double)s / (r + n * b) }.Max();
        Assert.Equal(expected, SeedBounds.PieceLowerBoundSeconds(s, n, rMBps, bMBps, natMBps, allPrivate), 9);
    }

    [Fact]
    public void PieceBoundCasesHitEachTerm()
    {
        // 10 GiB at 100 MB/s registry = 102.4 s; S/B = 40.96 s; N·S/(R+N·B) = 32·10240/(100+8000) = 40.45 s
        Assert.Equal(102.4, SeedBounds.PieceLowerBoundSeconds(10L << 30, 32, 100, 250), 9);
        // 5 GiB, 1000 nodes at 10 MB/s, R 5000: S/R = 1.024, S/B = 512, N·S/(R+N·B) = 1000·5120/15000 = 341.33
        Assert.Equal(512, SeedBounds.PieceLowerBoundSeconds(5L << 30, 1000, 5000, 10), 9);
        // the same with 100 MB/s nodes: S/B = 51.2 > N·S/(R+N·B) = 5,120,000/105,000 = 48.76 (with symmetric nodes it always is)
        Assert.Equal(51.2, SeedBounds.PieceLowerBoundSeconds(5L << 30, 1000, 5000, 100), 9);
        // nodes that upload at 10 MB/s only: N·S/(R + N·U) = 5,120,000/(5000 + 10,000) = 341.33 > S/B, S/R
        Assert.Equal(1000 * 5120 / (5000 + 1000 * 10.0), SeedBounds.PieceLowerBoundSeconds(5L << 30, 1000, 5000, 100, uploadMBps: 10), 9);
        // without P2P the supply is the registry alone: N·S/R
        Assert.Equal(32 * 10240 / 100.0, SeedBounds.PieceLowerBoundSeconds(10L << 30, 32, 100, 250, peerToPeer: false), 9);
    }

    [Fact]
    public void LayerBoundIsAtLeastThePieceBoundAndGrowsWithTheLargestLayer()
    {
        var s = 18L << 30;
        var one = new long[] { s };
        var split = Enumerable.Repeat(s / 36, 36).ToArray();
        var piece = SeedBounds.PieceLowerBoundSeconds(s, 32, 92, 250);
        var layerOne = SeedBounds.LayerLowerBoundSeconds(one, 32, 92, 250);
        var layerSplit = SeedBounds.LayerLowerBoundSeconds(split, 32, 92, 250);
        Assert.True(layerOne >= piece, $"{layerOne} {piece} {layerSplit}");
        Assert.True(layerSplit >= piece, $"split {layerSplit} {piece}");
        Assert.True(layerOne > layerSplit, $"one {layerOne} {layerSplit}");
        // one layer of s: s/min(R,B) + (s/B)·ln((N + R/B)/(1 + R/B))
        var sr = s / (92 * MB);
        var sb = s / (250 * MB);
        Assert.Equal(sr + sb * Math.Log((32 + 92 / 250.0) / (1 + 92 / 250.0)), layerOne, 6);
        // a single node needs no fan-out
        Assert.Equal(sr, SeedBounds.LayerSpreadSeconds(s, 1, 92, 250), 9);
    }

    [Fact]
    public void LayerBoundOnManyEqualLayersAddsTheLastLayersFanOut()
    {
        // 40 equal layers: the piece bound is S/R; the last layer to get a first copy still has to reach every node
        var s = 40L * 500 * (long)MB;
        var layers = Enumerable.Repeat(500 * (long)MB, 40).ToArray();
        var sr = s / (92 * MB);
        var piece = SeedBounds.PieceLowerBoundSeconds(s, 32, 92, 250);
        Assert.Equal(sr, piece, 6);
        var expected = sr + 500 / 250.0 * Math.Log((32 + 92 / 250.0) / (1 + 92 / 250.0));
        Assert.Equal(expected, SeedBounds.LayerLowerBoundSeconds(layers, 32, 92, 250), 6);
        Assert.Equal(expected, SeedBounds.LastCopySpreadSeconds(s, 500 * (long)MB, 32, 92, 250), 6);
        // one node needs no fan-out; the smallest layer decides
        Assert.Equal(sr, SeedBounds.LastCopySpreadSeconds(s, 500 * (long)MB, 1, 92, 250), 9);
        var mixed = layers.Append(10 * (long)MB).ToArray();
        var withSmall = SeedBounds.LayerLowerBoundSeconds(mixed, 32, 92, 250);
        Assert.Equal((s + 10 * MB) / (92 * MB) + 10 / 250.0 * Math.Log((32 + 92 / 250.0) / (1 + 92 / 250.0)), withSmall, 6);
        // without P2P the piece bound (N·S/R) is the bound
        Assert.Equal(SeedBounds.PieceLowerBoundSeconds(s, 32, 92, 250, peerToPeer: false), SeedBounds.LayerLowerBoundSeconds(layers, 32, 92, 250, peerToPeer: false), 9);
    }

    [Fact]
    public void ClydeScenarioDirectIsNTimesSOverR()
    {
        var direct = SeedSimulator.Run(Clyde(), SimulatedStrategy.Direct);
        var nsr = 32 * 18.6 * 1024 / ClydeRegistryMBps; // 6600 s
        Assert.Equal("Deployed", direct.Outcome);
        Assert.Equal(TimeSpan.Zero, direct.SeedingTime);
        Assert.InRange(direct.RolloutTime!.Value.TotalSeconds, nsr * 0.9, nsr * 1.1);
        Assert.Equal(32, direct.Timeline.Count(t => t.Phase == "Rollout" && t.Source == "Registry"));
        Assert.Empty(direct.Waves);
    }

    [Fact]
    public void ClydeScenarioDoublingIsWithinAFactorTwoOfTwelveMinutes()
    {
        var doubling = SeedSimulator.Run(Clyde(), SimulatedStrategy.Doubling);
        Assert.Equal("Deployed", doubling.Outcome);
        Assert.InRange(doubling.RolloutTime!.Value.TotalMinutes, 12 / 2.0, 12 * 2.0);
        Assert.Equal([3, 6, 7], doubling.Waves.Select(w => w.Nodes));
        // only the first wave pulls from the registry; with P2P every later node is served by peers
        Assert.Equal(3, doubling.Timeline.Count(t => t.Source == "Registry"));
        Assert.Equal(29, doubling.Timeline.Count(t => t.Source == "Peers"));
        Assert.InRange(doubling.RegistryBytes, 3 * doubling.ImageSizeBytes, 3 * doubling.ImageSizeBytes + (1L << 20));
        Assert.True(doubling.RolloutTime > doubling.SeedingTime);
        foreach (var w in doubling.Waves) Assert.True(w.End > w.Start);
    }

    [Fact]
    public void ClydeScenarioAdaptiveProbesASlowRegistryAndFallsBackToDoubling()
    {
        var adaptive = SeedSimulator.Run(Clyde(), SimulatedStrategy.Adaptive);
        Assert.Contains(adaptive.Decisions, d => d.Contains("Window Unhealthy", StringComparison.Ordinal));
        Assert.Equal([3, 6, 7], adaptive.Waves.Select(w => w.Nodes));
        // probe samples come from the registry too
        Assert.True(adaptive.RegistryBytes > 3 * adaptive.ImageSizeBytes);
    }

    [Fact]
    public void AHealthyRegistryLetsAdaptiveExpandWhileTheFirstWaveRuns()
    {
        var input = Clyde() with { RegistryBandwidthMBps = 2000, NatBandwidthMBps = null, NodeBandwidthMBps = 100 };
        var adaptive = SeedSimulator.Run(input, SimulatedStrategy.Adaptive);
        Assert.Contains(adaptive.Decisions, d => d.Contains("Window Healthy", StringComparison.Ordinal));
        Assert.Contains(adaptive.Waves, w => w.Expansion);
    }

    [Fact]
    public void TheSameSeedGivesTheSameForecast()
    {
        var input = Clyde() with { Latency = TimeSpan.FromMilliseconds(20), Jitter = TimeSpan.FromMilliseconds(30), FailureRate = 0.05, Nodes = SeedSimulationInput.MakeNodes(24, 8) };
        foreach (var s in All)
        {
            var a = SeedSimulator.Run(input with { Seed = 7 }, s);
            var b = SeedSimulator.Run(input with { Seed = 7 }, s);
            Assert.Equal(Describe(a), Describe(b));
        }
        var other = SeedSimulator.Run(input with { Seed = 8 }, SimulatedStrategy.Adaptive);
        Assert.NotEqual(Describe(SeedSimulator.Run(input with { Seed = 7 }, SimulatedStrategy.Adaptive)), Describe(other));
    }

    static string Describe(ClydeSeedForecast f) =>
        string.Join("\n", new[] { $"{f.SeedingTime.Ticks} {f.RolloutTime?.Ticks} {f.RegistryBytes} {f.PeerBytes} {f.Outcome}" }
            .Concat(f.Timeline.Select(t => $"{t.Node} {t.Phase} {t.Source} {t.Start.Ticks} {t.End.Ticks}"))
            .Concat(f.Decisions));

    [Fact]
    public void NoStrategyBeatsThePieceOrTheLayerBound()
    {
        var rng = new Random(20261125);
        for (var i = 0; i < 60; i++)
        {
            var n = rng.Next(1, 60);
            var layerCount = rng.Next(1, 8);
            var layers = ImageLayering.FromBytes(Enumerable.Range(0, layerCount).Select(_ => (long)(rng.Next(1, 4000) * MB)).ToList());
            var input = new SeedSimulationInput
            {
                Nodes = SeedSimulationInput.MakeNodes(n, rng.Next(0, n + 1)),
                Layers = layers,
                RegistryBandwidthMBps = 10 + rng.NextDouble() * 2000,
                NodeBandwidthMBps = 10 + rng.NextDouble() * 1000,
                NatBandwidthMBps = rng.Next(3) == 0 ? null : 10 + rng.NextDouble() * 1000,
                PeerToPeer = rng.Next(4) != 0,
                Seed = i,
                Jitter = TimeSpan.FromMilliseconds(rng.Next(0, 50)),
                Overheads = rng.Next(2) == 0 ? SeedOverheads.None : new SeedOverheads(),
                Policy = new SeedPolicyOptions { StopRatio = 0.1 + 0.9 * rng.NextDouble(), InitialSeeds = rng.Next(0, 5) },
            };
            foreach (var s in All)
            {
                var f = SeedSimulator.Run(input with { LayerProgress = i % 2 == 0 }, s);
                Assert.Equal("Deployed", f.Outcome);
                var rollout = f.RolloutTime!.Value.TotalSeconds;
                Assert.True(rollout >= f.PieceLowerBound.TotalSeconds * (1 - 1e-6) - 1e-3, $"case {i} {s}: {rollout} s < piece bound {f.PieceLowerBound.TotalSeconds} s");
                Assert.True(rollout >= f.LayerLowerBound.TotalSeconds * (1 - 1e-6) - 1e-3, $"case {i} {s}: {rollout} s < layer bound {f.LayerLowerBound.TotalSeconds} s");
                Assert.Equal(n, f.Timeline.Where(t => t.Source != "Failed").Select(t => t.Node).Distinct().Count());
            }
        }
    }

    [Fact]
    public void EveryNodeEndsWithTheImageAndTheTimelineIsOrdered()
    {
        var input = Clyde() with { Nodes = SeedSimulationInput.MakeNodes(40, 10) };
        var f = SeedSimulator.Run(input, SimulatedStrategy.Doubling);
        Assert.Equal(40, f.NodeCount);
        Assert.Equal(10, f.PublicNodeCount);
        Assert.Equal(ClusterNetworkClass.Mixed, f.ClusterClass);
        var seeded = f.Timeline.Where(t => t.Phase == "Seed").Select(t => t.Node).ToHashSet();
        var rolled = f.Timeline.Where(t => t.Phase == "Rollout").Select(t => t.Node).ToHashSet();
        Assert.Equal(20, seeded.Count); // stop target ceil(0.5 x 40)
        Assert.Empty(seeded.Intersect(rolled));
        Assert.Equal(40, seeded.Count + rolled.Count);
        foreach (var t in f.Timeline)
        {
            Assert.True(t.Requested <= t.Start && t.Start < t.End);
            Assert.Equal(f.ImageSizeBytes, t.BytesFromRegistry + t.BytesFromPeers);
        }
        Assert.All(f.Timeline.Where(t => t.Phase == "Rollout"), t => Assert.True(t.Requested >= f.SeedingTime));
    }

    [Fact]
    public void AnyPolicyRuns()
    {
        var input = Clyde() with { Nodes = SeedSimulationInput.MakeNodes(12, 0) };
        var byName = SeedSimulator.Run(input, SimulatedStrategy.Doubling);
        var byPolicy = SeedSimulator.Run(input, SeedPolicies.For(SeedStrategy.Doubling));
        Assert.Equal("Doubling", byPolicy.Strategy);
        Assert.Equal(Describe(byName), Describe(byPolicy));
    }

    [Fact]
    public void WithoutP2PEveryPullComesFromTheRegistry()
    {
        var input = Clyde() with { PeerToPeer = false, Nodes = SeedSimulationInput.MakeNodes(8, 0) };
        var f = SeedSimulator.Run(input, SimulatedStrategy.Doubling);
        Assert.All(f.Timeline, t => Assert.Equal("Registry", t.Source));
        Assert.Equal(0, f.PeerBytes);
        Assert.Equal(8 * f.ImageSizeBytes, f.RegistryBytes);
    }

    [Fact]
    public void OverheadsAreCharged()
    {
        var input = Clyde() with { Nodes = SeedSimulationInput.MakeNodes(4, 0), Layers = ImageLayering.Default(1L << 30), RegistryBandwidthMBps = 1024, NodeBandwidthMBps = 1024 };
        var none = SeedSimulator.Run(input with { Overheads = SeedOverheads.None }, SimulatedStrategy.Direct);
        var some = SeedSimulator.Run(input with { Overheads = SeedOverheads.None with { DaemonSetPodStart = TimeSpan.FromSeconds(7), ContainerStart = TimeSpan.FromSeconds(5) } }, SimulatedStrategy.Direct);
        Assert.Equal(none.RolloutTime!.Value.TotalSeconds + 12, some.RolloutTime!.Value.TotalSeconds, 3);
        var d0 = SeedSimulator.Run(input with { Overheads = SeedOverheads.None }, SimulatedStrategy.Doubling);
        var d1 = SeedSimulator.Run(input with { Overheads = SeedOverheads.None with { SeedPodStart = TimeSpan.FromSeconds(3), HelperInit = TimeSpan.FromSeconds(2), WatchLatency = TimeSpan.FromSeconds(1) } }, SimulatedStrategy.Doubling);
        // stop target 2 = one wave of 2 seeds: + pod start + init + watch
        Assert.Equal(d0.SeedingTime.TotalSeconds + 6, d1.SeedingTime.TotalSeconds, 3);
    }

    [Fact]
    public void DefaultLayeringHasOneLargeWeightsLayer()
    {
        var layers = ImageLayering.Default((long)(18.6 * GB));
        Assert.Equal((long)(18.6 * GB), layers.Sum(l => l.SizeBytes));
        Assert.Equal(5, layers.Count);
        var largest = layers.Max(l => l.SizeBytes) / GB;
        Assert.InRange(largest, 15.3, 15.6);
        var equal = ImageLayering.Equal((long)(18.6 * GB), 40);
        Assert.Equal(40, equal.Count);
        Assert.Equal((long)(18.6 * GB), equal.Sum(l => l.SizeBytes));
        Assert.Equal(2, ImageLayering.FromMB([1.5, 2]).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageLayering.FromMB([1, -2]));
    }

    [Fact]
    public void InvalidInputIsRejected()
    {
        Assert.ThrowsAny<ArgumentException>(() => SeedSimulator.Run(Clyde() with { Nodes = [] }, SimulatedStrategy.Direct));
        Assert.ThrowsAny<ArgumentException>(() => SeedSimulator.Run(Clyde() with { RegistryBandwidthMBps = 0 }, SimulatedStrategy.Direct));
        Assert.ThrowsAny<ArgumentException>(() => SeedSimulator.Run(Clyde() with { NatBandwidthMBps = -1 }, SimulatedStrategy.Direct));
        Assert.ThrowsAny<ArgumentException>(() => SeedSimulator.Run(Clyde() with { Policy = new SeedPolicyOptions { StopRatio = 1.5 } }, SimulatedStrategy.Doubling));
        Assert.ThrowsAny<ArgumentException>(() => SeedSimulator.Run(Clyde() with { Nodes = [new("a", false), new("a", true)] }, SimulatedStrategy.Direct));
    }
}
