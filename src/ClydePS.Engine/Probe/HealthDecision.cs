namespace ClydePS.Engine.Probe;

/// <summary>Thresholds of the health decision; the defaults are clydectl's (50 MB/s, 20 ms, 1 %).</summary>
public sealed record HealthThresholds(double BandwidthMBps = 50, double JitterMs = 20, double DropRatePct = 1)
{
    /// <summary>Fewer successful samples than this leave the decision open (and the network unhealthy).</summary>
    public const int MinimumSuccessfulSamples = 3;
}

/// <summary>The verdict over a set of samples.</summary>
public sealed record HealthVerdict(bool Healthy, bool Decided, double BandwidthMBps, double? JitterMs, double DropRatePct, string Reason);

/// <summary>
/// Healthy = bandwidth &gt;= threshold AND jitter &lt;= threshold AND drop rate &lt;= threshold. With fewer than
/// <see cref="HealthThresholds.MinimumSuccessfulSamples"/> successful samples the verdict is undecided and unhealthy:
/// too little evidence to widen seeding on.
/// </summary>
public static class HealthDecision
{
    public static HealthVerdict Decide(IReadOnlyCollection<ClydeProbeSample> samples, HealthThresholds thresholds)
    {
        var bandwidth = ProbeMetrics.MeanBandwidthMBps(samples);
        var jitter = JitterEstimator.Estimate(samples);
        var drop = ProbeMetrics.DropRatePct(samples);
        var successful = samples.Count(s => s.Success);
        if (successful < HealthThresholds.MinimumSuccessfulSamples)
        {
            return new HealthVerdict(false, false, bandwidth, jitter, drop,
                $"Undecided: {successful} of {samples.Count} samples succeeded; at least {HealthThresholds.MinimumSuccessfulSamples} are needed.");
        }
        var problems = new List<string>();
        if (bandwidth < thresholds.BandwidthMBps)
        {
            problems.Add($"bandwidth {bandwidth:0.##} MB/s < {thresholds.BandwidthMBps:0.##} MB/s");
        }
        if (jitter is { } j && j > thresholds.JitterMs)
        {
            problems.Add($"jitter {j:0.#} ms > {thresholds.JitterMs:0.#} ms");
        }
        if (drop > thresholds.DropRatePct)
        {
            problems.Add($"drop rate {drop:0.#} % > {thresholds.DropRatePct:0.#} %");
        }
        return problems.Count == 0
            ? new HealthVerdict(true, true, bandwidth, jitter, drop, "Healthy: bandwidth, jitter and drop rate are within the thresholds.")
            : new HealthVerdict(false, true, bandwidth, jitter, drop, "Unhealthy: " + string.Join("; ", problems) + ".");
    }
}
