namespace ClydePS.Lab.Cluster;

/// <summary>The shape of the Lab's cluster (see README.md "Cluster file"). Built from options or a cluster file.</summary>
public sealed class ClusterSpec
{
    /// <summary>Fixes every random choice (IPs, UIDs, which nodes are public/NotReady/cordoned).</summary>
    public int? Seed { get; set; }
    public List<NodeGroupSpec> NodeGroups { get; set; } = [];
    public List<NodeSpec> Nodes { get; set; } = [];
    /// <summary>Images the Lab's catalog knows beyond the synthetic ones (see Images/ImageCatalog.cs).</summary>
    public List<ClusterImageSpec>? Images { get; set; }
    /// <summary>The transfer network (registry, NAT, node bandwidth, P2P, latency, failures).</summary>
    public NetworkSpec? Network { get; set; }

    /// <summary>The shape the command line builds: one group of <paramref name="nodes"/> nodes.</summary>
    public static ClusterSpec FromCounts(int nodes, double publicRatio, int? seed) => new()
    {
        Seed = seed,
        NodeGroups = [new NodeGroupSpec { Count = nodes, PublicRatio = publicRatio }],
    };
}

public sealed class NodeGroupSpec
{
    public string? Name { get; set; }
    public int Count { get; set; }
    /// <summary>.NET composite format with the node's index in the group (0-based) as {0}; default node-{0:000}.</summary>
    public string? NamePattern { get; set; }
    public bool? Public { get; set; }
    public double? PublicRatio { get; set; }
    public string Architecture { get; set; } = "amd64";
    public string Os { get; set; } = "linux";
    public List<string>? Zones { get; set; }
    public List<TaintSpec>? Taints { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public string Cpu { get; set; } = "4";
    public string Memory { get; set; } = "16Gi";
    public string EphemeralStorage { get; set; } = "100Gi";
    public int MaxPods { get; set; } = 110;
    public string? InstanceType { get; set; }
    public List<ImageSpec>? Images { get; set; }
    public int NotReady { get; set; }
    public int Unschedulable { get; set; }
    public int ControlPlane { get; set; }
    public bool Ipv6 { get; set; }
    /// <summary>Download and upload bandwidth of the group's nodes, MB/s (default network.nodeBandwidthMBps).</summary>
    public double? BandwidthMBps { get; set; }
}

public sealed class NodeSpec
{
    public string Name { get; set; } = "";
    public List<string>? ExternalIPs { get; set; }
    public List<string>? InternalIPs { get; set; }
    public bool Ready { get; set; } = true;
    public bool Unschedulable { get; set; }
    public bool ControlPlane { get; set; }
    public string Architecture { get; set; } = "amd64";
    public string Os { get; set; } = "linux";
    public string? Zone { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public List<TaintSpec>? Taints { get; set; }
    public string Cpu { get; set; } = "4";
    public string Memory { get; set; } = "16Gi";
    public string EphemeralStorage { get; set; } = "100Gi";
    public int MaxPods { get; set; } = 110;
    public string? InstanceType { get; set; }
    public List<ImageSpec>? Images { get; set; }
    /// <summary>Download and upload bandwidth of the node, MB/s (default network.nodeBandwidthMBps).</summary>
    public double? BandwidthMBps { get; set; }
}

public sealed class TaintSpec
{
    public string Key { get; set; } = "";
    public string? Value { get; set; }
    public string Effect { get; set; } = "NoSchedule";
}

public sealed class ImageSpec
{
    public List<string> Names { get; set; } = [];
    public long SizeBytes { get; set; }
}

/// <summary>An image of the catalog (cluster file <c>images:</c>). Sizes are quantities ("50Mi", "2Gi", "1200000").</summary>
public sealed class ClusterImageSpec
{
    public string Reference { get; set; } = "";
    /// <summary>os/arch[/variant]; default linux/amd64 and linux/arm64 (an index).</summary>
    public List<string>? Platforms { get; set; }
    /// <summary>Explicit layers; else <see cref="Size"/> split into <see cref="LayerCount"/> layers; else synthetic.</summary>
    public List<ClusterLayerSpec>? Layers { get; set; }
    public string? Size { get; set; }
    public int? LayerCount { get; set; }
    /// <summary>Default: false for names containing distroless, scratch or pause, else true.</summary>
    public bool? HasShell { get; set; }
    /// <summary>The reference does not exist: pulls fail with NotFound, the registry mirror answers 404.</summary>
    public bool Missing { get; set; }
}

public sealed class ClusterLayerSpec
{
    public string Size { get; set; } = "0";
}

/// <summary>The transfer model's parameters (MB/s = 1,048,576 bytes per second).</summary>
public sealed class NetworkSpec
{
    public double RegistryBandwidthMBps { get; set; } = 500;
    /// <summary>Each region's NAT gateway, shared by that region's private nodes.</summary>
    public double NatBandwidthMBps { get; set; } = 250;
    public double NodeBandwidthMBps { get; set; } = 100;
    /// <summary>A P2P mirror (Spegel) on every node: a spegel DaemonSet in kube-system; Ready mirrors share complete layers.</summary>
    public bool P2p { get; set; }
    public double LatencyMs { get; set; }
    public double JitterMs { get; set; }
    /// <summary>Probability that one layer transfer attempt fails part way (retried, 3 attempts per layer).</summary>
    public double FailureRate { get; set; }
}
