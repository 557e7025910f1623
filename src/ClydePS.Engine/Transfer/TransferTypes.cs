namespace ClydePS.Engine.Transfer;

/// <summary>Units of the transfer model. Bandwidths are given in MB/s where 1 MB = 1,048,576 bytes; time is in seconds.</summary>
public static class Bandwidth
{
    /// <summary>Bytes in one MB (MiB): 1,048,576.</summary>
    public const double BytesPerMB = 1_048_576;

    /// <summary>MB/s to bytes per second.</summary>
    public static double FromMBps(double mbps) => mbps * BytesPerMB;

    /// <summary>Bytes per second to MB/s.</summary>
    public static double ToMBps(double bytesPerSecond) => bytesPerSecond / BytesPerMB;
}

/// <summary>One layer (blob) of an image: its digest (<c>sha256:...</c>) and size in bytes.</summary>
public sealed record TransferLayer(string Digest, long SizeBytes);

/// <summary>Settings of a <see cref="TransferNetwork"/>. Every random choice is drawn from <see cref="Seed"/>.</summary>
public sealed class TransferNetworkOptions
{
    /// <summary>Registry egress, MB/s, shared max-min fairly by every concurrent registry download (default 500).</summary>
    public double RegistryBandwidthMBps { get; set; } = 500;

    /// <summary>P2P mirror: a layer a Ready mirror node holds completely is fetched from such a peer instead of the registry.</summary>
    public bool PeerToPeer { get; set; }

    /// <summary>Time to first byte of every transfer attempt (per link).</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Added to <see cref="Latency"/>: uniform in [0, Jitter), drawn per attempt.</summary>
    public TimeSpan Jitter { get; set; }

    /// <summary>Probability that one transfer attempt fails part way (at a uniformly drawn byte offset), 0..1.</summary>
    public double FailureRate { get; set; }

    /// <summary>Attempts per layer download before the pull fails (default 3). Each retry restarts the layer from byte 0.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Wait between a failed attempt and the next one (default 1 s).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Layers one pull downloads at the same time (containerd's max_concurrent_downloads, default 3).</summary>
    public int MaxConcurrentDownloadsPerPull { get; set; } = 3;

    /// <summary>Seed of the model's random draws (latency jitter, failures).</summary>
    public int Seed { get; set; } = 1;
}

/// <summary>How a pull ended.</summary>
public enum PullStatus { Running, Completed, Failed, Cancelled }

/// <summary>The outcome of a pull (never thrown: failures are a status).</summary>
public sealed record PullResult(
    string Node, string? Image, PullStatus Status, double StartTime, double EndTime,
    long TotalBytes, long BytesFromRegistry, long BytesFromPeers, string? Error)
{
    /// <summary>Seconds from start to end.</summary>
    public double Duration => EndTime - StartTime;
}

/// <summary>A layer became complete on a node (so, with P2P, shareable by its mirror). Peer is null when it came from the registry.</summary>
public sealed record LayerCompletedEvent(double Time, string Node, string Digest, long SizeBytes, string? Peer, long PullId);

/// <summary>A transfer attempt of a layer failed part way; <see cref="WillRetry"/> tells whether another attempt follows.</summary>
public sealed record LayerAttemptFailedEvent(double Time, string Node, string Digest, int Attempt, bool WillRetry, string? Peer);

/// <summary>Counters of a <see cref="TransferNetwork"/> since it was created.</summary>
public sealed class TransferStats
{
    /// <summary>Bytes delivered from the registry (completed and failed attempts, streams included).</summary>
    public long BytesFromRegistry { get; internal set; }
    /// <summary>Bytes delivered by peers (P2P).</summary>
    public long BytesFromPeers { get; internal set; }
    /// <summary>Layer transfers completed (from the registry or a peer).</summary>
    public int LayersCompleted { get; internal set; }
    public int LayersFromPeers { get; internal set; }
    public int FailedAttempts { get; internal set; }
    public int PullsCompleted { get; internal set; }
    public int PullsFailed { get; internal set; }
    /// <summary>Model events processed (transfer completions, failures, timers).</summary>
    public long Events { get; internal set; }
    /// <summary>Times the max-min fair rates were recomputed (once per batch of simultaneous events).</summary>
    public long RateComputations { get; internal set; }
    /// <summary>Flow rates computed in total (each computation covers only the flows connected to what changed).</summary>
    public long FlowsRecomputed { get; internal set; }
}
