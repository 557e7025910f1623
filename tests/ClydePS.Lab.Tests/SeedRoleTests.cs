using ClydePS.Engine.Seeding;
using ClydePS.Lab.Cluster;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Tests;

/// <summary>The Lab's seed role: seed pods built by the engine run in images with and without a shell; a broken seed pod fails like the real one.</summary>
public class SeedRoleTests
{
    const string Shellless = "example.com/app/distroless-server:1";

    static LabOptions Options() => new()
    {
        TimeScale = 10,
        Cluster = new ClusterSpec
        {
            Seed = 4,
            NodeGroups = [new NodeGroupSpec { Count = 2 }],
            Images = [new ClusterImageSpec { Reference = Shellless, Size = "64Mi", LayerCount = 2, Platforms = ["linux/amd64"], HasShell = false }],
        },
    };

    static V1Pod SeedPodFor(string node, int index) => SeedPod.Build(new SeedPodOptions
    {
        Namespace = "default", RunId = "r1", Image = Shellless, Digest = "sha256:unused",
    }, node, index);

    static async Task<V1Pod> WaitDoneAsync(Kubernetes client, string name)
    {
        V1Pod pod = null!;
        await Wait.Until(async () =>
        {
            pod = await client.CoreV1.ReadNamespacedPodAsync(name, "default");
            return pod.Status?.Phase is "Succeeded" or "Failed";
        }, $"pod {name} finishes", 30);
        return pod;
    }

    [Fact]
    public async Task SeedsAnImageWithoutAShellAndReportsItsImageId()
    {
        await using var lab = await TestLab.StartAsync(Options(), simulate: true);
        using var client = lab.Client();
        var pod = SeedPodFor("node-000", 0);
        await client.CoreV1.CreateNamespacedPodAsync(pod, "default");
        var done = await WaitDoneAsync(client, pod.Metadata.Name);
        Assert.Equal("Succeeded", done.Status.Phase);
        var seed = Assert.Single(done.Status.ContainerStatuses);
        Assert.Equal(0, seed.State.Terminated.ExitCode);
        var digest = lab.Host.Images.Resolve(Shellless)!.Digest;
        Assert.EndsWith("@" + digest, seed.ImageID);
        Assert.Equal(0, Assert.Single(done.Status.InitContainerStatuses).State.Terminated.ExitCode);
        // The Lab records on seed pods where the image's bytes came from (no P2P here: all from the registry).
        var bytes = ClydePS.Engine.Kube.LabInfo.PulledBytes(done.Metadata.Annotations, SeedPod.ContainerName);
        Assert.NotNull(bytes);
        Assert.True(bytes.Value.Registry >= 64L << 20, $"registry bytes {bytes.Value.Registry}");
        Assert.Equal(0, bytes.Value.Peers);
    }

    [Fact]
    public async Task APrePullHolderKeepsItsImageThroughImageGcWhileADeletedPodsImageGoes()
    {
        const string other = "example.com/app/other:1";
        var options = Options();
        options.Cluster!.Images = [.. options.Cluster.Images, new ClusterImageSpec { Reference = other, Size = "32Mi", LayerCount = 2, Platforms = ["linux/amd64"] }];
        await using var lab = await TestLab.StartAsync(options, simulate: true);
        using var client = lab.Client();
        var holder = SeedPod.Build(new SeedPodOptions
        {
            Namespace = "default", RunId = "r2", Image = Shellless, Digest = "sha256:unused", Role = SeedPod.PrePullRole, PodName = "clydeps-prepull-test-node-000",
        }, "node-000", 0);
        await client.CoreV1.CreateNamespacedPodAsync(holder, "default");
        Assert.Equal("Succeeded", (await WaitDoneAsync(client, holder.Metadata.Name)).Status.Phase);
        var seed = SeedPod.Build(new SeedPodOptions { Namespace = "default", RunId = "r3", Image = other, Digest = "sha256:unused" }, "node-000", 5);
        await client.CoreV1.CreateNamespacedPodAsync(seed, "default");
        Assert.Equal("Succeeded", (await WaitDoneAsync(client, seed.Metadata.Name)).Status.Phase);
        await client.CoreV1.DeleteNamespacedPodAsync(seed.Metadata.Name, "default", gracePeriodSeconds: 0);

        var shellless = lab.Host.Images.Resolve(Shellless)!.Digest;
        var otherDigest = lab.Host.Images.Resolve(other)!.Digest;
        bool Lists(V1Node n, string digest) => n.Status.Images.Any(i => i.Names.Any(x => x.EndsWith("@" + digest, StringComparison.Ordinal)));
        await Wait.Until(async () =>
        {
            var n = await client.CoreV1.ReadNodeAsync("node-000");
            var pods = await client.CoreV1.ListNamespacedPodAsync("default");
            return Lists(n, shellless) && Lists(n, otherDigest) && pods.Items.All(p => p.Metadata.Name != seed.Metadata.Name);
        }, "node-000 lists both images and the seed pod is gone", 30);

        var gc = ClydePS.Lab.Kubelet.ImageGarbageCollector.Collect(lab.Host, "node-000");
        Assert.Contains(gc.Removed, n => n.EndsWith("@" + otherDigest, StringComparison.Ordinal));
        Assert.DoesNotContain(gc.Removed, n => n.EndsWith("@" + shellless, StringComparison.Ordinal));
        var after = await client.CoreV1.ReadNodeAsync("node-000");
        Assert.True(Lists(after, shellless));
        Assert.False(Lists(after, otherDigest));
        Assert.True(lab.Host.ImagePuller.IsPresent("node-000", Shellless));
        Assert.False(lab.Host.ImagePuller.IsPresent("node-000", other));

        // Once the holder goes too, the next collection takes its image.
        await client.CoreV1.DeleteNamespacedPodAsync(holder.Metadata.Name, "default", gracePeriodSeconds: 0);
        await Wait.Until(async () => (await client.CoreV1.ListNamespacedPodAsync("default")).Items.All(p => p.Metadata.Name != holder.Metadata.Name), "holder gone", 30);
        ClydePS.Lab.Kubelet.ImageGarbageCollector.Collect(lab.Host, "node-000");
        Assert.False(lab.Host.ImagePuller.IsPresent("node-000", Shellless));
    }

    [Fact]
    public async Task WithoutTheHelperVolumeTheSeedCommandCannotStart()
    {
        await using var lab = await TestLab.StartAsync(Options(), simulate: true);
        using var client = lab.Client();
        var pod = SeedPodFor("node-001", 1);
        pod.Spec.Containers[0].VolumeMounts = null;
        await client.CoreV1.CreateNamespacedPodAsync(pod, "default");
        var done = await WaitDoneAsync(client, pod.Metadata.Name);
        Assert.Equal("Failed", done.Status.Phase);
        var term = Assert.Single(done.Status.ContainerStatuses).State.Terminated;
        Assert.Equal("StartError", term.Reason);
        Assert.Contains(SeedPod.HelperBinary, term.Message);
    }

    [Fact]
    public async Task WithoutAShellImageTheOrdinaryCommandFails()
    {
        await using var lab = await TestLab.StartAsync(Options(), simulate: true);
        using var client = lab.Client();
        var pod = SeedPodFor("node-000", 2);
        pod.Metadata.Labels.Remove("clydeps.io/role");
        pod.Spec.InitContainers = null;
        pod.Spec.Containers[0].Command = ["sh", "-c", "echo Pulled"]; // the original tool's seed command
        await client.CoreV1.CreateNamespacedPodAsync(pod, "default");
        var done = await WaitDoneAsync(client, pod.Metadata.Name);
        Assert.Equal("Failed", done.Status.Phase);
        Assert.Equal("StartError", Assert.Single(done.Status.ContainerStatuses).State.Terminated.Reason);
        Assert.Null(ClydePS.Engine.Kube.LabInfo.PulledBytes(done.Metadata.Annotations, SeedPod.ContainerName));   // only seed pods are annotated
    }
}
