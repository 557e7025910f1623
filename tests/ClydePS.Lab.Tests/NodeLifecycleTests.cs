using System.Net;
using System.Text.Json.Nodes;

namespace ClydePS.Lab.Tests;

public sealed class NodeLifecycleTests
{
    static string PodOn(string name, string node, string tolerations) =>
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{\"nodeName\":\"" + node + "\",\"tolerations\":" + tolerations +
        ",\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\"}]}}";

    [Fact]
    public async Task Heartbeats_stop_node_goes_unknown_pods_evicted_node_deleted_and_pods_collected()
    {
        await using var lab = await TestLab.StartAsync(new LabOptions { Nodes = 3, TimeScale = 100 });
        const string leases = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases";
        JsonNode? lease = null;
        await Wait.Until(async () => (lease = (await lab.GetAsync(leases + "/node-000")).Body)?["spec"]?["renewTime"] is not null, "lease");
        Assert.Equal("node-000", (string)lease!["spec"]!["holderIdentity"]!);
        Assert.Equal(40, (int)lease["spec"]!["leaseDurationSeconds"]!);
        Assert.Equal("Node", (string)lease["metadata"]!["ownerReferences"]![0]!["kind"]!);
        var first = DateTime.Parse((string)lease["spec"]!["renewTime"]!).ToUniversalTime();
        await Wait.Until(async () => DateTime.Parse((string)(await lab.GetAsync(leases + "/node-000")).Body!["spec"]!["renewTime"]!).ToUniversalTime() >= first.AddSeconds(10), "renewal");

        const string pods = "/api/v1/namespaces/default/pods";
        Assert.Equal(HttpStatusCode.Created, (await lab.PostAsync(pods, PodOn("short", "node-001",
            """[{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":20}]"""))).Code);
        Assert.Equal(HttpStatusCode.Created, (await lab.PostAsync(pods, PodOn("forever", "node-001",
            """[{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute"}]"""))).Code);
        Assert.Equal(HttpStatusCode.Created, (await lab.PostAsync(pods, PodOn("elsewhere", "node-000", "[]"))).Code);

        var (pc, _, _) = await lab.SendAsync(HttpMethod.Put, "/clydelab/v1/faults", """{"nodes":[{"node":"node-001","notReadyAfterSeconds":60,"deleteAfterSeconds":400}]}""");
        Assert.Equal(HttpStatusCode.OK, pc);
        JsonNode? node = null;
        await Wait.Until(async () => (node = (await lab.GetAsync("/api/v1/nodes/node-001")).Body)!["status"]!["conditions"]!.AsArray()
            .Any(c => (string)c!["type"]! == "Ready" && (string)c["status"]! == "Unknown"), "node unknown", 10);
        var ready = node!["status"]!["conditions"]!.AsArray().Single(c => (string)c!["type"]! == "Ready")!;
        Assert.Equal("NodeStatusUnknown", (string)ready["reason"]!);
        Assert.Equal("Kubelet stopped posting node status.", (string)ready["message"]!);
        var taints = node["spec"]!["taints"]!.AsArray();
        Assert.Contains(taints, t => (string)t!["key"]! == "node.kubernetes.io/unreachable" && (string)t["effect"]! == "NoSchedule");
        Assert.Contains(taints, t => (string)t!["key"]! == "node.kubernetes.io/unreachable" && (string)t["effect"]! == "NoExecute" && t["timeAdded"] is not null);
        // the other nodes stay Ready
        var (_, other, _) = await lab.GetAsync("/api/v1/nodes/node-000");
        Assert.Contains(other!["status"]!["conditions"]!.AsArray(), c => (string)c!["type"]! == "Ready" && (string)c["status"]! == "True");

        // tolerationSeconds 20: evicted (gracefully deleted: Terminating, as on a real cluster the pod stays until
        // its unreachable kubelet confirms or the node goes) after 20 s (Lab time) of the taint; no tolerationSeconds: kept
        await Wait.Until(async () => (await lab.GetAsync(pods + "/short")) is var r && (r.Code == HttpStatusCode.NotFound || r.Body?["metadata"]?["deletionTimestamp"] is not null), "eviction", 10);
        var forever = await lab.GetAsync(pods + "/forever");
        Assert.Equal(HttpStatusCode.OK, forever.Code);
        Assert.Null(forever.Body!["metadata"]!["deletionTimestamp"]);

        // deleted at 400 s: the node, its lease and its pods go
        await Wait.Until(async () => (await lab.GetAsync("/api/v1/nodes/node-001")).Code == HttpStatusCode.NotFound, "node deletion", 15);
        await Wait.Until(async () => (await lab.GetAsync(pods + "/forever")).Code == HttpStatusCode.NotFound, "pod gc", 5);
        await Wait.Until(async () => (await lab.GetAsync(leases + "/node-001")).Code == HttpStatusCode.NotFound, "lease gc", 5);
        Assert.Equal(HttpStatusCode.OK, (await lab.GetAsync(pods + "/elsewhere")).Code);
    }

    [Fact]
    public async Task Node_recovers_when_the_fault_is_lifted()
    {
        await using var lab = await TestLab.StartAsync(new LabOptions { Nodes = 2, TimeScale = 100, FaultPlan = new Faults.FaultPlan { Nodes = [new() { Node = "node-001", NotReadyAfterSeconds = 0 }] } });
        bool ReadyIs(JsonNode? n, string s) => n!["status"]!["conditions"]!.AsArray().Any(c => (string)c!["type"]! == "Ready" && (string)c["status"]! == s);
        await Wait.Until(async () => ReadyIs((await lab.GetAsync("/api/v1/nodes/node-001")).Body, "Unknown"), "unknown", 10);
        await lab.SendAsync(HttpMethod.Put, "/clydelab/v1/faults", "{}");
        JsonNode? node = null;
        await Wait.Until(async () => ReadyIs(node = (await lab.GetAsync("/api/v1/nodes/node-001")).Body, "True"), "ready again", 10);
        Assert.Null(node!["spec"]!["taints"]);
    }

    [Fact]
    public async Task Nodes_not_ready_in_the_cluster_shape_never_heartbeat()
    {
        var spec = new Cluster.ClusterSpec { NodeGroups = [new Cluster.NodeGroupSpec { Name = "w", Count = 2, NotReady = 1 }] };
        await using var lab = await TestLab.StartAsync(new LabOptions { Cluster = spec, TimeScale = 100 });
        var (_, list, _) = await lab.GetAsync("/api/v1/nodes");
        var notReady = list!["items"]!.AsArray().Single(n => n!["status"]!["conditions"]!.AsArray().Any(c => (string)c!["type"]! == "Ready" && (string)c["status"]! == "Unknown"));
        var name = (string)notReady!["metadata"]!["name"]!;
        await Task.Delay(700); // 70 s of Lab time
        Assert.Equal(HttpStatusCode.NotFound, (await lab.GetAsync("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/" + name)).Code);
        var (_, again, _) = await lab.GetAsync("/api/v1/nodes/" + name);
        Assert.Contains(again!["status"]!["conditions"]!.AsArray(), c => (string)c!["type"]! == "Ready" && (string)c["status"]! == "Unknown");
    }
}
