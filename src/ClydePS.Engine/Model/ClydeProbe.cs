namespace ClydePS;

/// <summary>How a probe ran: from this machine (Local) or from probe pods on the cluster's nodes (InCluster).</summary>
public enum ProbeMode
{
    Local,
    InCluster,
}

/// <summary>
/// One probe sample: one bounded HTTP GET of the probed blob by one prober, cut at the sample size (a Range
/// request) or at the sample's time limit. It succeeds when the status is 200 or 206 and bytes &gt; 0; a
/// time-limited partial transfer is a success.
/// </summary>
public sealed class ClydeProbeSample
{
    /// <summary>Who sampled: <c>local</c>, or a node name in the in-cluster mode.</summary>
    public string Prober { get; init; } = "";
    public DateTimeOffset Start { get; init; }
    public long Bytes { get; init; }

    /// <summary>Whole sample time in seconds, from sending the request to the last byte read.</summary>
    public double Seconds { get; init; }

    /// <summary>Time to first byte in milliseconds (until the response headers arrived); null when none arrived.</summary>
    public double? TimeToFirstByteMs { get; init; }

    /// <summary>HTTP status; 0 when no response arrived.</summary>
    public int StatusCode { get; init; }
    public string? Error { get; init; }
    public bool Success { get; init; }

    /// <summary>Bytes / Seconds in MB/s (1 MB = 1,048,576 bytes); 0 for a failed sample.</summary>
    public double BandwidthMBps { get; init; }

    /// <summary>True when the sample ended at its time limit before reaching the sample size.</summary>
    public bool TimeLimited { get; init; }

    public override string ToString() => $"{Prober} {Start:HH:mm:ss.fff} {StatusCode} {Bytes} B {Seconds:0.###} s";
}

/// <summary>
/// The outcome of a probe (<c>Measure-ClydeRegistryProbe</c>): the metrics over all samples and the health
/// decision against the thresholds.
/// </summary>
public sealed class ClydeProbeResult
{
    public string Image { get; init; } = "";
    public string BlobDigest { get; init; } = "";
    public long BlobSizeBytes { get; init; }
    public ProbeMode Mode { get; init; }
    public string[] Probers { get; init; } = [];

    /// <summary>All samples taken, failed ones included.</summary>
    public int Samples { get; init; }
    public int FailedSamples { get; init; }
    public int SuccessfulSamples => Samples - FailedSamples;

    /// <summary>Mean bandwidth of the successful samples, MB/s (1 MB = 1,048,576 bytes); 0 without one.</summary>
    public double BandwidthMBps { get; init; }

    /// <summary>Mean absolute TTFB difference of consecutive successful samples per prober, averaged over probers (ms); null with fewer than two.</summary>
    public double? JitterMs { get; init; }

    /// <summary>Failed samples / all samples x 100.</summary>
    public double DropRatePct { get; init; }

    /// <summary>True when bandwidth, jitter and drop rate are all within the thresholds (and enough samples succeeded).</summary>
    public bool Healthy { get; init; }

    /// <summary>False when too few samples succeeded to decide (then Healthy is false).</summary>
    public bool Decided { get; init; }

    /// <summary>Why the probe is (un)healthy, in words.</summary>
    public string Reason { get; init; } = "";

    public double BandwidthThreshold { get; init; }
    public double JitterThreshold { get; init; }
    public double DropThreshold { get; init; }
    public long SampleBytes { get; init; }
    public TimeSpan Interval { get; init; }
    public TimeSpan Duration { get; init; }
    public DateTimeOffset Started { get; init; }

    /// <summary>In-cluster: why a prober (node) did not deliver all its samples (its missing samples count as dropped); empty otherwise.</summary>
    public IReadOnlyDictionary<string, string> Failures { get; init; } = new Dictionary<string, string>();

    /// <summary>In-cluster: the namespace the probe pods ran in; null for a local probe.</summary>
    public string? Namespace { get; init; }

    /// <summary>Every sample, in the order taken.</summary>
    public ClydeProbeSample[] SampleRecords { get; init; } = [];

    public override string ToString() => $"{Image}: {BandwidthMBps:0.##} MB/s, jitter {JitterMs:0.#} ms, drop {DropRatePct:0.#} % ({(Healthy ? "healthy" : "unhealthy")})";
}
