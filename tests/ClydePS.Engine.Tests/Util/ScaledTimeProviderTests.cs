using ClydePS.Engine.Kube;
using ClydePS.Engine.Tests.Kube;
using ClydePS.Engine.Util;

namespace ClydePS.Engine.Tests.Util;

public sealed class ScaledTimeProviderTests
{
    [Fact]
    public void ClockRunsScaleTimesFaster()
    {
        var manual = new ManualTimeProvider { AutoAdvance = false };
        var start = new DateTimeOffset(2030, 5, 1, 12, 0, 0, TimeSpan.Zero);
        var scaled = new ScaledTimeProvider(60, manual, start);
        Assert.Equal(start, scaled.GetUtcNow());
        var ts = scaled.GetTimestamp();
        manual.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(start.AddMinutes(2), scaled.GetUtcNow());
        Assert.Equal(TimeSpan.FromMinutes(2), scaled.GetElapsedTime(ts));
    }

    [Fact]
    public async Task DelaysAreShorterOnTheUnderlyingClock()
    {
        var manual = new ManualTimeProvider { AutoAdvance = true };
        var scaled = new ScaledTimeProvider(10, manual);
        await Task.Delay(TimeSpan.FromSeconds(30), scaled);
        Assert.Equal([TimeSpan.FromSeconds(3)], manual.Delays);
        Assert.Equal(TimeSpan.FromSeconds(3), manual.Elapsed);
    }

    [Fact]
    public async Task RealTimersFireEarly()
    {
        var scaled = new ScaledTimeProvider(1000);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(20), scaled); // 20 ms of wall time
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Equal(Timeout.InfiniteTimeSpan, scaled.ToInner(Timeout.InfiniteTimeSpan));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ScaledTimeProvider(0));
    }

    [Fact]
    public void GatewayFollowsTheLabTimeScale()
    {
        using var dir = new TempDir();
        string Config(string scale) => dir.Write($"config-{scale}", $$"""
            apiVersion: v1
            kind: Config
            current-context: lab
            clusters:
            - name: lab
              cluster:
                server: http://127.0.0.1:5000
                extensions:
                - name: clydeps.io/lab
                  extension: {timeScale: {{scale}}}
            contexts:
            - name: lab
              context: {cluster: lab, user: u}
            users:
            - name: u
              user: {token: t0ken-value}
            """);
        var env = new FakeKubeEnvironment();
        using var fast = ClusterGateway.Connect(new KubeconfigOptions([Config("30")]), new GatewayOptions { Environment = env });
        Assert.Equal(30, Assert.IsType<ScaledTimeProvider>(fast.LabTime).TimeScale);
        using var real = ClusterGateway.Connect(new KubeconfigOptions([Config("1")]), new GatewayOptions { Environment = env });
        Assert.Same(real.TimeProvider, real.LabTime);
    }
}
