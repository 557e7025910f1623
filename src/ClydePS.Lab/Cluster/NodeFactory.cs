using System.Globalization;
using System.Text.RegularExpressions;
using ClydePS.Lab.Resources;
using k8s.Models;

namespace ClydePS.Lab.Cluster;

/// <summary>
/// Builds realistic Node objects from a <see cref="ClusterSpec"/>. Every random choice comes from one
/// <see cref="Random"/> seeded with the spec's seed, in a fixed order, so a seed fixes the cluster.
/// </summary>
public static partial class NodeFactory
{
    public const string KubeletVersion = "v1.32.3";
    public const string ContainerRuntime = "containerd://1.7.24";
    static readonly int[] PublicFirstOctets = [34, 35, 52, 54, 3, 18];

    static readonly ImageSpec Pause = new()
    {
        Names = ["registry.k8s.io/pause@sha256:ee6521f290b2168b6e0935a181d4cff9be1ac3f505666ef0e3c98fae8199917a", "registry.k8s.io/pause:3.10"],
        SizeBytes = 320368,
    };

    sealed class State(Random rng)
    {
        public Random Rng { get; } = rng;
        public int InternalIndex;
        public readonly HashSet<string> UsedExternal = [];
        public readonly HashSet<string> Names = [];
    }

    /// <summary>Checks a spec; throws <see cref="LabOptionsException"/> with a clear message.</summary>
    public static void Validate(ClusterSpec spec)
    {
        for (var g = 0; g < spec.NodeGroups.Count; g++)
        {
            var grp = spec.NodeGroups[g];
            var at = $"nodeGroups[{g}]";
            if (grp.Count < 0) throw new LabOptionsException($"{at}.count must be >= 0");
            if (grp.PublicRatio is < 0 or > 1) throw new LabOptionsException($"{at}.publicRatio must be between 0 and 1");
            if (grp.Public is not null && grp.PublicRatio is not null) throw new LabOptionsException($"{at}: give public or publicRatio, not both");
            if (grp.NotReady < 0 || grp.Unschedulable < 0 || grp.ControlPlane < 0) throw new LabOptionsException($"{at}: counts must be >= 0");
            if (grp.ControlPlane > grp.Count) throw new LabOptionsException($"{at}.controlPlane ({grp.ControlPlane}) exceeds count ({grp.Count})");
            if (grp.NotReady + grp.Unschedulable > grp.Count - grp.ControlPlane)
                throw new LabOptionsException($"{at}: notReady + unschedulable ({grp.NotReady + grp.Unschedulable}) exceeds the worker nodes ({grp.Count - grp.ControlPlane})");
            CheckCommon(at, grp.Architecture, grp.Os, grp.Cpu, grp.Memory, grp.EphemeralStorage, grp.Taints);
            try { _ = string.Format(CultureInfo.InvariantCulture, grp.NamePattern ?? "node-{0:000}", 0); }
            catch (FormatException) { throw new LabOptionsException($"{at}.namePattern \"{grp.NamePattern}\" is not a valid format (use {{0}} for the index)"); }
        }
        for (var i = 0; i < spec.Nodes.Count; i++)
        {
            var n = spec.Nodes[i];
            var at = $"nodes[{i}]";
            if (string.IsNullOrEmpty(n.Name)) throw new LabOptionsException($"{at}.name is required");
            CheckCommon(at, n.Architecture, n.Os, n.Cpu, n.Memory, n.EphemeralStorage, n.Taints);
            foreach (var ip in (n.ExternalIPs ?? []).Concat(n.InternalIPs ?? []))
                if (!System.Net.IPAddress.TryParse(ip, out _)) throw new LabOptionsException($"{at}: \"{ip}\" is not an IP address");
        }
    }

    static void CheckCommon(string at, string arch, string os, string cpu, string memory, string storage, List<TaintSpec>? taints)
    {
        if (arch is not ("amd64" or "arm64" or "arm" or "ppc64le" or "s390x")) throw new LabOptionsException($"{at}.architecture \"{arch}\" is not supported (amd64, arm64)");
        if (os is not ("linux" or "windows")) throw new LabOptionsException($"{at}.os \"{os}\" is not supported (linux, windows)");
        foreach (var (field, q) in new[] { ("cpu", cpu), ("memory", memory), ("ephemeralStorage", storage) })
        {
            try { _ = new ResourceQuantity(q).ToDecimal(); }
            catch (Exception) { throw new LabOptionsException($"{at}.{field} \"{q}\" is not a quantity"); }
        }
        foreach (var t in taints ?? [])
        {
            if (string.IsNullOrEmpty(t.Key)) throw new LabOptionsException($"{at}.taints: key is required");
            if (t.Effect is not ("NoSchedule" or "PreferNoSchedule" or "NoExecute")) throw new LabOptionsException($"{at}.taints: effect \"{t.Effect}\" must be NoSchedule, PreferNoSchedule or NoExecute");
        }
    }

    public static List<V1Node> Build(ClusterSpec spec, DateTime created)
    {
        Validate(spec);
        var st = new State(new Random(spec.Seed ?? 1));
        var nodes = new List<V1Node>();
        for (var g = 0; g < spec.NodeGroups.Count; g++)
        {
            var grp = spec.NodeGroups[g];
            var pattern = grp.NamePattern ?? (g == 0 ? "node-{0:000}" : (grp.Name ?? $"group{g}") + "-{0:000}");
            var all = Enumerable.Range(0, grp.Count).ToArray();
            var publicCount = grp.Public == true ? grp.Count : (int)Math.Round(grp.Count * (grp.PublicRatio ?? 0), MidpointRounding.AwayFromZero);
            var publicSet = Shuffle(all, st.Rng).Take(publicCount).ToHashSet();
            var workers = Shuffle(all.Skip(grp.ControlPlane).ToArray(), st.Rng);
            var notReady = workers.Take(grp.NotReady).ToHashSet();
            var cordoned = workers.Skip(grp.NotReady).Take(grp.Unschedulable).ToHashSet();
            var zones = grp.Zones is { Count: > 0 } z ? z : ["us-central1-a", "us-central1-b", "us-central1-c"];
            for (var i = 0; i < grp.Count; i++)
            {
                var name = string.Format(CultureInfo.InvariantCulture, pattern, i);
                var isPublic = publicSet.Contains(i);
                var internalIps = new List<string> { NextInternal(st, grp.Ipv6) };
                var externalIps = isPublic ? new List<string> { NextExternal(st, grp.Ipv6) } : new List<string>();
                nodes.Add(Make(st, created, new Shape(name, internalIps, externalIps, !notReady.Contains(i), cordoned.Contains(i),
                    i < grp.ControlPlane, grp.Architecture, grp.Os, zones[i % zones.Count], grp.Labels, grp.Taints, grp.Cpu,
                    grp.Memory, grp.EphemeralStorage, grp.MaxPods, grp.InstanceType, grp.Images, grp.Ipv6)));
            }
        }
        foreach (var n in spec.Nodes)
        {
            var internalIps = n.InternalIPs is { Count: > 0 } ii ? ii : [NextInternal(st, false)];
            nodes.Add(Make(st, created, new Shape(n.Name, internalIps, n.ExternalIPs ?? [], n.Ready, n.Unschedulable, n.ControlPlane,
                n.Architecture, n.Os, n.Zone, n.Labels, n.Taints, n.Cpu, n.Memory, n.EphemeralStorage, n.MaxPods, n.InstanceType, n.Images,
                internalIps.Any(ip => ip.Contains(':')))));
        }
        var seen = new HashSet<string>();
        foreach (var node in nodes)
        {
            if (!seen.Add(node.Metadata.Name)) throw new LabOptionsException($"duplicate node name \"{node.Metadata.Name}\"");
            if (Validation.SubdomainError(node.Metadata.Name) is { } err) throw new LabOptionsException($"node name \"{node.Metadata.Name}\": {err}");
        }
        return nodes;
    }

    static T[] Shuffle<T>(T[] items, Random rng)
    {
        var a = (T[])items.Clone();
        for (var i = a.Length - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (a[i], a[j]) = (a[j], a[i]);
        }
        return a;
    }

    static string NextInternal(State st, bool ipv6)
    {
        var k = st.InternalIndex++;
        if (ipv6) return $"fd00:10:128::{k + 2:x}";
        var o = k / 250;
        return $"10.{128 + o / 256}.{o % 256}.{k % 250 + 2}";
    }

    static string NextExternal(State st, bool ipv6)
    {
        while (true)
        {
            string ip = ipv6
                ? $"2600:1900:4000:{st.Rng.Next(0x10000):x}:{st.Rng.Next(1, 0x10000):x}::"
                : $"{PublicFirstOctets[st.Rng.Next(PublicFirstOctets.Length)]}.{st.Rng.Next(256)}.{st.Rng.Next(256)}.{st.Rng.Next(1, 255)}";
            if (st.UsedExternal.Add(ip)) return ip;
        }
    }

    sealed record Shape(string Name, List<string> InternalIps, List<string> ExternalIps, bool Ready, bool Unschedulable, bool ControlPlane,
        string Arch, string Os, string? Zone, Dictionary<string, string>? Labels, List<TaintSpec>? Taints, string Cpu, string Memory,
        string Storage, int MaxPods, string? InstanceType, List<ImageSpec>? Images, bool Ipv6);

    [GeneratedRegex("^(.*[0-9])[a-z]$")]
    private static partial Regex AwsZone();
    [GeneratedRegex("^(.*)-[a-z]$")]
    private static partial Regex GcpZone();

    public static string? RegionOf(string zone)
    {
        var m = GcpZone().Match(zone);
        if (m.Success) return m.Groups[1].Value;
        m = AwsZone().Match(zone);
        return m.Success ? m.Groups[1].Value : null;
    }

    static string Hex(Random rng, int bytes)
    {
        var b = new byte[bytes];
        rng.NextBytes(b);
        return Convert.ToHexString(b).ToLowerInvariant();
    }

    static string Guid(Random rng)
    {
        var b = new byte[16];
        rng.NextBytes(b);
        b[7] = (byte)((b[7] & 0x0f) | 0x40);
        b[8] = (byte)((b[8] & 0x3f) | 0x80);
        return new System.Guid(b).ToString();
    }

    static string Ki(decimal bytes) => $"{(long)(bytes / 1024)}Ki";

    static V1Node Make(State st, DateTime created, Shape s)
    {
        var rng = st.Rng;
        var cpuMilli = (long)(new ResourceQuantity(s.Cpu).ToDecimal() * 1000);
        var memBytes = new ResourceQuantity(s.Memory).ToDecimal();
        var storageBytes = new ResourceQuantity(s.Storage).ToDecimal();
        var cpuText = cpuMilli % 1000 == 0 ? (cpuMilli / 1000).ToString() : $"{cpuMilli}m";
        var instanceType = s.InstanceType ?? (cpuMilli % 1000 == 0
            ? $"{(s.Arch == "arm64" ? "t2a" : "n2")}-standard-{cpuMilli / 1000}"
            : "custom");

        var labels = new Dictionary<string, string>
        {
            ["beta.kubernetes.io/arch"] = s.Arch,
            ["beta.kubernetes.io/os"] = s.Os,
            ["kubernetes.io/arch"] = s.Arch,
            ["kubernetes.io/hostname"] = s.Name,
            ["kubernetes.io/os"] = s.Os,
            ["node.kubernetes.io/instance-type"] = instanceType,
            ["beta.kubernetes.io/instance-type"] = instanceType,
        };
        if (s.Zone is not null)
        {
            labels["topology.kubernetes.io/zone"] = s.Zone;
            labels["failure-domain.beta.kubernetes.io/zone"] = s.Zone;
            if (RegionOf(s.Zone) is { } region)
            {
                labels["topology.kubernetes.io/region"] = region;
                labels["failure-domain.beta.kubernetes.io/region"] = region;
            }
        }
        if (s.ControlPlane)
        {
            labels["node-role.kubernetes.io/control-plane"] = "";
            labels["node.kubernetes.io/exclude-from-external-load-balancers"] = "";
        }
        foreach (var (k, v) in s.Labels ?? []) labels[k] = v;

        var taints = new List<V1Taint>();
        if (s.ControlPlane) taints.Add(new V1Taint { Key = "node-role.kubernetes.io/control-plane", Effect = "NoSchedule" });
        foreach (var t in s.Taints ?? []) taints.Add(new V1Taint { Key = t.Key, Value = t.Value, Effect = t.Effect });
        if (s.Unschedulable) taints.Add(new V1Taint { Key = "node.kubernetes.io/unschedulable", Effect = "NoSchedule", TimeAdded = created });
        if (!s.Ready)
        {
            taints.Add(new V1Taint { Key = "node.kubernetes.io/unreachable", Effect = "NoSchedule", TimeAdded = created });
            taints.Add(new V1Taint { Key = "node.kubernetes.io/unreachable", Effect = "NoExecute", TimeAdded = created });
        }

        var index = st.InternalIndex; // distinct per node, deterministic
        var podCidr = s.Ipv6 ? $"fd00:10:244:{index:x}::/64" : $"10.{(index >> 8) & 127}.{index & 255}.0/24";

        var addresses = new List<V1NodeAddress>();
        addresses.AddRange(s.InternalIps.Select(ip => new V1NodeAddress { Type = "InternalIP", Address = ip }));
        addresses.AddRange(s.ExternalIps.Select(ip => new V1NodeAddress { Type = "ExternalIP", Address = ip }));
        addresses.Add(new V1NodeAddress { Type = "Hostname", Address = s.Name });

        var pods = s.MaxPods.ToString();
        var capacity = new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new(cpuText),
            ["ephemeral-storage"] = new(Ki(storageBytes)),
            ["hugepages-1Gi"] = new("0"),
            ["hugepages-2Mi"] = new("0"),
            ["memory"] = new(Ki(memBytes)),
            ["pods"] = new(pods),
        };
        var allocCpu = Math.Max(0, cpuMilli - (cpuMilli >= 2000 ? 80 : 60));
        var allocatable = new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new(allocCpu % 1000 == 0 ? (allocCpu / 1000).ToString() : $"{allocCpu}m"),
            ["ephemeral-storage"] = new(((long)(storageBytes * 0.9m)).ToString()),
            ["hugepages-1Gi"] = new("0"),
            ["hugepages-2Mi"] = new("0"),
            ["memory"] = new(Ki(Math.Max(0, memBytes - memBytes * 0.05m - 100 * 1024 * 1024))),
            ["pods"] = new(pods),
        };

        V1NodeCondition Cond(string type, string okStatus, string okReason, string okMessage) => s.Ready
            ? new V1NodeCondition { Type = type, Status = okStatus, Reason = okReason, Message = okMessage, LastHeartbeatTime = created, LastTransitionTime = created }
            : new V1NodeCondition { Type = type, Status = "Unknown", Reason = "NodeStatusUnknown", Message = "Kubelet stopped posting node status.", LastHeartbeatTime = created, LastTransitionTime = created };

        var windows = s.Os == "windows";
        var images = (s.Images is { Count: > 0 } im ? im : [Pause])
            .OrderByDescending(i => i.SizeBytes)
            .Take(50)
            .Select(i => new V1ContainerImage { Names = i.Names.ToList(), SizeBytes = i.SizeBytes })
            .ToList();

        return new V1Node
        {
            ApiVersion = "v1",
            Kind = "Node",
            Metadata = new V1ObjectMeta
            {
                Name = s.Name,
                Uid = Guid(rng),
                CreationTimestamp = created,
                Labels = labels,
                Annotations = new Dictionary<string, string>
                {
                    ["node.alpha.kubernetes.io/ttl"] = "0",
                    ["volumes.kubernetes.io/controller-managed-attach-detach"] = "true",
                },
            },
            Spec = new V1NodeSpec
            {
                PodCIDR = podCidr,
                PodCIDRs = [podCidr],
                ProviderID = $"clydelab://{s.Zone ?? "lab"}/{s.Name}",
                Taints = taints.Count > 0 ? taints : null,
                Unschedulable = s.Unschedulable ? true : null,
            },
            Status = new V1NodeStatus
            {
                Capacity = capacity,
                Allocatable = allocatable,
                Conditions =
                [
                    Cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                    Cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                    Cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                    Cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
                ],
                Addresses = addresses,
                DaemonEndpoints = new V1NodeDaemonEndpoints { KubeletEndpoint = new V1DaemonEndpoint { Port = 10250 } },
                NodeInfo = new V1NodeSystemInfo
                {
                    MachineID = Hex(rng, 16),
                    SystemUUID = Guid(rng),
                    BootID = Guid(rng),
                    KernelVersion = windows ? "10.0.20348.2849" : $"6.1.0-28-cloud-{s.Arch}",
                    OsImage = windows ? "Windows Server 2022 Datacenter" : "Debian GNU/Linux 12 (bookworm)",
                    ContainerRuntimeVersion = ContainerRuntime,
                    KubeletVersion = KubeletVersion,
                    KubeProxyVersion = "",
                    OperatingSystem = s.Os,
                    Architecture = s.Arch,
                },
                Images = images,
            },
        };
    }
}
