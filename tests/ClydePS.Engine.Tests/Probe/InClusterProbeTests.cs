using ClydePS.Engine.Probe;
using ClydePS.Engine.Registry;

namespace ClydePS.Engine.Tests.Probe;

public class InClusterProbeTests
{
    static ProbePodOptions Options(string? secret = null) => new()
    {
        Namespace = "probes",
        RunId = "abc123",
        BlobUrl = "http://127.0.0.1:5000/v2/big/model/blobs/sha256:0123?ns=example.com",
        ImagePullSecret = secret,
        SampleBytes = 16 * 1024 * 1024,
        Interval = TimeSpan.FromMilliseconds(1500),
        Duration = TimeSpan.FromSeconds(10),
    };

    [Fact]
    public void CommandRoundTrips()
    {
        var spec = new ProbeCommandSpec("https://registry-1.docker.io/v2/library/nginx/blobs/sha256:ab", TimeSpan.FromMilliseconds(1500), 8 * 1024 * 1024, 7, ProbeCommand.SecretAuthFile);
        var argv = ProbeCommand.Build(spec);
        Assert.Equal(["sh", "-c"], argv.Take(2));
        Assert.Contains("curl -s -o /dev/null -K \"$CFG\" -r \"$RANGE\" --max-time \"$MAXTIME\" -w \"$FMT\" \"$URL\"", argv[2]);
        Assert.Contains("RANGE=0-8388607\n", argv[2]);
        Assert.Contains("INTERVAL=1.5\nMAXTIME=1.5\n", argv[2]);
        Assert.Equal(spec, ProbeCommand.TryParse(argv));
        Assert.Equal(TimeSpan.FromSeconds(10.5), ProbeCommand.TryParse(argv)!.Duration);

        var anonymous = spec with { AuthFile = null };
        Assert.Equal(anonymous, ProbeCommand.TryParse(ProbeCommand.Build(anonymous)));
    }

    [Fact]
    public void ParserRejectsAnythingElse()
    {
        var argv = ProbeCommand.Build(new ProbeCommandSpec("http://r/v2/a/blobs/sha256:1", TimeSpan.FromSeconds(1), 10, 3, null)).ToList();
        Assert.Null(ProbeCommand.TryParse(["sh", "-c", argv[2].Replace("sleep \"$INTERVAL\"", "sleep 9")]));
        Assert.Null(ProbeCommand.TryParse(["sh", "-c", argv[2].Replace("SAMPLES=3", "SAMPLES=$(x)")]));
        Assert.Null(ProbeCommand.TryParse(["sh", "-c", argv[2] + "rm -rf /\n"]));
        Assert.Null(ProbeCommand.TryParse(["bash", "-c", argv[2]]));
        Assert.Null(ProbeCommand.TryParse(["sh", "-c", "sleep 10"]));
        Assert.Null(ProbeCommand.TryParse(null));
        Assert.Throws<ArgumentException>(() => ProbeCommand.Build(new ProbeCommandSpec("http://r/'; rm -rf /", TimeSpan.FromSeconds(1), 10, 3, null)));
    }

    [Fact]
    public void SampleCountIsDurationOverIntervalRoundedUp()
    {
        Assert.Equal(10, ProbeCommand.SampleCount(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1)));
        Assert.Equal(7, ProbeCommand.SampleCount(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1.5)));
        Assert.Equal(1, ProbeCommand.SampleCount(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void PodIsPinnedLabelledAndBounded()
    {
        var pod = ProbePod.Build(Options(), "node-007", 3, ["dedicated=gpu:NoSchedule", "maintenance:NoExecute", "zone=x:NoExecute"]);
        Assert.Equal("clydeps-probe-abc123-3", pod.Metadata.Name);
        Assert.Equal("probes", pod.Metadata.NamespaceProperty);
        Assert.Equal("ClydePS", pod.Metadata.Labels["app.kubernetes.io/managed-by"]);
        Assert.Equal("abc123", pod.Metadata.Labels["clydeps.io/run"]);
        Assert.Equal("probe", pod.Metadata.Labels["clydeps.io/role"]);
        Assert.Equal("node-007", pod.Spec.NodeName);
        Assert.Equal("Never", pod.Spec.RestartPolicy);
        Assert.Equal((long)Math.Ceiling(7 * 1.5 + ProbePodOptions.StartAllowance.TotalSeconds), pod.Spec.ActiveDeadlineSeconds);
        Assert.False(pod.Spec.AutomountServiceAccountToken);
        var c = Assert.Single(pod.Spec.Containers);
        Assert.Equal(ProbePodOptions.DefaultImage, c.Image);
        var spec = ProbeCommand.TryParse(c.Command.ToList())!;
        Assert.Equal(Options().BlobUrl, spec.Url);
        Assert.Equal(7, spec.Samples);
        Assert.Null(spec.AuthFile);
        Assert.Null(pod.Spec.Volumes);
        // only the node's NoExecute taints are tolerated (nodeName bypasses the scheduler, so NoSchedule does not matter)
        Assert.Equal(2, pod.Spec.Tolerations.Count);
        Assert.Contains(pod.Spec.Tolerations, t => t.Key == "maintenance" && t.OperatorProperty == "Exists" && t.Effect == "NoExecute");
        Assert.Contains(pod.Spec.Tolerations, t => t.Key == "zone" && t.Value == "x" && t.OperatorProperty == "Equal");
        Assert.Null(ProbePod.Build(Options(), "n", 0).Spec.Tolerations);
    }

    [Fact]
    public void PullSecretIsMountedAndNamedForTheImage()
    {
        var pod = ProbePod.Build(Options("regcred"), "node-1", 0);
        var volume = Assert.Single(pod.Spec.Volumes);
        Assert.Equal("regcred", volume.Secret.SecretName);
        var mount = Assert.Single(pod.Spec.Containers[0].VolumeMounts);
        Assert.Equal(ProbeCommand.SecretMountPath, mount.MountPath);
        Assert.True(mount.ReadOnlyProperty);
        Assert.Equal("regcred", Assert.Single(pod.Spec.ImagePullSecrets).Name);
        Assert.Equal(ProbeCommand.SecretAuthFile, ProbeCommand.TryParse(pod.Spec.Containers[0].Command.ToList())!.AuthFile);
    }

    [Fact]
    public void BlobUrlGoesThroughTheMirrorWhenOneIsInUse()
    {
        var image = ImageReference.Parse("nginx:1.27");
        Assert.Equal("http://127.0.0.1:41000/v2/library/nginx/blobs/sha256:ab?ns=docker.io",
            ProbePod.BlobUrl(image, "sha256:ab", new Uri("http://127.0.0.1:41000/")));
        Assert.Equal("https://registry-1.docker.io/v2/library/nginx/blobs/sha256:ab", ProbePod.BlobUrl(image, "sha256:ab", null));
        Assert.Equal("https://ghcr.io/v2/o/app/blobs/sha256:ab", ProbePod.BlobUrl(ImageReference.Parse("ghcr.io/o/app:1"), "sha256:ab", null));
    }

    [Fact]
    public void TimestampedLogLinesBecomeSamplesThatStartedBeforeTheLine()
    {
        var s = InClusterProber.ParseLine("2026-01-02T03:04:05.500000000Z 41943040 206 8388608 0.200000 0.010000", "node-1")!;
        Assert.True(s.Success);
        Assert.Equal("node-1", s.Prober);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, 300, TimeSpan.Zero), s.Start);
        Assert.Equal(40, s.BandwidthMBps, 3);
        Assert.Equal(10, s.TimeToFirstByteMs!.Value, 3);
        var failed = InClusterProber.ParseLine("2026-01-02T03:04:05Z 0 000 0 0.050000 0.000000", "node-1")!;
        Assert.False(failed.Success);
        Assert.Null(InClusterProber.ParseLine("2026-01-02T03:04:05Z curl: (6) Could not resolve host", "node-1"));
    }
}
