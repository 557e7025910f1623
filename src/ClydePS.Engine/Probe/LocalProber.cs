using System.Net.Http.Headers;
using ClydePS.Engine.Registry;

namespace ClydePS.Engine.Probe;

/// <summary>What a probe does: sample size, how often, for how long, and the health thresholds.</summary>
public sealed record ProbeOptions
{
    /// <summary>Bytes asked for per sample (a Range request); default 8 MiB.</summary>
    public long SampleBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>One sample starts every Interval; it is also the sample's time limit, so samples never overlap.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long sampling goes on: Duration / Interval samples per prober.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    public HealthThresholds Thresholds { get; init; } = new();
}

/// <summary>
/// Probes a registry from this machine: one prober, one sample at a time (concurrency 1), a sample every
/// <see cref="ProbeOptions.Interval"/> for <see cref="ProbeOptions.Duration"/>. Each sample is a Range GET of the
/// blob through the registry client (same auth, mirrors and TLS settings); the time to first byte is measured
/// when the response headers arrive.
/// </summary>
public sealed class LocalProber(RegistryClient client, TimeProvider? timeProvider = null)
{
    public const string ProberName = "local";

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    public async Task<IReadOnlyList<ClydeProbeSample>> RunAsync(
        ImageReference image, string blobDigest, ProbeOptions options, Action<ClydeProbeSample>? onSample, CancellationToken cancellationToken)
    {
        // Not a sample: settles the scheme, the mirror and the token, so the first sample measures the transfer only.
        using (await client.SendAsync(image, HttpMethod.Head, "blobs/" + blobDigest, null, null, cancellationToken).ConfigureAwait(false))
        {
        }

        var samples = new List<ClydeProbeSample>();
        var begin = _time.GetTimestamp();
        var slot = 0;
        while (options.Interval * slot < options.Duration)
        {
            var due = options.Interval * slot;
            var elapsed = _time.GetElapsedTime(begin);
            if (elapsed < due)
            {
                await Task.Delay(due - elapsed, _time, cancellationToken).ConfigureAwait(false);
            }
            var sample = await SampleAsync(image, blobDigest, options, cancellationToken).ConfigureAwait(false);
            samples.Add(sample);
            onSample?.Invoke(sample);
            // A slot missed while a sample ran is skipped, never made up by a burst.
            slot = Math.Max(slot + 1, (int)Math.Ceiling(_time.GetElapsedTime(begin) / options.Interval));
        }
        return samples;
    }

    /// <summary>One sample: a GET of the first SampleBytes of the blob, cut at the interval.</summary>
    public async Task<ClydeProbeSample> SampleAsync(ImageReference image, string blobDigest, ProbeOptions options, CancellationToken cancellationToken)
    {
        var start = _time.GetUtcNow();
        var began = _time.GetTimestamp();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(options.Interval);
        var status = 0;
        long bytes = 0;
        double? ttfb = null;
        string? error = null;
        var timeLimited = false;
        try
        {
            using var response = await client.SendAsync(image, HttpMethod.Get, "blobs/" + blobDigest,
                r =>
                {
                    r.Headers.Range = new RangeHeaderValue(0, options.SampleBytes - 1);
                    // A fresh connection per sample, as curl in a probe pod makes: a reset of a reused connection
                    // would otherwise be retried silently by the HTTP stack and hide a drop.
                    r.Headers.ConnectionClose = true;
                }, options.Interval, limit.Token, retry: false).ConfigureAwait(false);
            ttfb = _time.GetElapsedTime(began).TotalMilliseconds;
            status = (int)response.Message.StatusCode;
            await using var body = await response.Message.Content.ReadAsStreamAsync(limit.Token).ConfigureAwait(false);
            var buffer = new byte[128 * 1024];
            int read;
            while (bytes < options.SampleBytes && (read = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, options.SampleBytes - bytes)), limit.Token).ConfigureAwait(false)) > 0)
            {
                bytes += read;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            timeLimited = true;
            if (ttfb is null)
            {
                error = "no response within the interval";
            }
        }
        catch (ClydeException e) when (!cancellationToken.IsCancellationRequested)
        {
            status = e.StatusCode ?? 0;
            error = $"{e.ErrorId}: {e.Message}";
            timeLimited = e.Kind == ClydeErrorKind.Timeout;
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            error = client.Options.Redactor.Redact(e.Message);
        }
        var seconds = _time.GetElapsedTime(began).TotalSeconds;
        return ProbeMetrics.Sample(ProberName, start, status, bytes, seconds, ttfb, error, timeLimited && ttfb is not null);
    }

    /// <summary>Sums samples up into a result with the health verdict.</summary>
    /// <param name="failures">In-cluster: per-node failure reasons, added to the result and its Reason.</param>
    /// <param name="probers">The probers in order (default: those that appear in the samples).</param>
    public static ClydeProbeResult Summarize(ClydeImage image, ClydeImageLayer blob, ProbeMode mode, ProbeOptions options, DateTimeOffset started, IReadOnlyList<ClydeProbeSample> samples,
        IReadOnlyDictionary<string, string>? failures = null, IReadOnlyList<string>? probers = null, string? ns = null)
    {
        var verdict = HealthDecision.Decide(samples, options.Thresholds);
        var reason = verdict.Reason;
        if (failures is { Count: > 0 })
        {
            reason += " Failed probers: " + string.Join("; ", failures.Select(f => $"{f.Key}: {f.Value}")) + ".";
        }
        return new ClydeProbeResult
        {
            Image = image.Image,
            BlobDigest = blob.Digest,
            BlobSizeBytes = blob.SizeBytes,
            Mode = mode,
            Probers = probers?.ToArray() ?? samples.Select(s => s.Prober).Distinct().ToArray(),
            Samples = samples.Count,
            FailedSamples = samples.Count(s => !s.Success),
            BandwidthMBps = Math.Round(verdict.BandwidthMBps, 3),
            JitterMs = verdict.JitterMs is { } j ? Math.Round(j, 3) : null,
            DropRatePct = Math.Round(verdict.DropRatePct, 3),
            Healthy = verdict.Healthy,
            Decided = verdict.Decided,
            Reason = reason,
            Failures = failures ?? new Dictionary<string, string>(),
            Namespace = ns,
            BandwidthThreshold = options.Thresholds.BandwidthMBps,
            JitterThreshold = options.Thresholds.JitterMs,
            DropThreshold = options.Thresholds.DropRatePct,
            SampleBytes = options.SampleBytes,
            Interval = options.Interval,
            Duration = options.Duration,
            Started = started,
            SampleRecords = samples.ToArray(),
        };
    }
}
