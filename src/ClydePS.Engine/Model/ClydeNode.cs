namespace ClydePS;

/// <summary>Network class of one node: Public when it has at least one routable ExternalIP.</summary>
public enum NetworkClass
{
    Private,
    Public,
}

/// <summary>Network class of a cluster, computed over its eligible nodes.</summary>
public enum ClusterNetworkClass
{
    Empty,
    Private,
    Mixed,
    Public,
}

/// <summary>One node as ClydePS sees it: network class, addresses, readiness and capacity.</summary>
public sealed class ClydeNode
{
    public string Name { get; init; } = "";
    public NetworkClass NetworkClass { get; init; }
    public string[] ExternalIPs { get; init; } = [];
    public string[] InternalIPs { get; init; } = [];
    public bool Ready { get; init; }
    public bool Schedulable { get; init; }
    public bool ControlPlane { get; init; }

    /// <summary>Ready, schedulable and not a control-plane node: the nodes that decide a cluster's class.</summary>
    public bool Eligible => Ready && Schedulable && !ControlPlane;

    /// <summary>Taints as <c>key=value:Effect</c> (or <c>key:Effect</c>) strings, the form <c>-Toleration</c> accepts.</summary>
    public string[] Taints { get; init; } = [];
    public string? Architecture { get; init; }
    public string? OperatingSystem { get; init; }
    public string? Zone { get; init; }
    public long CpuMillicores { get; init; }
    public long MemoryBytes { get; init; }
    public int CachedImageCount { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public DateTime? CreationTimestamp { get; init; }

    /// <summary>The kubeconfig context the node was read through.</summary>
    public string? Context { get; init; }

    public override string ToString() => Name;
}

/// <summary>A cluster's network summary (<c>Get-ClydeNodeNetwork -Summary</c>).</summary>
public sealed class ClydeClusterNetwork
{
    /// <summary>Public when every eligible node is public, Mixed when some are, Private when none, Empty with no nodes.</summary>
    public ClusterNetworkClass Class { get; init; }
    public int NodeCount { get; init; }
    public int EligibleCount { get; init; }
    public int PublicCount { get; init; }
    public int PrivateCount { get; init; }
    public int EligiblePublicCount { get; init; }
    public int EligiblePrivateCount { get; init; }
    public int ReadyCount { get; init; }
    public int NotReadyCount { get; init; }
    public int SchedulableCount { get; init; }
    public int ControlPlaneCount { get; init; }
    public string? Context { get; init; }

    public override string ToString() => $"{Class} ({NodeCount} nodes, {EligibleCount} eligible)";
}
