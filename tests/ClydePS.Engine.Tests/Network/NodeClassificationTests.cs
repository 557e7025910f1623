using ClydePS.Engine.Network;
using k8s.Models;
using Xunit;

namespace ClydePS.Engine.Tests.Network;

public class NodeClassificationTests
{
    internal static V1Node Node(string name, string[]? external = null, string[]? internalIps = null, string ready = "True",
        bool unschedulable = false, bool controlPlane = false, IDictionary<string, string>? labels = null)
    {
        var l = new Dictionary<string, string>(labels ?? new Dictionary<string, string>());
        if (controlPlane)
        {
            l["node-role.kubernetes.io/control-plane"] = "";
        }

        return new V1Node
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = l },
            Spec = new V1NodeSpec
            {
                Unschedulable = unschedulable,
                Taints = unschedulable ? [new V1Taint { Key = "node.kubernetes.io/unschedulable", Effect = "NoSchedule" }] : null,
            },
            Status = new V1NodeStatus
            {
                Addresses = (external ?? []).Select(a => Address(a, "ExternalIP"))
                    .Concat((internalIps ?? ["10.0.0.1"]).Select(a => Address(a, "InternalIP")))
                    .Append(Address(name, "Hostname")).ToList(),
                Conditions = [new V1NodeCondition { Type = "Ready", Status = ready }],
                Allocatable = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("3920m"), ["memory"] = new("16Gi") },
                Images = [new V1ContainerImage { Names = ["busybox:1.36"], SizeBytes = 4_000_000 }],
            },
        };
    }

    private static V1NodeAddress Address(string address, string type) => new() { Address = address, Type = type };

    [Fact]
    public void A_node_is_public_when_any_external_ip_is_public()
    {
        ClydeNode node = NodeMapper.ToClydeNode(Node("a", external: ["10.1.1.1", "35.1.2.3"]));
        Assert.Equal(NetworkClass.Public, node.NetworkClass);
        Assert.Equal(["10.1.1.1", "35.1.2.3"], node.ExternalIPs);
    }

    [Fact]
    public void A_node_with_only_private_external_ips_or_internal_public_ips_is_private()
    {
        Assert.Equal(NetworkClass.Private, NodeMapper.ToClydeNode(Node("a", external: ["100.64.3.3", "fd00::1"])).NetworkClass);
        // A public address reported as InternalIP does not make the node reachable from outside.
        Assert.Equal(NetworkClass.Private, NodeMapper.ToClydeNode(Node("b", internalIps: ["34.1.1.1"])).NetworkClass);
    }

    [Fact]
    public void Maps_readiness_capacity_taints_and_labels()
    {
        ClydeNode node = NodeMapper.ToClydeNode(Node("n1", ready: "Unknown", unschedulable: true, labels: new Dictionary<string, string>
        {
            ["topology.kubernetes.io/zone"] = "z1",
            ["kubernetes.io/arch"] = "arm64",
            ["kubernetes.io/os"] = "linux",
        }), "ctx");
        Assert.False(node.Ready);
        Assert.False(node.Schedulable);
        Assert.False(node.Eligible);
        Assert.Equal(3920, node.CpuMillicores);
        Assert.Equal(16L * 1024 * 1024 * 1024, node.MemoryBytes);
        Assert.Equal(1, node.CachedImageCount);
        Assert.Equal("z1", node.Zone);
        Assert.Equal("arm64", node.Architecture);
        Assert.Equal("linux", node.OperatingSystem);
        Assert.Equal(["node.kubernetes.io/unschedulable:NoSchedule"], node.Taints);
        Assert.Equal("ctx", node.Context);
    }

    [Fact]
    public void Cluster_class_follows_eligible_nodes_only()
    {
        var nodes = new[]
        {
            NodeMapper.ToClydeNode(Node("pub1", external: ["34.0.0.1"])),
            NodeMapper.ToClydeNode(Node("pub2", external: ["34.0.0.2"])),
            NodeMapper.ToClydeNode(Node("priv-notready", ready: "False")),
            NodeMapper.ToClydeNode(Node("priv-cordoned", unschedulable: true)),
            NodeMapper.ToClydeNode(Node("priv-cp", controlPlane: true)),
        };
        ClydeClusterNetwork summary = ClusterClassifier.Summarise(nodes);
        Assert.Equal(ClusterNetworkClass.Public, summary.Class);
        Assert.Equal(5, summary.NodeCount);
        Assert.Equal(2, summary.EligibleCount);
        Assert.Equal(2, summary.PublicCount);
        Assert.Equal(3, summary.PrivateCount);
        Assert.Equal(4, summary.ReadyCount);
        Assert.Equal(1, summary.NotReadyCount);
        Assert.Equal(4, summary.SchedulableCount);
        Assert.Equal(1, summary.ControlPlaneCount);
    }

    [Fact]
    public void Cluster_classes()
    {
        ClydeNode pub = NodeMapper.ToClydeNode(Node("p", external: ["34.0.0.1"]));
        ClydeNode priv = NodeMapper.ToClydeNode(Node("q"));
        Assert.Equal(ClusterNetworkClass.Empty, ClusterClassifier.Summarise([]).Class);
        Assert.Equal(ClusterNetworkClass.Public, ClusterClassifier.Summarise([pub]).Class);
        Assert.Equal(ClusterNetworkClass.Private, ClusterClassifier.Summarise([priv]).Class);
        Assert.Equal(ClusterNetworkClass.Mixed, ClusterClassifier.Summarise([pub, priv]).Class);
    }

    [Fact]
    public void With_no_eligible_node_the_class_of_all_nodes_is_reported()
    {
        ClydeNode down = NodeMapper.ToClydeNode(Node("p", external: ["34.0.0.1"], ready: "False"));
        ClydeClusterNetwork summary = ClusterClassifier.Summarise([down]);
        Assert.Equal(ClusterNetworkClass.Public, summary.Class);
        Assert.Equal(0, summary.EligibleCount);
    }
}
