namespace ClydePS;

/// <summary>
/// One strategy's predicted seeded rollout (<c>Invoke-ClydeSeedSimulation</c>): the time until seeding is done
/// (the DaemonSet is deployed), the time until the DaemonSet is fully available, the bytes the registry served,
/// the waves, and the two lower bounds for the same inputs. Times count from the start of the run (virtual time).
/// </summary>
public sealed class ClydeSeedForecast
{
    /// <summary>Direct (every node pulls from the registry at once), Doubling or Adaptive.</summary>
    public string Strategy { get; init; } = "";

    /// <summary>Eligible nodes (each one must end with the image).</summary>
    public int NodeCount { get; init; }
    public int PublicNodeCount { get; init; }
    public int PrivateNodeCount => NodeCount - PublicNodeCount;

    /// <summary>Public, Private or Mixed: the class of the eligible nodes.</summary>
    public ClusterNetworkClass ClusterClass { get; init; }

    public long ImageSizeBytes { get; init; }

    /// <summary>Image size in binary GB (1 GB = 1,073,741,824 bytes).</summary>
    public double ImageSizeGB => ImageSizeBytes / 1_073_741_824d;

    /// <summary>The image's layer sizes in bytes, in pull order.</summary>
    public long[] LayerSizesBytes { get; init; } = [];

    public double RegistryBandwidthMBps { get; init; }
    public double NodeBandwidthMBps { get; init; }

    /// <summary>The private nodes' NAT gateway bandwidth; null = not a constraint.</summary>
    public double? NatBandwidthMBps { get; init; }
    public bool PeerToPeer { get; init; }
    public int Seed { get; init; }

    /// <summary>From the start until the policy deployed the workload (zero for Direct).</summary>
    public TimeSpan SeedingTime { get; init; }

    /// <summary>From the start until every eligible node runs an available DaemonSet pod (null when seeding aborted).</summary>
    public TimeSpan? RolloutTime { get; init; }

    /// <summary>Deployed, or Aborted with the policy's reason.</summary>
    public string Outcome { get; init; } = "";

    /// <summary>Bytes served by the registry (image pulls and probe samples).</summary>
    public long RegistryBytes { get; init; }

    /// <summary>Bytes served by peers' P2P mirrors.</summary>
    public long PeerBytes { get; init; }

    /// <summary>Registry bytes in binary GB.</summary>
    public double RegistryGB => RegistryBytes / 1_073_741_824d;

    public int WaveCount => Waves.Length;
    public ClydeSeedForecastWave[] Waves { get; init; } = [];

    /// <summary>max(S/R, S/B, N·S/(R + N·B)), R = min(R, NAT) for an all-private cluster (see the help).</summary>
    public TimeSpan PieceLowerBound { get; init; }

    /// <summary>The bound for a mirror that shares only complete layers (see the help for its derivation).</summary>
    public TimeSpan LayerLowerBound { get; init; }

    /// <summary>RolloutTime / PieceLowerBound (1 = at the physical limit).</summary>
    public double? BoundRatio => RolloutTime is { } r && PieceLowerBound > TimeSpan.Zero ? r / PieceLowerBound : null;

    /// <summary>Per node and phase (Seed, Rollout): where it pulled from, when the pull started and ended.</summary>
    public ClydeSeedForecastNode[] Timeline { get; init; } = [];

    /// <summary>The policy's decisions, as text (time offset, kind, verdict, narrative).</summary>
    public string[] Decisions { get; init; } = [];

    /// <summary>The overheads the simulation charged, by name (seconds).</summary>
    public IReadOnlyDictionary<string, double> Overheads { get; init; } = new Dictionary<string, double>();

    public override string ToString() =>
        $"{Strategy}: seeding {SeedingTime}, rollout {RolloutTime?.ToString() ?? "aborted"} ({NodeCount} nodes, {ImageSizeGB:0.##} GB)";
}

/// <summary>One seeding wave of a forecast: its size, when it started and when its last node completed.</summary>
public sealed class ClydeSeedForecastWave
{
    public int Number { get; init; }
    public int Nodes { get; init; }

    /// <summary>Registry, Peers or Unknown, as the policy expected it.</summary>
    public string Source { get; init; } = "";

    /// <summary>Started while monitoring, before the previous wave completed.</summary>
    public bool Expansion { get; init; }
    public TimeSpan Start { get; init; }
    public TimeSpan? End { get; init; }

    public override string ToString() => $"wave {Number}: {Nodes} nodes {Start} - {End}";
}

/// <summary>One node's pull in a forecast. Phase: Seed (a seed pod) or Rollout (the DaemonSet pod).</summary>
public sealed class ClydeSeedForecastNode
{
    public string Node { get; init; } = "";
    public string Phase { get; init; } = "";

    /// <summary>Registry, Peers, or Mixed (some layers from each); Failed when the pull failed.</summary>
    public string Source { get; init; } = "";

    /// <summary>The seeding wave (0 in the rollout phase).</summary>
    public int Wave { get; init; }

    /// <summary>When the pod was asked for (the policy's action or the deploy).</summary>
    public TimeSpan Requested { get; init; }

    /// <summary>When the first byte was requested (after pod start and init overheads).</summary>
    public TimeSpan Start { get; init; }

    /// <summary>When the last layer was on the node.</summary>
    public TimeSpan End { get; init; }
    public long BytesFromRegistry { get; init; }
    public long BytesFromPeers { get; init; }

    public override string ToString() => $"{Node} {Phase} {Source} {Start} - {End}";
}
