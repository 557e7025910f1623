namespace ClydePS.Lab.Cluster;

/// <summary>The shape of the Lab's cluster (see README.md "Cluster file"). Built from options or a cluster file.</summary>
public sealed class ClusterSpec
{
    /// <summary>Fixes every random choice (IPs, UIDs, which nodes are public/NotReady/cordoned).</summary>
    public int? Seed { get; set; }
    public List<NodeGroupSpec> NodeGroups { get; set; } = [];
    public List<NodeSpec> Nodes { get; set; } = [];

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
