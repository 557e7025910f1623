using System.Net;
using System.Text.Json.Nodes;

namespace ClydePS.Lab.Tests;

/// <summary>A node's simulated kubelet stops while the node is down (NodeFault) and resumes when the fault is lifted.</summary>
public sealed class KubeletNodeFaultTests
{
    const string Pods = "/api/v1/namespaces/default/pods";

    static string PodOn(string name, string node) =>
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{\"nodeName\":\"" + node +
        "\",\"tolerations\":[{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"}]" +
        ",\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\",\"command\":[\"sleep\",\"infinity\"]}]}}";

    static async Task<JsonNode?> Get(TestLab lab, string name) => (await lab.GetAsync(Pods + "/" + name)).Body;

    [Fact]
    public async Task Kubelet_of_a_down_node_starts_nothing_writes_nothing_keeps_Terminating_pods_and_resumes()
    {
        await using var lab = await TestLab.StartAsync(new LabOptions { Nodes = 2, TimeScale = 100 }, simulate: true);
        Assert.Equal(HttpStatusCode.Created, (await lab.PostAsync(Pods, PodOn("before", "node-001"))).Code);
        await Wait.Until(async () => (string?)(await Get(lab, "before"))?["status"]?["phase"] == "Running", "running");

        await lab.SendAsync(HttpMethod.Put, "/clydelab/v1/faults", """{"nodes":[{"node":"node-001","notReadyAfterSeconds":0}]}""");
        await Wait.Until(() => Task.FromResult(!lab.Host.Kubelets!.NodeState("node-001").Running), "kubelet stopped");
        Assert.Equal(HttpStatusCode.Created, (await lab.PostAsync(Pods, PodOn("after", "node-001"))).Code);
        var (dc, deleted, _) = await lab.DeleteAsync(Pods + "/before");
        Assert.Equal(HttpStatusCode.OK, dc);
        Assert.NotNull(deleted!["metadata"]!["deletionTimestamp"]);

        // 150 s of Lab time: far past the 30 s grace period, and the node has gone NotReady meanwhile
        await Task.Delay(1500);
        var node = (await lab.GetAsync("/api/v1/nodes/node-001")).Body!;
        Assert.Contains(node["status"]!["conditions"]!.AsArray(), c => (string)c!["type"]! == "Ready" && (string)c["status"]! == "Unknown");
        var before = await Get(lab, "before");
        Assert.NotNull(before!["metadata"]!["deletionTimestamp"]); // stays Terminating, as on a real cluster
        Assert.Equal("Running", (string)before["status"]!["phase"]!);
        var after = await Get(lab, "after");
        Assert.Null(after!["status"]?["containerStatuses"]); // no container started, no status written
        Assert.Null(after["status"]?["podIP"]);
        var (_, events, _) = await lab.GetAsync(Pods.Replace("pods", "events") + "?fieldSelector=involvedObject.name%3Dafter");
        Assert.DoesNotContain(events!["items"]!.AsArray(), e => (string?)e!["source"]?["component"] == "kubelet");

        // the fault is lifted: the kubelet finishes the deletion and starts the new pod
        await lab.SendAsync(HttpMethod.Put, "/clydelab/v1/faults", "{}");
        await Wait.Until(async () => (await lab.GetAsync(Pods + "/before")).Code == HttpStatusCode.NotFound, "deferred deletion", 10);
        await Wait.Until(async () => (string?)(await Get(lab, "after"))?["status"]?["phase"] == "Running", "new pod running", 10);
    }

    [Fact]
    public async Task Deleted_node_kubelet_stops_for_good()
    {
        await using var lab = await TestLab.StartAsync(new LabOptions { Nodes = 2, TimeScale = 100 }, simulate: true);
        var (_, created, _) = await lab.PostAsync(Pods, PodOn("doomed", "node-001"));
        var uid = (string)created!["metadata"]!["uid"]!;
        await Wait.Until(async () => (string?)(await Get(lab, "doomed"))?["status"]?["phase"] == "Running", "running");
        Assert.NotNull(lab.Host.Kubelets!.Worker(uid));
        await lab.SendAsync(HttpMethod.Put, "/clydelab/v1/faults", """{"nodes":[{"node":"node-001","notReadyAfterSeconds":0,"deleteAfterSeconds":60}]}""");
        await Wait.Until(async () => (await lab.GetAsync("/api/v1/nodes/node-001")).Code == HttpStatusCode.NotFound, "node deleted", 10);
        // the kubelet manager sees the deletion through its watch, a moment after the API does
        await Wait.Until(() => Task.FromResult(lab.Host.Kubelets.Worker(uid) is null), "the pod worker stops", 10);
        await Wait.Until(async () => (await lab.GetAsync(Pods + "/doomed")).Code == HttpStatusCode.NotFound, "pod gc", 10);
        // a pod bound to the gone node is never run
        await lab.SendAsync(HttpMethod.Put, "/clydelab/v1/faults", "{}");
        await lab.PostAsync(Pods, PodOn("orphan", "node-001"));
        await Task.Delay(300);
        var (oc, o, _) = await lab.GetAsync(Pods + "/orphan");
        // gone (pod GC of pods bound to a missing node) or never started
        Assert.True(oc == HttpStatusCode.NotFound || o!["status"]?["containerStatuses"] is null);
    }
}
