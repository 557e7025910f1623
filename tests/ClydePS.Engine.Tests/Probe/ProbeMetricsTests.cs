using ClydePS.Engine.Probe;

namespace ClydePS.Engine.Tests.Probe;

public sealed class ProbeMetricsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static ClydeProbeSample S(string prober, int i, int status, long bytes, double seconds, double? ttfb) =>
        ProbeMetrics.Sample(prober, T0.AddSeconds(i), status, bytes, seconds, ttfb, ProbeMetrics.IsSuccess(status, bytes) ? null : "failed");

    [Fact]
    public void JitterIsTheMeanAbsoluteTtfbDifferencePerProberAveragedOverProbers()
    {
        ClydeProbeSample[] samples =
        [
            S("a", 0, 206, 10, 1, 10), S("a", 1, 206, 10, 1, 30), S("a", 2, 0, 0, 1, null), S("a", 3, 206, 10, 1, 20),
            S("b", 0, 200, 10, 1, 5), S("b", 1, 206, 10, 1, 5),
            S("c", 0, 206, 10, 1, 100),
        ];
        // a: |30-10|, |20-30| -> 15 (the failed sample is skipped); b: 0; c: one sample, not counted.
        Assert.Equal(7.5, JitterEstimator.Estimate(samples));
        Assert.Null(JitterEstimator.Estimate([S("a", 0, 206, 10, 1, 10)]));
    }

    [Fact]
    public void BandwidthIsTheMeanOverSuccessfulSamplesInBinaryMB()
    {
        ClydeProbeSample[] samples = [S("a", 0, 206, 1_048_576, 1, 1), S("a", 1, 206, 3 * 1_048_576, 1, 1), S("a", 2, 500, 100, 1, 1)];
        Assert.Equal(2.0, ProbeMetrics.MeanBandwidthMBps(samples), 9);
        Assert.Equal(100d / 3, ProbeMetrics.DropRatePct(samples), 9);
        Assert.False(samples[2].Success);
        Assert.Equal(0, samples[2].BandwidthMBps);
    }

    [Theory]
    [InlineData(200, 1, true)]
    [InlineData(206, 5, true)]
    [InlineData(206, 0, false)]
    [InlineData(302, 5, false)]
    [InlineData(404, 5, false)]
    [InlineData(0, 0, false)]
    public void SuccessNeedsStatus200Or206AndBytes(int status, long bytes, bool success) => Assert.Equal(success, ProbeMetrics.IsSuccess(status, bytes));

    [Fact]
    public void HealthNeedsAllThreeWithinThresholdsAndThreeSuccesses()
    {
        var good = Enumerable.Range(0, 10).Select(i => S("a", i, 206, 100 * 1_048_576, 1, 10 + i % 2)).ToList();
        var verdict = HealthDecision.Decide(good, new HealthThresholds());
        Assert.True(verdict.Healthy);
        Assert.True(verdict.Decided);

        var slow = HealthDecision.Decide(good, new HealthThresholds(BandwidthMBps: 200));
        Assert.False(slow.Healthy);
        Assert.Contains("bandwidth", slow.Reason);

        var jittery = good.Select((s, i) => S("a", i, 206, 100 * 1_048_576, 1, i % 2 == 0 ? 10 : 60)).ToList();
        Assert.Contains("jitter", HealthDecision.Decide(jittery, new HealthThresholds()).Reason);

        var dropping = good.Take(9).Append(S("a", 10, 503, 0, 1, 1)).ToList();
        Assert.False(HealthDecision.Decide(dropping, new HealthThresholds()).Healthy);
        Assert.True(HealthDecision.Decide(dropping, new HealthThresholds(DropRatePct: 10)).Healthy);

        var few = HealthDecision.Decide(good.Take(2).ToList(), new HealthThresholds());
        Assert.False(few.Healthy);
        Assert.False(few.Decided);
    }

    [Fact]
    public void ParsesCurlWriteOutLines()
    {
        var ok = CurlWriteOut.Parse("52428800.000 206 8388608 0.160000 0.012000", "node-1", T0)!;
        Assert.True(ok.Success);
        Assert.Equal(206, ok.StatusCode);
        Assert.Equal(8388608, ok.Bytes);
        Assert.Equal(12, ok.TimeToFirstByteMs!.Value, 6);
        Assert.Equal(50, ok.BandwidthMBps, 6);
        Assert.Equal("node-1", ok.Prober);

        var failed = CurlWriteOut.Parse("0 000 0 0 0", "node-1", T0)!;
        Assert.False(failed.Success);
        Assert.Null(failed.TimeToFirstByteMs);

        var legacy = CurlWriteOut.Parse("1048576 200 1048576 1.0", "n", T0)!;
        Assert.True(legacy.Success);
        Assert.Null(legacy.TimeToFirstByteMs);

        Assert.False(CurlWriteOut.Parse("1000 403 12 0.1 0.1", "n", T0)!.Success);
        Assert.Null(CurlWriteOut.Parse("curl: (6) Could not resolve host", "n", T0));
        Assert.Null(CurlWriteOut.Parse("", "n", T0));

        var all = CurlWriteOut.ParseAll(["starting", "100 206 100 1 0.01", "0 000 0 0 0"], "n", T0, TimeSpan.FromSeconds(2));
        Assert.Equal(2, all.Count);
        Assert.Equal(T0.AddSeconds(2), all[1].Start);
    }
}
