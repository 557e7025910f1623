namespace ClydePS.Engine.Probe;

/// <summary>
/// The probe metrics of ARCHITECTURE.md "Definitions". Bandwidth: the mean of the successful samples' own
/// bandwidths (bytes / seconds, in MB/s of 1,048,576 bytes), so each sample counts once whatever its size.
/// Drop rate: failed samples / all samples x 100.
/// </summary>
public static class ProbeMetrics
{
    public const double BytesPerMB = 1_048_576d;

    /// <summary>Whether a sample succeeds: status 200 or 206 and at least one byte.</summary>
    public static bool IsSuccess(int statusCode, long bytes) => statusCode is 200 or 206 && bytes > 0;

    public static double BandwidthMBps(long bytes, double seconds) => seconds > 0 && bytes > 0 ? bytes / seconds / BytesPerMB : 0;

    public static double MeanBandwidthMBps(IEnumerable<ClydeProbeSample> samples)
    {
        var ok = samples.Where(s => s.Success).ToList();
        return ok.Count == 0 ? 0 : ok.Average(s => s.BandwidthMBps);
    }

    public static double DropRatePct(IReadOnlyCollection<ClydeProbeSample> samples) =>
        samples.Count == 0 ? 0 : samples.Count(s => !s.Success) * 100d / samples.Count;

    /// <summary>Builds one sample, deciding success and bandwidth by the definitions.</summary>
    public static ClydeProbeSample Sample(string prober, DateTimeOffset start, int statusCode, long bytes, double seconds, double? ttfbMs, string? error, bool timeLimited = false)
    {
        var success = IsSuccess(statusCode, bytes) && error is null || IsSuccess(statusCode, bytes) && timeLimited;
        return new ClydeProbeSample
        {
            Prober = prober,
            Start = start,
            StatusCode = statusCode,
            Bytes = bytes,
            Seconds = seconds,
            TimeToFirstByteMs = ttfbMs,
            Error = error,
            Success = success,
            BandwidthMBps = success ? BandwidthMBps(bytes, seconds) : 0,
            TimeLimited = timeLimited,
        };
    }
}
