namespace ClydePS;

/// <summary>A node seeding skipped, and why (already holds the digest, NotReady, tainted, no Ready P2P mirror, ...).</summary>
public sealed class ClydeSeedSkip
{
    public string Node { get; init; } = "";
    public string Reason { get; init; } = "";

    public override string ToString() => $"{Node}: {Reason}";
}

/// <summary>One seed wave: the nodes it started, when, when its last pull ended, and where the bytes came from where known.</summary>
public sealed class ClydeSeedWave
{
    public int Number { get; init; }
    public string[] Nodes { get; init; } = [];
    public DateTimeOffset Start { get; init; }
    public DateTimeOffset? End { get; set; }

    /// <summary>Registry, Peers, or Unknown (a real cluster does not say where kubelet's bytes came from).</summary>
    public string Source { get; init; } = "Unknown";

    public override string ToString() => $"wave {Number}: {Nodes.Length} node(s) from {Source}";
}

/// <summary>One recorded decision of the seeding policy, with the metrics behind it.</summary>
public sealed class ClydeSeedDecision
{
    public DateTimeOffset Time { get; init; }

    /// <summary>Window, Wave, Monitoring, Failure, Deploy, ...</summary>
    public string Kind { get; init; } = "";
    public double? BandwidthMBps { get; init; }
    public double? JitterMs { get; init; }
    public double? DropRatePct { get; init; }
    public int Samples { get; init; }
    public int SuccessfulSamples { get; init; }

    /// <summary>Healthy, Unhealthy, Undecided or Info.</summary>
    public string Verdict { get; init; } = "";
    public string Narrative { get; init; } = "";

    public override string ToString() => Narrative;
}

/// <summary>One seed pull on one node: when it ran, how long it took and at what rate, or why it failed.</summary>
public sealed class ClydeSeedPull
{
    public string Node { get; init; } = "";
    public int Wave { get; init; }
    public string Pod { get; init; } = "";
    public DateTimeOffset Start { get; init; }
    public DateTimeOffset? End { get; set; }
    public TimeSpan? Duration { get; set; }

    /// <summary>Image size / pull duration in MB/s (1 MB = 1,048,576 bytes); layers the node already held make it look faster.</summary>
    public double? MBps { get; set; }
    public bool Succeeded { get; set; }
    public string? Error { get; set; }

    /// <summary>The policy stopped this pull as a straggler and started another node instead (not a failure).</summary>
    public bool Replaced { get; set; }

    /// <summary>The imageID kubelet reported: the proof of the pull.</summary>
    public string? ImageId { get; set; }

    /// <summary>Bytes the node got from the registry, where known (the Lab says; a real cluster does not).</summary>
    public long? BytesFromRegistry { get; set; }

    /// <summary>Bytes the node got from peers' P2P mirrors, where known.</summary>
    public long? BytesFromPeers { get; set; }

    /// <summary>Registry, Peers or Mixed from the bytes by source; null when they are not known (see the wave's Source).</summary>
    public string? Source => (BytesFromRegistry, BytesFromPeers) switch
    {
        ({ } r, { } p) when r > 0 && p > 0 => "Mixed",
        ({ } r, _) when r > 0 => "Registry",
        (_, { } p) when p > 0 => "Peers",
        _ => null,
    };

    public override string ToString() => Succeeded ? $"{Node} {Duration?.TotalSeconds:0.#} s" : $"{Node} failed: {Error}";
}

/// <summary>
/// The outcome of <c>Start-ClydeSeed</c>: which nodes hold the image's digest now, how the policy got there (waves and
/// decisions), and the seed pods still held until the workload runs on their nodes. Pipe it into
/// <c>New-ClydeDaemonSet</c>, which deploys the workload and releases the seed pods node by node.
/// </summary>
public sealed class ClydeSeedResult
{
    /// <summary>The image reference as the workload names it (binds to -Image by property name).</summary>
    public string Image { get; init; } = "";
    public string Digest { get; init; } = "";
    public string Namespace { get; init; } = "";
    public string Strategy { get; init; } = "";
    public ClusterNetworkClass NetworkClass { get; init; }
    public string RunId { get; init; } = "";

    /// <summary><c>namespace/name</c> of the DaemonSet seeded for, when known.</summary>
    public string? Workload { get; init; }

    /// <summary>The DaemonSet's name when known (binds to New-ClydeDaemonSet -Name by property name).</summary>
    public string? Name => Workload?[(Workload.IndexOf('/') + 1)..];

    public int Eligible { get; init; }

    /// <summary>ceil(StopRatio x Eligible) nodes (for the public path: the public seeds).</summary>
    public int Target { get; init; }

    /// <summary>Eligible nodes that hold the digest now (pulled by this run or held before).</summary>
    public int Seeded => SeededNodes.Length;
    public string[] SeededNodes { get; init; } = [];

    /// <summary>Nodes that held the digest before the run (counted as seeded, not pulled again).</summary>
    public string[] AlreadySeeded { get; init; } = [];
    public int Failed => Pulls.Count(p => !p.Succeeded);
    public ClydeSeedSkip[] Skipped { get; init; } = [];
    public ClydeSeedWave[] Waves { get; init; } = [];
    public ClydeSeedDecision[] Decisions { get; init; } = [];
    public ClydeSeedPull[] Pulls { get; init; } = [];

    /// <summary>Why seeding ended (target reached, public path, nothing to seed, ...).</summary>
    public string Outcome { get; init; } = "";

    /// <summary>The P2P mirror DaemonSet found (<c>namespace/name</c>), or null when none was.</summary>
    public string? Mirror { get; init; }
    public DateTimeOffset Start { get; init; }
    public TimeSpan Duration { get; init; }

    /// <summary>Seed pods still held (names in Namespace), until the workload's pod runs on their nodes.</summary>
    public string[] SeedPods { get; init; } = [];

    /// <summary>The monitor's bandwidth threshold (MB/s) the decisions were judged against; null when not recorded.</summary>
    public double? MonitorBandwidthThreshold { get; init; }

    /// <summary>The monitor's jitter threshold (ms); null when not recorded.</summary>
    public double? MonitorJitterThreshold { get; init; }

    /// <summary>The monitor's drop-rate threshold (%); null when not recorded.</summary>
    public double? MonitorDropThreshold { get; init; }

    public override string ToString() => $"{Image}: {Seeded}/{Target} seeded ({Strategy}, {NetworkClass})";
}
