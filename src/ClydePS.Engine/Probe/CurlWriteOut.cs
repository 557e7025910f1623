using System.Globalization;

namespace ClydePS.Engine.Probe;

/// <summary>
/// The probe pod's output contract: curl's write-out
/// <c>%{speed_download} %{http_code} %{size_download} %{time_total} %{time_starttransfer}</c>, one line per sample
/// (speed in bytes/s, times in seconds). A failed curl prints status 000.
/// </summary>
public static class CurlWriteOut
{
    public const string Format = "%{speed_download} %{http_code} %{size_download} %{time_total} %{time_starttransfer}";

    /// <summary>Parses one line into a sample; null for a line that is not a write-out line (pod log noise).</summary>
    /// <param name="curlExitCode">curl's exit code when the pod reports it; 28 (timeout) with bytes is a time-limited success.</param>
    public static ClydeProbeSample? Parse(string? line, string prober, DateTimeOffset start, int? curlExitCode = null)
    {
        var parts = (line ?? "").Trim().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is < 4 or > 5)
        {
            return null;
        }
        if (!double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var speed)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status)
            || !double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var size)
            || !double.TryParse(parts[3], NumberStyles.Float, CultureInfo.InvariantCulture, out var total))
        {
            return null;
        }
        double? ttfbMs = null;
        if (parts.Length == 5 && double.TryParse(parts[4], NumberStyles.Float, CultureInfo.InvariantCulture, out var start2) && status != 0)
        {
            ttfbMs = start2 * 1000;
        }
        var bytes = (long)size;
        string? error = status == 0 ? "no response (curl failed)" : ProbeMetrics.IsSuccess(status, bytes) ? null : $"HTTP {status}";
        var sample = ProbeMetrics.Sample(prober, start, status, bytes, total, ttfbMs, error, timeLimited: curlExitCode == 28);
        // curl's own speed is bytes / total time: use it when the times were rounded to zero.
        return sample.Success && total <= 0
            ? new ClydeProbeSample
            {
                Prober = sample.Prober, Start = sample.Start, StatusCode = status, Bytes = bytes, Seconds = total, TimeToFirstByteMs = ttfbMs,
                Success = true, BandwidthMBps = speed / ProbeMetrics.BytesPerMB, TimeLimited = sample.TimeLimited,
            }
            : sample;
    }

    public static IReadOnlyList<ClydeProbeSample> ParseAll(IEnumerable<string> lines, string prober, DateTimeOffset firstStart, TimeSpan interval)
    {
        var samples = new List<ClydeProbeSample>();
        foreach (var line in lines)
        {
            var sample = Parse(line, prober, firstStart + interval * samples.Count);
            if (sample is not null)
            {
                samples.Add(sample);
            }
        }
        return samples;
    }
}
