using ClydePS.Engine.Transfer;
using ClydePS.Lab.Cluster;
using ClydePS.Lab.Faults;
using ClydePS.Lab.Images;
using ClydePS.Lab.Kubelet;

namespace ClydePS.Lab.Tests;

public class ImagePullerTests
{
    static LabOptions Options(bool p2p = true) => new()
    {
        TimeScale = 10,
        Cluster = new ClusterSpec
        {
            Seed = 5,
            NodeGroups = [new NodeGroupSpec { Count = 3, BandwidthMBps = 50 }],
            Network = new NetworkSpec { RegistryBandwidthMBps = 100, NodeBandwidthMBps = 20, P2p = p2p },
            Images =
            [
                new ClusterImageSpec { Reference = "example.com/model/server:v1", Size = "8Mi", LayerCount = 4, Platforms = ["linux/amd64"] },
                new ClusterImageSpec { Reference = "example.com/ghost:1", Missing = true },
            ],
        },
    };

    [Fact]
    public async Task PullsOverTheModelAndSharesWithPeers()
    {
        await using var lab = await LabHost.StartAsync(Options());
        var puller = lab.ImagePuller;
        Assert.Same(lab.Transfer, puller);
        await WaitForSpegelAsync(lab, 3);
        const string image = "example.com/model/server:v1";
        Assert.False(puller.IsPresent("node-000", image));
        long registryBefore = lab.Transfer!.Network.Stats.BytesFromRegistry, peersBefore = lab.Transfer.Network.Stats.BytesFromPeers;
        var reports = new List<(long, long)>();
        var t0 = lab.Clock.UtcNow;
        var pulled = await puller.PullAsync("node-000", image, new Progress<(long Done, long Total)>(reports.Add), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(10));
        var labSeconds = (lab.Clock.UtcNow - t0).TotalSeconds;
        Assert.InRange(labSeconds, 8.0 / 50 * 0.9, 5); // >= S/B in Lab time
        var facts = puller.Describe(image)!;
        Assert.Equal("example.com/model/server@" + facts.Digest, pulled.ImageId);
        Assert.True(pulled.HasShell);
        Assert.True(puller.IsPresent("node-000", image));
        var stats = lab.Transfer!.Network.Stats;
        Assert.Equal(pulled.SizeBytes, stats.BytesFromRegistry - registryBefore);
        Assert.Equal(peersBefore, stats.BytesFromPeers);

        await puller.PullAsync("node-001", image, null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(pulled.SizeBytes, stats.BytesFromPeers - peersBefore); // every layer came from node-000's mirror
        Assert.Equal(pulled.SizeBytes, stats.BytesFromRegistry - registryBefore);

        // the pause image listed in node.status.images is already there
        Assert.True(puller.IsPresent("node-002", "registry.k8s.io/pause:3.10"));
    }

    /// <summary>Mirrors share layers only once the Lab's spegel DaemonSet has a Ready pod on their node.</summary>
    static async Task WaitForSpegelAsync(LabHost lab, int nodes)
    {
        var def = lab.Registry.Find("apps", "v1", "daemonsets")!;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((lab.Store.Get(def, SpegelInstall.Namespace, SpegelInstall.Name)?.Object as k8s.Models.V1DaemonSet)?.Status?.NumberReady != nodes)
        {
            Assert.True(DateTime.UtcNow < deadline, "the spegel DaemonSet did not become ready");
            await Task.Delay(50);
        }

        var deadline2 = DateTime.UtcNow.AddSeconds(5);
        while (!Enumerable.Range(0, nodes).All(i => lab.Transfer!.IsMirrorReady($"node-{i:000}")))
        {
            Assert.True(DateTime.UtcNow < deadline2, "the mirror index did not see the ready spegel pods");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task MirrorsAreNotReadyBeforeTheirSpegelPod()
    {
        var options = Options();
        options.Simulate = false; // no kubelets: the spegel pods never run
        await using var lab = await LabHost.StartAsync(options);
        Assert.NotNull(lab.Store.Get(lab.Registry.Find("apps", "v1", "daemonsets")!, SpegelInstall.Namespace, SpegelInstall.Name));
        await lab.ImagePuller.PullAsync("node-000", "busybox:1.36", null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        await lab.ImagePuller.PullAsync("node-001", "busybox:1.36", null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, lab.Transfer!.Network.Stats.BytesFromPeers);
    }

    [Fact]
    public async Task NotReadyMirrorsDoNotShare()
    {
        await using var lab = await LabHost.StartAsync(Options());
        lab.Transfer!.IsMirrorReady = _ => false;
        await lab.ImagePuller.PullAsync("node-000", "busybox:1.36", null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        await lab.ImagePuller.PullAsync("node-001", "busybox:1.36", null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, lab.Transfer.Network.Stats.BytesFromPeers);
    }

    [Fact]
    public async Task MissingImagesFailWithNotFound()
    {
        await using var lab = await LabHost.StartAsync(Options());
        var e = await Assert.ThrowsAsync<ImagePullException>(() => lab.ImagePuller.PullAsync("node-000", "example.com/ghost:1", null, CancellationToken.None));
        Assert.True(e.NotFound);
        Assert.Equal("rpc error: code = NotFound desc = failed to pull and unpack image \"example.com/ghost:1\": failed to resolve reference \"example.com/ghost:1\": example.com/ghost:1: not found", e.Message);
        Assert.Null(lab.ImagePuller.Describe("example.com/ghost:1"));
    }

    [Fact]
    public async Task PullFaultsFailChosenPulls()
    {
        await using var lab = await LabHost.StartAsync(Options());
        lab.Faults.Set(new FaultPlan { Pulls = [new PullFault { Image = "busybox", Node = "node-001" }, new PullFault { Image = "alpine:3.20", Message = "boom" }] });
        var e = await Assert.ThrowsAsync<ImagePullException>(() => lab.ImagePuller.PullAsync("node-001", "busybox:1.36", null, CancellationToken.None));
        Assert.StartsWith("rpc error: code = Unknown desc = failed to pull and unpack image \"docker.io/library/busybox:1.36\"", e.Message);
        Assert.Contains("i/o timeout", e.Message);
        e = await Assert.ThrowsAsync<ImagePullException>(() => lab.ImagePuller.PullAsync("node-000", "alpine:3.20", null, CancellationToken.None));
        Assert.Equal("boom", e.Message);
        await lab.ImagePuller.PullAsync("node-000", "busybox:1.36", null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task NetworkFailuresRetryLayers()
    {
        var o = Options(p2p: false);
        o.Cluster!.Network!.FailureRate = 1;
        await using var lab = await LabHost.StartAsync(o);
        lab.Transfer!.Network.Options.RetryDelay = TimeSpan.FromMilliseconds(100);
        var e = await Assert.ThrowsAsync<ImagePullException>(() => lab.ImagePuller.PullAsync("node-000", "busybox:1.36", null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("after 3 attempts", e.Message);
        Assert.True(lab.Transfer.Network.Stats.FailedAttempts >= 3);
    }

    [Fact]
    public async Task SpegelDaemonSetOnlyWhenServed()
    {
        await using var lab = await LabHost.StartAsync(Options());
        var def = lab.Registry.Find("apps", "v1", "daemonsets");
        Assert.Equal(def is not null, SpegelInstall.Create(lab));
    }
}
