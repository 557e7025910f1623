using ClydePS.Engine.Transfer;

namespace ClydePS.Engine.Tests.Transfer;

public class TransferNetworkTests
{

    const long MB = 1_048_576;

    static TransferLayer[] Layers(string prefix, params long[] sizesMB) =>
        sizesMB.Select((s, i) => new TransferLayer($"sha256:{prefix}{i:x2}", s * MB)).ToArray();

    static void Close(double expected, double actual, double tolerance = 1e-6) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance * Math.Max(1, Math.Abs(expected)), $"expected {expected}, got {actual}");

    [Theory]
    [InlineData(500, 100, 1.0)]   // node-bound: S/B
    [InlineData(50, 100, 2.0)]    // registry-bound: S/R
    public void OneNodeIsBoundedByMinOfRegistryAndNode(double r, double b, double seconds)
    {
        var net = new TransferNetwork(new TransferNetworkOptions { RegistryBandwidthMBps = r });
        net.AddNode("n1", b);
        var pull = net.StartPull("n1", Layers("a", 40, 30, 30));
        net.RunUntilIdle();
        Assert.Equal(PullStatus.Completed, pull.Status);
        Close(seconds, pull.EndTime!.Value);
        Assert.Equal(100 * MB, net.Stats.BytesFromRegistry);
        Assert.True(pull.Completion.IsCompleted);
    }

    [Fact]
    public void PrivateNodesShareTheirNatGateway()
    {
        var net = new TransferNetwork(new TransferNetworkOptions { RegistryBandwidthMBps = 10_000 });
        var nat = net.AddNatGateway("us-central1", 100);
        var pulls = Enumerable.Range(0, 10).Select(i =>
        {
            net.AddNode($"n{i}", 100, natGateway: nat);
            return net.StartPull($"n{i}", Layers("a", 100));
        }).ToList();
        // a public node next to them is not slowed by the NAT
        net.AddNode("pub", 100);
        var pub = net.StartPull("pub", Layers("a", 100));
        net.RunUntilIdle();
        foreach (var p in pulls) Close(10.0, p.EndTime!.Value); // N*S/NAT
        Close(1.0, pub.EndTime!.Value);
    }

    [Fact]
    public void PublicNodesShareRegistryEgress()
    {
        var net = new TransferNetwork(new TransferNetworkOptions { RegistryBandwidthMBps = 200 });
        var pulls = Enumerable.Range(0, 10).Select(i =>
        {
            net.AddNode($"n{i}", 100);
            return net.StartPull($"n{i}", Layers("a", 50, 50));
        }).ToList();
        net.RunUntilIdle();
        foreach (var p in pulls) Close(10 * 100.0 / 200, p.EndTime!.Value); // N*S/R since R < N*B
    }

    [Fact]
    public void MaxMinFairnessGivesTheRestToTheUnconstrainedFlow()
    {
        var net = new TransferNetwork(new TransferNetworkOptions { RegistryBandwidthMBps = 100 });
        net.AddNode("slow", 20);
        net.AddNode("fast", 1000);
        var slow = net.StartPull("slow", Layers("a", 1000));
        var fast = net.StartPull("fast", Layers("b", 1000));
        net.AdvanceTo(1);
        Close(20 * MB, slow.BytesDone, 1e-3);
        Close(80 * MB, fast.BytesDone, 1e-3);
    }

    [Fact]
    public void SecondWaveFetchesFromThePeerAtItsUploadRate()
    {
        var net = new TransferNetwork(new TransferNetworkOptions { RegistryBandwidthMBps = 1000, PeerToPeer = true });
        net.AddNode("seed", 100, uploadMBps: 40);
        net.AddNode("w1", 100);
        net.AddNode("w2", 100);
        var layers = Layers("a", 80);
        var first = net.StartPull("seed", layers);
        net.RunUntilIdle();
        Close(0.8, first.EndTime!.Value);
        Assert.Equal(80 * MB, net.Stats.BytesFromRegistry);

        var p1 = net.StartPull("w1", layers);
        var p2 = net.StartPull("w2", layers);
        net.RunUntilIdle();
        // both fetch from the one holder, sharing its 40 MB/s upload: 20 MB/s each
        Close(0.8 + 80.0 / 20, p1.EndTime!.Value);
        Close(0.8 + 80.0 / 20, p2.EndTime!.Value);
        Assert.Equal(80 * MB, net.Stats.BytesFromRegistry);
        Assert.Equal(160 * MB, net.Stats.BytesFromPeers);
        Assert.Equal(80 * MB, p1.BytesFromPeers);
        Assert.Equal(0, p1.BytesFromRegistry);
    }

    [Fact]
    public void LeastLoadedHolderIsPicked()
    {
        var net = new TransferNetwork(new TransferNetworkOptions { PeerToPeer = true });
        var layers = Layers("a", 100);
        foreach (var n in new[] { "h1", "h2" }) { net.AddNode(n, 100); net.AddLayers(n, layers); }
        net.AddNode("d1", 100);
        net.AddNode("d2", 100);
        var peers = new List<string?>();
        net.LayerCompleted += e => peers.Add(e.Peer);
        net.StartPull("d1", layers);
        net.StartPull("d2", layers);
        net.RunUntilIdle();
        Assert.Equal(["h1", "h2"], peers.Select(p => p!).Order().ToArray());
        Close(1.0, net.Now); // one uploader each: full speed
    }

    [Fact]
    public void NotReadyMirrorsDoNotShare()
    {
        var net = new TransferNetwork(new TransferNetworkOptions { PeerToPeer = true });
        var layers = Layers("a", 10);
        net.AddNode("h", 100, mirrorReady: false);
        net.AddLayers("h", layers);
        net.AddNode("d", 100);
        net.StartPull("d", layers);
        net.RunUntilIdle();
        Assert.Equal(10 * MB, net.Stats.BytesFromRegistry);

        net.MirrorReadyProbe = _ => true;
        net.AddNode("d2", 100);
        net.StartPull("d2", layers);
        net.RunUntilIdle();
        Assert.Equal(10 * MB, net.Stats.BytesFromPeers);
    }

    [Fact]
    public void LatencyDelaysTheFirstByte()
    {
        var net = new TransferNetwork(new TransferNetworkOptions { Latency = TimeSpan.FromMilliseconds(200), MaxConcurrentDownloadsPerPull = 1 });
        net.AddNode("n", 100);
        var p = net.StartPull("n", Layers("a", 50, 50));
        net.RunUntilIdle();
        Close(2 * 0.2 + 1.0, p.EndTime!.Value);

        net.AddNode("far", 100).Latency = TimeSpan.FromMilliseconds(300);
        var far = net.StartPull("far", Layers("b", 100));
        net.RunUntilIdle();
        Close(0.2 + 0.3 + 1.0, far.Duration());
    }

    [Fact]
    public void LayerCompletionEventsComeInTimeOrder()
    {
        var net = new TransferNetwork(new TransferNetworkOptions { RegistryBandwidthMBps = 1000 });
        net.AddNode("n", 90);
        var events = new List<LayerCompletedEvent>();
        net.LayerCompleted += events.Add;
        var layers = Layers("a", 30, 10, 20, 5);
        var p = net.StartPull("n", layers);
        net.RunUntilIdle();
        // three at once share 90 MB/s: 10 MB ends at t=1/3, then 20 and 30 and 5 (started at 1/3)...
        Assert.Equal(["sha256:a01", "sha256:a03", "sha256:a02", "sha256:a00"], events.Select(e => e.Digest).ToArray());
        Assert.True(events.Zip(events.Skip(1)).All(x => x.First.Time <= x.Second.Time));
        Close(65.0 / 90, p.EndTime!.Value);
        Assert.Equal(p.TotalBytes, p.BytesDone);
    }

    [Fact]
    public void StartingTheNextNodeWhenALayerCompletesPipelines()
    {
        // a chain: each node starts when its predecessor completes a layer, fetching from peers
        var net = new TransferNetwork(new TransferNetworkOptions { RegistryBandwidthMBps = 100, PeerToPeer = true, MaxConcurrentDownloadsPerPull = 1 });
        for (var i = 0; i < 4; i++) net.AddNode($"n{i}", 100);
        var layers = Layers("a", 25, 25, 25, 25);
        var started = new HashSet<int> { 0 };
        net.LayerCompleted += e =>
        {
            var i = int.Parse(e.Node[1..]);
            if (i < 3 && started.Add(i + 1)) net.StartPull($"n{i + 1}", layers);
        };
        net.StartPull("n0", layers);
        net.RunUntilIdle();
        Assert.Equal(100 * MB, net.Stats.BytesFromRegistry);
        Assert.Equal(300 * MB, net.Stats.BytesFromPeers);
        Assert.True(net.Now < 4 * 1.0, $"pipelined chain took {net.Now}"); // store-and-forward would take 4 s
    }

    static (List<string> Log, TransferStats Stats) Run(int seed)
    {
        var net = new TransferNetwork(new TransferNetworkOptions
        {
            Seed = seed, RegistryBandwidthMBps = 300, PeerToPeer = true, Latency = TimeSpan.FromMilliseconds(20),
            Jitter = TimeSpan.FromMilliseconds(50), FailureRate = 0.2, MaxAttempts = 4,
        });
        var nat = net.AddNatGateway("g", 200);
        var log = new List<string>();
        net.LayerCompleted += e => log.Add($"{e.Time:R} {e.Node} {e.Digest} {e.Peer}");
        net.LayerAttemptFailed += e => log.Add($"{e.Time:R} {e.Node} {e.Digest} fail {e.Attempt} {e.WillRetry}");
        for (var i = 0; i < 20; i++)
        {
            net.AddNode($"n{i}", 50 + i, natGateway: i % 2 == 0 ? nat : null);
            net.StartPull($"n{i}", Layers("a", 10, 20, 30));
        }
        net.RunUntilIdle();
        return (log, net.Stats);
    }

    [Fact]
    public void DeterministicForASeed()
    {
        var a = Run(7);
        var b = Run(7);
        var c = Run(8);
        Assert.Equal(a.Log, b.Log);
        Assert.NotEqual(a.Log, c.Log);
        Assert.True(a.Stats.FailedAttempts > 0);
        Assert.Equal(a.Stats.FailedAttempts, b.Stats.FailedAttempts);
    }

    [Fact]
    public async Task FailuresRetryThenFailThePull()
    {
        var net = new TransferNetwork(new TransferNetworkOptions { FailureRate = 1, MaxAttempts = 3, RetryDelay = TimeSpan.FromSeconds(2) });
        net.AddNode("n", 100);
        var failures = new List<LayerAttemptFailedEvent>();
        net.LayerAttemptFailed += failures.Add;
        var p = net.StartPull("n", Layers("a", 10));
        net.RunUntilIdle();
        Assert.Equal(PullStatus.Failed, p.Status);
        Assert.Equal([1, 2, 3], failures.Select(f => f.Attempt).ToArray());
        Assert.Equal([true, true, false], failures.Select(f => f.WillRetry).ToArray());
        Assert.Contains("after 3 attempts", p.Error);
        Assert.True(p.EndTime >= 4); // two retry delays
        Assert.Equal(PullStatus.Failed, (await p.Completion).Status);
        Assert.Equal(1, net.Stats.PullsFailed);
    }

    [Fact]
    public void CancelStopsTheTransfer()
    {
        var net = new TransferNetwork();
        net.AddNode("n", 100);
        var p = net.StartPull("n", Layers("a", 100));
        net.AdvanceTo(0.5);
        p.Cancel();
        Assert.Equal(PullStatus.Cancelled, p.Status);
        Assert.Equal(0, net.ActiveFlows);
        Assert.Null(net.NextEventTime);
        Close(50 * MB, net.Stats.BytesFromRegistry, 1e-3);
    }

    [Fact]
    public void HeldAndSharedLayersAreNotFetchedTwice()
    {
        var net = new TransferNetwork();
        net.AddNode("n", 100);
        var layers = Layers("a", 10, 10);
        net.AddLayers("n", layers.Take(1));
        var p1 = net.StartPull("n", layers);
        var p2 = net.StartPull("n", layers);
        net.RunUntilIdle();
        Assert.Equal(PullStatus.Completed, p1.Status);
        Assert.Equal(PullStatus.Completed, p2.Status);
        Assert.Equal(10 * MB, net.Stats.BytesFromRegistry);
        Assert.Empty(net.StartPull("n", layers) is { Status: PullStatus.Completed } ? [] : new[] { 1 });
    }

    [Fact]
    public async Task StreamsShareTheRegistryWithPulls()
    {
        var net = new TransferNetwork(new TransferNetworkOptions { RegistryBandwidthMBps = 100 });
        net.AddNode("n", 1000);
        var p = net.StartPull("n", Layers("a", 100));
        var s = net.StartRegistryStream(50 * MB);
        net.RunUntilIdle();
        Assert.True(await s.Completion);
        Close(1.0, s.EndTime!.Value);  // 50 MB/s each
        Close(1.5, p.EndTime!.Value);  // then 100 MB/s for the last 50 MB
    }

    [Fact]
    public void RegistryBandwidthChangesApplyFromNow()
    {
        var net = new TransferNetwork(new TransferNetworkOptions { RegistryBandwidthMBps = 100 });
        net.AddNode("n", 1000);
        var p = net.StartPull("n", Layers("a", 100));
        net.AdvanceTo(0.5);
        net.RegistryBandwidthMBps = 25; // slowdown x4
        net.RunUntilIdle();
        Close(0.5 + 2.0, p.EndTime!.Value);
    }

    [Fact]
    public void AThousandNodesTimesTenLayersIsCheap()
    {
        var net = new TransferNetwork(new TransferNetworkOptions { RegistryBandwidthMBps = 2000, Seed = 3 });
        var nats = Enumerable.Range(0, 4).Select(i => net.AddNatGateway($"nat{i}", 400)).ToArray();
        var layers = Layers("a", 20, 20, 20, 20, 20, 20, 20, 20, 20, 20).Select(l => l with { SizeBytes = 2L * 1024 * MB }).ToArray();
        var pulls = new List<PullHandle>();
        for (var i = 0; i < 1000; i++)
        {
            net.AddNode($"node-{i:0000}", 100, natGateway: i % 5 == 0 ? null : nats[i % 4]);
            pulls.Add(net.StartPull($"node-{i:0000}", layers));
        }
        net.RunUntilIdle();
        Assert.All(pulls, p => Assert.Equal(PullStatus.Completed, p.Status));
        Assert.Equal(10_000, net.Stats.LayersCompleted);
        Assert.Equal(10_000, net.Stats.Events);
        // simultaneous completions are batched: a handful of rate computations, not one per event
        Assert.True(net.Stats.RateComputations < 100, $"{net.Stats.RateComputations} rate computations");
        // 20 GB to 1000 nodes: public nodes (200) are registry-bound with the NATs' 1600 MB/s in use...
        var total = 1000 * 20.0 * 1024;
        Assert.True(net.Now >= total / 2000 - 1e-6, $"took {net.Now}");
    }

    [Fact]
    public void ThousandNodeP2PRollout()
    {
        var net = new TransferNetwork(new TransferNetworkOptions { RegistryBandwidthMBps = 200, PeerToPeer = true });
        var layers = Layers("a", 100, 100, 100, 100, 100, 100, 100, 100, 100, 100);
        for (var i = 0; i < 1000; i++) net.AddNode($"n{i}", 100);
        net.StartPull("n0", layers);
        var next = 1;
        net.PullEnded += _ =>
        {
            // each completed node lets two more start
            for (var k = 0; k < 2 && next < 1000; k++) net.StartPull($"n{next++}", layers);
        };
        net.RunUntilIdle();
        Assert.Equal(10_000, net.Stats.LayersCompleted);
        Assert.Equal(1000L * MB, net.Stats.BytesFromRegistry);
        Assert.True(net.Stats.Events < 50_000);
        // each rate computation covers only the flows connected to the change
        Assert.True(net.Stats.FlowsRecomputed < 1_500_000, $"{net.Stats.FlowsRecomputed} flow rates computed");
    }
}

static class PullHandleTestExtensions
{
    public static double Duration(this PullHandle p) => p.EndTime!.Value - p.StartTime;
}

public class NodeRegistryStreamTests
{
    const long MB = 1_048_576;

    [Fact]
    public void StreamFromAPrivateNodeCrossesItsNatAndDownlink()
    {
        var net = new TransferNetwork(new TransferNetworkOptions { RegistryBandwidthMBps = 1000 });
        var nat = net.AddNatGateway("nat", 50);
        net.AddNode("priv-0", 100, natGateway: nat);
        net.AddNode("priv-1", 100, natGateway: nat);
        net.AddNode("pub-0", 40);
        var a = net.StartRegistryStream(50 * MB, null, "priv-0");
        var b = net.StartRegistryStream(50 * MB, null, "priv-1");
        var c = net.StartRegistryStream(40 * MB, null, "pub-0");
        var free = net.StartRegistryStream(100 * MB);
        net.RunUntilIdle();
        Assert.Equal(2.0, a.EndTime!.Value, 6); // NAT 50 MB/s shared by two
        Assert.Equal(2.0, b.EndTime!.Value, 6);
        Assert.Equal(1.0, c.EndTime!.Value, 6); // the node's 40 MB/s downlink
        Assert.Equal(100.0 / 910, free.EndTime!.Value, 6); // no node: the registry egress left over (1000 - 25 - 25 - 40)
    }

    [Fact]
    public void StreamSharesTheNodeDownlinkWithItsPulls()
    {
        var net = new TransferNetwork(new TransferNetworkOptions { RegistryBandwidthMBps = 1000 });
        net.AddNode("n", 100);
        var pull = net.StartPull("n", [new TransferLayer("sha256:aa", 100 * MB)]);
        var s = net.StartRegistryStream(50 * MB, null, "n");
        net.RunUntilIdle();
        Assert.Equal(1.0, s.EndTime!.Value, 6); // 50 MB/s each while both run
        Assert.Equal(1.5, net.Now, 6);
    }
}
