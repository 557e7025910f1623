using ClydePS.Engine.Seeding;
using k8s.Models;

namespace ClydePS.Engine.Tests.Seeding;

public class SeedPodTests
{
    static SeedPodOptions Options() => new()
    {
        Namespace = "apps",
        RunId = "abc123",
        Image = "example.com/llm/server:v1",
        Digest = "sha256:" + new string('a', 64),
        Workload = "apps/llm",
        ImagePullSecrets = ["regcred"],
        Tolerations = [new V1Toleration { Key = "dedicated", OperatorProperty = "Equal", Value = "gpu", Effect = "NoSchedule" }],
        Deadline = TimeSpan.FromSeconds(90.2),
    };

    [Fact]
    public void IsPinnedLabelledAndAnnotated()
    {
        var pod = SeedPod.Build(Options(), "node-7", 3);
        Assert.Equal("clydeps-seed-abc123-3", pod.Metadata.Name);
        Assert.Equal("apps", pod.Metadata.NamespaceProperty);
        Assert.Equal("node-7", pod.Spec.NodeName);
        Assert.Equal("Never", pod.Spec.RestartPolicy);
        Assert.Equal(91, pod.Spec.ActiveDeadlineSeconds);
        Assert.False(pod.Spec.AutomountServiceAccountToken);
        Assert.Equal("ClydePS", pod.Metadata.Labels["app.kubernetes.io/managed-by"]);
        Assert.Equal("abc123", pod.Metadata.Labels["clydeps.io/run"]);
        Assert.Equal("seed", pod.Metadata.Labels["clydeps.io/role"]);
        Assert.Equal("node-7", pod.Metadata.Annotations["clydeps.io/node"]);
        Assert.Equal("apps/llm", pod.Metadata.Annotations[SeedPod.WorkloadAnnotation]);
        Assert.Equal(Options().Digest, pod.Metadata.Annotations[SeedPod.DigestAnnotation]);
        Assert.Equal("regcred", Assert.Single(pod.Spec.ImagePullSecrets).Name);
        Assert.Equal("dedicated", Assert.Single(pod.Spec.Tolerations).Key);
        Assert.Equal("clydeps.io/run=abc123,clydeps.io/role=seed", SeedPod.Selector("abc123"));
    }

    [Fact]
    public void RunsTheHelperBinaryNotTheImagesShell()
    {
        var pod = SeedPod.Build(Options() with { HelperImage = "mirror.local/busybox:1.36.1" }, "n", 0);
        var init = Assert.Single(pod.Spec.InitContainers);
        Assert.Equal("mirror.local/busybox:1.36.1", init.Image);
        Assert.Equal(["/bin/cp", "/bin/busybox", "/clydeps/busybox"], init.Command);
        var seed = Assert.Single(pod.Spec.Containers);
        Assert.Equal("seed", seed.Name);
        Assert.Equal("example.com/llm/server:v1", seed.Image);
        Assert.Equal(["/clydeps/busybox", "true"], seed.Command);
        Assert.DoesNotContain(seed.Command, a => a is "sh" or "/bin/sh");
        Assert.True(Assert.Single(seed.VolumeMounts).ReadOnlyProperty);
        Assert.NotNull(Assert.Single(pod.Spec.Volumes).EmptyDir);
        Assert.True(SeedPod.IsSeedPod(pod));
    }

    [Fact]
    public void OmitsOptionalPartsWhenNotGiven()
    {
        var pod = SeedPod.Build(new SeedPodOptions { Namespace = "default", RunId = "r", Image = "busybox", Digest = "sha256:x" }, "n", 0);
        Assert.Null(pod.Spec.Tolerations);
        Assert.Null(pod.Spec.ImagePullSecrets);
        Assert.Null(pod.Spec.ActiveDeadlineSeconds);
        Assert.False(pod.Metadata.Annotations.ContainsKey(SeedPod.WorkloadAnnotation));
    }

    [Theory]
    [InlineData(0L, null, 180)]
    [InlineData(1073741824L, null, 180 + 4 * 1024 / 5.0)]     // 1 GiB at the assumed 5 MB/s
    [InlineData(1073741824L, 100.0, 180 + 4 * 1024 / 100.0)]  // at a measured 100 MB/s
    [InlineData(1073741824L, 0.01, 180 + 4 * 1024 / 5.0)]     // a near-zero measurement falls back to the assumption
    public void PullTimeoutFollowsSizeAndBandwidth(long bytes, double? mbps, double expectedSeconds)
    {
        Assert.Equal(expectedSeconds, SeedExecutor.DerivePullTimeout(bytes, mbps).TotalSeconds, 3);
    }
}
