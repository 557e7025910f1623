namespace ClydePS.Engine.Probe;

/// <summary>
/// Jitter as RFC 3550 means it, without its smoothing: per prober, the mean absolute difference in ms between
/// the time-to-first-byte of consecutive successful samples (in the order taken); then the mean over the
/// probers that have at least two successful samples. Null when no prober has two.
/// </summary>
public static class JitterEstimator
{
    public static double? Estimate(IEnumerable<ClydeProbeSample> samples)
    {
        var perProber = new List<double>();
        foreach (var group in samples.GroupBy(s => s.Prober, StringComparer.Ordinal))
        {
            var ttfb = group.Where(s => s.Success && s.TimeToFirstByteMs.HasValue)
                .OrderBy(s => s.Start)
                .Select(s => s.TimeToFirstByteMs!.Value)
                .ToList();
            if (ttfb.Count < 2)
            {
                continue;
            }
            var sum = 0d;
            for (var i = 1; i < ttfb.Count; i++)
            {
                sum += Math.Abs(ttfb[i] - ttfb[i - 1]);
            }
            perProber.Add(sum / (ttfb.Count - 1));
        }
        return perProber.Count == 0 ? null : perProber.Average();
    }
}
