using ClydePS.Engine.Probe;
using ClydePS.Lab.Cluster;
using ClydePS.Lab.Faults;
using ClydePS.Lab.Kubelet;
using ClydePS.Lab.Roles;
using k8s.Models;

namespace ClydePS.Lab.Tests;

public class ProbeRoleTests
{
    const string Image = "example.com/big/model:1";
    const long MiB = 1024 * 1024;

    static LabOptions Options() => new()
    {
        TimeScale = 10,
        Simulate = false,
        Cluster = new ClusterSpec
        {
            Seed = 9,
            NodeGroups = [new NodeGroupSpec { Count = 2 }],
            Network = new NetworkSpec { RegistryBandwidthMBps = 1000, NatBandwidthMBps = 1000, NodeBandwidthMBps = 40 },
            Images = [new ClusterImageSpec { Reference = Image, Size = "512Mi", LayerCount = 2, Platforms = ["linux/amd64"] }],
        },
    };

    static (V1Pod Pod, ProbeCommandSpec Spec) ProbePodFor(LabHost lab, int samples, double intervalSeconds, long sampleBytes)
    {
        var layer = lab.Images.Resolve(Image)!.ForArchitecture("amd64")!.Layers[0];
        var pod = ProbePod.Build(new ProbePodOptions
        {
            Namespace = "default",
            RunId = "t1",
            BlobUrl = $"{lab.Url}/v2/big/model/blobs/{layer.Digest}?ns=example.com",
            SampleBytes = sampleBytes,
            Interval = TimeSpan.FromSeconds(intervalSeconds),
            Duration = TimeSpan.FromSeconds(intervalSeconds * samples),
        }, "node-000", 0);
        return (pod, ProbeCommand.TryParse(pod.Spec.Containers[0].Command.ToList())!);
    }

    static async Task<List<(DateTime At, string Line)>> RunAsync(LabHost lab, V1Pod pod)
    {
        var ctx = new ProgramContext
        {
            Lab = lab, Pod = pod, Container = pod.Spec.Containers[0], IsInit = false, HasShell = true,
            Argv = pod.Spec.Containers[0].Command.ToList(),
        };
        var program = Assert.IsType<ProbeProgram>(lab.Programs.Choose(ctx));
        var lines = new List<(DateTime, string)>();
        var run = new ProgramRun(lab, pod, pod.Spec.Containers[0], line => { lock (lines) lines.Add((lab.Clock.UtcNow, line)); }, CancellationToken.None);
        Assert.Equal(0, await program.RunAsync(run).WaitAsync(TimeSpan.FromSeconds(30)));
        return lines;
    }

    [Fact]
    public async Task PrintsOneCurlLinePerIntervalAtTheModelledBandwidth()
    {
        await using var lab = await LabHost.StartAsync(Options());
        var (pod, spec) = ProbePodFor(lab, samples: 5, intervalSeconds: 1, sampleBytes: 16 * MiB);
        var t0 = lab.Clock.UtcNow;
        var lines = await RunAsync(lab, pod);
        var elapsed = (lab.Clock.UtcNow - t0).TotalSeconds;
        Assert.Equal(5, lines.Count);
        Assert.True(elapsed >= 4.9, $"the loop ends after its last interval (Lab time), not after {elapsed} s");
        var samples = lines.Select(l => CurlWriteOut.Parse(l.Line, "node-000", default)!).ToList();
        foreach (var s in samples)
        {
            Assert.True(s.Success);
            Assert.Equal(206, s.StatusCode);
            Assert.InRange(s.BandwidthMBps, 1, 40 * 1.001); // never faster than the node's 40 MB/s downlink
        }
        // most samples run at the downlink's rate (a sample whose completion the busy test host notices after
        // --max-time reports what had arrived by then, as curl does)
        // (the bound above is the model's hard limit; these are loose because the Lab's clock follows the wall clock)
        var median = samples.Select(s => s.BandwidthMBps).Order().ElementAt(samples.Count / 2);
        Assert.InRange(median, 40 * 0.5, 40 * 1.001);
        Assert.Contains(samples, s => s.Bytes == 16 * MiB);
        // the log lines come in order (their timestamps are when the kubelet wrote them, not when each sample began)
        Assert.Equal(lines.Select(l => l.At).Order(), lines.Select(l => l.At));
        Assert.Equal(spec.Url, ProbeCommand.TryParse(pod.Spec.Containers[0].Command.ToList())!.Url);
    }

    [Fact]
    public async Task RegistryFaultsGiveDropsJitterAndSlowdown()
    {
        await using var lab = await LabHost.StartAsync(Options());
        lab.Faults.Set(new FaultPlan { Registry = new RegistryFault { SlowdownFactor = 100, JitterMs = 300, DropRate = 0.5 } });
        var (pod, _) = ProbePodFor(lab, samples: 12, intervalSeconds: 1, sampleBytes: 4 * MiB);
        var lines = await RunAsync(lab, pod);
        Assert.Equal(12, lines.Count);
        var samples = lines.Select((l, i) => CurlWriteOut.Parse(l.Line, "node-000", DateTimeOffset.UnixEpoch.AddSeconds(i))!).ToList();
        var dropped = samples.Where(s => !s.Success).ToList();
        Assert.InRange(dropped.Count, 2, 10);
        Assert.All(dropped, s => Assert.Equal(0, s.StatusCode));
        Assert.All(lines.Where(l => l.Line.Split(' ')[1] == "000"), l => Assert.Matches(@"^0 000 0 \d+\.\d{6} 0\.000000$", l.Line));
        var ok = samples.Where(s => s.Success).ToList();
        // 1000 / 100 = 10 MB/s of registry egress; a sample also waits its first byte
        Assert.All(ok, s => Assert.InRange(s.BandwidthMBps, 0.5, 10.01));
        Assert.True(JitterEstimator.Estimate(samples) > 20, "the registry fault's jitter shows in the time to first byte");
    }

    [Fact]
    public void OnlyTheProbeRoleWithTheEnginesCommandIsRecognised()
    {
        var argv = ProbeCommand.Build(new ProbeCommandSpec("http://x/v2/a/blobs/sha256:1", TimeSpan.FromSeconds(1), 10, 2, null));
        V1Pod Pod(string? role) => new()
        {
            Metadata = new V1ObjectMeta { Name = "p", Labels = role is null ? null : new Dictionary<string, string> { ["clydeps.io/role"] = role } },
            Spec = new V1PodSpec { NodeName = "node-000", RestartPolicy = "Never", Containers = [new V1Container { Name = "probe", Image = "curl" }] },
        };
        ProgramContext Ctx(LabHost lab, V1Pod pod, IReadOnlyList<string> args, bool shell = true) => new()
        {
            Lab = lab, Pod = pod, Container = pod.Spec.Containers[0], IsInit = false, HasShell = shell, Argv = args,
        };
        var lab = (LabHost)System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(typeof(LabHost));
        Assert.Null(ProbeRole.Recognize(Ctx(lab, Pod("probe"), argv))); // no transfer model: the unknown-program rule applies
        Assert.Equal("sha256:1", ProbeRole.BlobDigest("http://x/v2/a/blobs/sha256:1?ns=docker.io"));
        Assert.Equal("0 000 0 0.050000 0.000000", ProbeRole.Line(0, 0, 0.05, 0));
        Assert.Equal("10485760 206 1048576 0.100000 0.001000", ProbeRole.Line(1048576, 206, 0.1, 0.001));
    }

    [Fact]
    public async Task RecognisesByRoleAndCommandOnly()
    {
        await using var lab = await LabHost.StartAsync(Options());
        var (pod, _) = ProbePodFor(lab, 2, 1, MiB);
        var argv = pod.Spec.Containers[0].Command.ToList();
        ProgramContext Ctx(V1Pod p, IReadOnlyList<string> args, bool shell = true) => new()
        {
            Lab = lab, Pod = p, Container = p.Spec.Containers[0], IsInit = false, HasShell = shell, Argv = args,
        };
        Assert.IsType<ProbeProgram>(ProbeRole.Recognize(Ctx(pod, argv)));
        Assert.IsType<StartErrorProgram>(ProbeRole.Recognize(Ctx(pod, argv, shell: false)));
        Assert.Null(ProbeRole.Recognize(Ctx(pod, ["sh", "-c", "sleep 1"])));
        var other = new V1Pod { Metadata = new V1ObjectMeta { Name = "x", Labels = new Dictionary<string, string> { ["clydeps.io/role"] = "seed" } }, Spec = pod.Spec };
        Assert.Null(ProbeRole.Recognize(Ctx(other, argv)));
    }
}
