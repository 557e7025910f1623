using System.Globalization;
using ClydePS.Engine.Transfer;

namespace ClydePS.Engine.Seeding.Simulation;

/// <summary>What the simulator runs: Direct (no seeding: the DaemonSet at once, every node pulls), or a seeding policy.</summary>
public enum SimulatedStrategy
{
    Direct,
    Doubling,
    Adaptive,
    Pipelined,
}

/// <summary>One simulated node: its name and whether it reaches the registry directly (public) or through the NAT gateway.</summary>
public sealed record SimulatedNode(string Name, bool Public);

/// <summary>
/// The executor's and Kubernetes' own delays, charged by the simulator on top of the transfers. The defaults are
/// typical of a managed cluster with an idle control plane (seconds): a pod is scheduled and its sandbox started
/// about 3 s after it is created; the helper init container (a small static binary, usually cached) adds 2 s before
/// the seed image's pull starts; the executor's watch sees a pod's change about 1 s after it happened; the DaemonSet
/// controller creates and the kubelets start its pods about 3 s after the DaemonSet is applied; a container whose
/// image is on the node is running and available about 2 s later; a probe pod starts sampling 3 s after it is created.
/// </summary>
public sealed record SeedOverheads
{
    /// <summary>Seed pod creation until its node's kubelet starts it (API, scheduler, sandbox).</summary>
    public TimeSpan SeedPodStart { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The helper init container that copies the static seed binary, before the seed image is pulled.</summary>
    public TimeSpan HelperInit { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>From a pod's change (pull completed or failed) until the executor's watch delivers it to the policy.</summary>
    public TimeSpan WatchLatency { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>From applying the DaemonSet until a node's DaemonSet pod starts pulling.</summary>
    public TimeSpan DaemonSetPodStart { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>From the image being on the node until the DaemonSet pod is available.</summary>
    public TimeSpan ContainerStart { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Probe pod creation until its first sample starts.</summary>
    public TimeSpan ProbePodStart { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>kubelet's back-off before a DaemonSet pod's failed pull is tried again.</summary>
    public TimeSpan PullBackOff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>No executor overheads at all (transfers only).</summary>
    public static SeedOverheads None { get; } = new()
    {
        SeedPodStart = TimeSpan.Zero,
        HelperInit = TimeSpan.Zero,
        WatchLatency = TimeSpan.Zero,
        DaemonSetPodStart = TimeSpan.Zero,
        ContainerStart = TimeSpan.Zero,
        ProbePodStart = TimeSpan.Zero,
        PullBackOff = TimeSpan.Zero,
    };

    internal IReadOnlyDictionary<string, double> AsSeconds() => new Dictionary<string, double>
    {
        [nameof(SeedPodStart)] = SeedPodStart.TotalSeconds,
        [nameof(HelperInit)] = HelperInit.TotalSeconds,
        [nameof(WatchLatency)] = WatchLatency.TotalSeconds,
        [nameof(DaemonSetPodStart)] = DaemonSetPodStart.TotalSeconds,
        [nameof(ContainerStart)] = ContainerStart.TotalSeconds,
        [nameof(ProbePodStart)] = ProbePodStart.TotalSeconds,
        [nameof(PullBackOff)] = PullBackOff.TotalSeconds,
    };

    internal void Validate()
    {
        foreach (var (name, seconds) in AsSeconds())
        {
            if (seconds < 0 || double.IsNaN(seconds)) throw new ArgumentOutOfRangeException(name, seconds, $"{name} must not be negative.");
        }
    }
}

/// <summary>The inputs of one simulation (every strategy of a comparison uses the same).</summary>
public sealed record SeedSimulationInput
{
    /// <summary>The eligible nodes (none holds the image at the start).</summary>
    public required IReadOnlyList<SimulatedNode> Nodes { get; init; }

    /// <summary>The image's layers in pull order.</summary>
    public required IReadOnlyList<TransferLayer> Layers { get; init; }

    /// <summary>Registry egress, MB/s (1 MB = 1,048,576 bytes), shared by every registry download.</summary>
    public double RegistryBandwidthMBps { get; init; } = 500;

    /// <summary>Each node's download and upload bandwidth (NIC, disk and unpack), MB/s.</summary>
    public double NodeBandwidthMBps { get; init; } = 250;

    /// <summary>The private nodes' NAT gateway (one, shared), MB/s; null = not a constraint.</summary>
    public double? NatBandwidthMBps { get; init; }

    /// <summary>A P2P mirror (Spegel, Clyde) on every node shares complete layers.</summary>
    public bool PeerToPeer { get; init; }

    /// <summary>
    /// Whether the executor sees each layer complete on a seeding node (<see cref="SeedLayerCompletedEvent"/>, after
    /// WatchLatency). Default true. Kubernetes reports whole pulls only (kubelet's Pulling and Pulled events,
    /// node.status.images), so false forecasts what Start-ClydeSeed does on a real cluster or the Lab.
    /// </summary>
    public bool LayerProgress { get; init; } = true;

    /// <summary>
    /// Whether the Pipelined policy is told the bandwidths (registry, node), as Start-ClydeSeed is when it is given
    /// -RegistryBandwidthMBps and -NodeBandwidthMBps: it then sizes its registry lane from them and its followers'
    /// starts may be planned (<see cref="StartSchedulePlanner"/>). Null (the default) = as <see cref="LayerProgress"/>.
    /// </summary>
    public bool? BandwidthsKnown { get; init; }

    /// <summary>Whether the policy is told the bandwidths: <see cref="BandwidthsKnown"/>, else <see cref="LayerProgress"/>.</summary>
    public bool KnowsBandwidths => BandwidthsKnown ?? LayerProgress;

    /// <summary>Seed of every random draw (latency jitter, transfer failures, probe TTFB).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Time to first byte of each layer transfer attempt (default 0: negligible next to minutes-long pulls;
    /// with it, simultaneous pulls no longer end together and a run costs more rate computations).</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>Added to <see cref="Latency"/>, uniform in [0, Jitter), drawn per attempt.</summary>
    public TimeSpan Jitter { get; init; }

    /// <summary>A probe sample's time to first byte: this plus uniform [0, <see cref="ProbeJitter"/>) (default 10 ms).</summary>
    public TimeSpan ProbeLatency { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>The spread of the probe samples' time to first byte (default 5 ms), which the monitor reads as jitter.</summary>
    public TimeSpan ProbeJitter { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Probability that one layer transfer attempt fails part way (it is retried as containerd does).</summary>
    public double FailureRate { get; init; }

    /// <summary>Bytes one probe sample downloads at most (Measure-ClydeRegistryProbe's default, 8 MiB).</summary>
    public long ProbeSampleBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>The seeding policy's options (the strategy is set by the simulator).</summary>
    public SeedPolicyOptions Policy { get; init; } = new();

    public SeedOverheads Overheads { get; init; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> (or its subclass) for inputs no simulation can run.</summary>
    public void Validate()
    {
        if (Nodes is null || Nodes.Count == 0) throw new ArgumentException("At least one node is needed.", nameof(Nodes));
        if (Nodes.Select(n => n.Name).Distinct(StringComparer.Ordinal).Count() != Nodes.Count) throw new ArgumentException("Node names must be unique.", nameof(Nodes));
        if (Layers is null || Layers.Count == 0) throw new ArgumentException("The image needs at least one layer.", nameof(Layers));
        if (Layers.Any(l => l.SizeBytes <= 0)) throw new ArgumentOutOfRangeException(nameof(Layers), "Every layer must be larger than 0 bytes.");
        if (Layers.Select(l => l.Digest).Distinct(StringComparer.Ordinal).Count() != Layers.Count) throw new ArgumentException("Layer digests must be unique.", nameof(Layers));
        Positive(RegistryBandwidthMBps, nameof(RegistryBandwidthMBps));
        Positive(NodeBandwidthMBps, nameof(NodeBandwidthMBps));
        if (NatBandwidthMBps is { } nat) Positive(nat, nameof(NatBandwidthMBps));
        if (Latency < TimeSpan.Zero || Jitter < TimeSpan.Zero || ProbeLatency < TimeSpan.Zero || ProbeJitter < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(Latency), "Latencies and jitters must not be negative.");
        if (FailureRate is < 0 or >= 1 || double.IsNaN(FailureRate)) throw new ArgumentOutOfRangeException(nameof(FailureRate), FailureRate, "FailureRate must be in [0, 1).");
        if (ProbeSampleBytes <= 0) throw new ArgumentOutOfRangeException(nameof(ProbeSampleBytes), ProbeSampleBytes, "ProbeSampleBytes must be positive.");
        ArgumentNullException.ThrowIfNull(Policy);
        ArgumentNullException.ThrowIfNull(Overheads);
        Policy.Validate();
        Overheads.Validate();
    }

    static void Positive(double value, string name)
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value <= 0) throw new ArgumentOutOfRangeException(name, value, $"{name} must be a positive number.");
    }

    /// <summary>Names node-0001 ... with <paramref name="publicCount"/> public nodes spread evenly among them.</summary>
    public static IReadOnlyList<SimulatedNode> MakeNodes(int count, int publicCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (publicCount < 0 || publicCount > count) throw new ArgumentOutOfRangeException(nameof(publicCount), publicCount, "publicCount must be in 0..count.");
        var width = Math.Max(4, count.ToString(CultureInfo.InvariantCulture).Length);
        var nodes = new List<SimulatedNode>(count);
        for (var i = 0; i < count; i++)
        {
            // node i is public when the running share of public nodes steps up at i (Bresenham spread)
            var isPublic = (long)(i + 1) * publicCount / count > (long)i * publicCount / count;
            nodes.Add(new SimulatedNode("node-" + i.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0'), isPublic));
        }
        return nodes;
    }
}

/// <summary>
/// How an image of a given size is split into layers when only its size is known. The default layering is that of a
/// typical AI inference image: 3 % OS base, 8 % CUDA/runtime libraries, 5 % Python packages, 83 % model weights (one
/// layer, as `COPY weights/` makes), 1 % application code, in that pull order. For 18.6 GB the weights layer is 15.4 GB.
/// </summary>
public static class ImageLayering
{
    /// <summary>The default layering's shares, in pull order: base, runtime, packages, weights, application.</summary>
    public static IReadOnlyList<double> DefaultShares { get; } = [0.03, 0.08, 0.05, 0.83, 0.01];

    /// <summary>Splits <paramref name="totalBytes"/> by <see cref="DefaultShares"/> (the last layer takes the rounding).</summary>
    public static IReadOnlyList<TransferLayer> Default(long totalBytes) => ByShares(totalBytes, DefaultShares);

    /// <summary>Splits <paramref name="totalBytes"/> into <paramref name="count"/> equal layers.</summary>
    public static IReadOnlyList<TransferLayer> Equal(long totalBytes, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return ByShares(totalBytes, Enumerable.Repeat(1d / count, count).ToList());
    }

    /// <summary>Layers of the given sizes in MB (1 MB = 1,048,576 bytes).</summary>
    public static IReadOnlyList<TransferLayer> FromMB(IEnumerable<double> sizesMB)
    {
        ArgumentNullException.ThrowIfNull(sizesMB);
        var sizes = sizesMB.Select(mb =>
        {
            if (double.IsNaN(mb) || double.IsInfinity(mb) || mb <= 0) throw new ArgumentOutOfRangeException(nameof(sizesMB), mb, "Every layer size must be a positive number of MB.");
            return (long)Math.Max(1, Math.Round(mb * Bandwidth.BytesPerMB));
        }).ToList();
        return FromBytes(sizes);
    }

    /// <summary>Layers of the given sizes in bytes, with made-up unique digests.</summary>
    public static IReadOnlyList<TransferLayer> FromBytes(IReadOnlyList<long> sizes) =>
        sizes.Select((s, i) => new TransferLayer("sha256:" + (i + 1).ToString("x64", CultureInfo.InvariantCulture), s)).ToList();

    static IReadOnlyList<TransferLayer> ByShares(long totalBytes, IReadOnlyList<double> shares)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalBytes, shares.Count);
        var sizes = new List<long>();
        long used = 0;
        for (var i = 0; i < shares.Count; i++)
        {
            var size = i == shares.Count - 1 ? totalBytes - used : (long)Math.Round(totalBytes * shares[i]);
            size = Math.Max(1, size);
            sizes.Add(size);
            used += size;
        }
        return FromBytes(sizes);
    }
}
