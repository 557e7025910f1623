using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ClydePS.Lab.Tests;

/// <summary>The Lab through KubernetesClient (the engine's client library).</summary>
public sealed class KubernetesClientTests(SharedLab shared) : IClassFixture<SharedLab>
{
    TestLab Lab => shared.Lab;

    static V1Pod NewPod(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "ClydePS" } },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.36" }] },
    };

    [Fact]
    public async Task Crud_through_the_client()
    {
        using var k = Lab.Client();
        var created = await k.CoreV1.CreateNamespacedPodAsync(NewPod("kc-a"), "default");
        Assert.Equal("Pending", created.Status.Phase);
        Assert.Equal("IfNotPresent", created.Spec.Containers[0].ImagePullPolicy);

        created.Metadata.Labels["x"] = "1";
        var replaced = await k.CoreV1.ReplaceNamespacedPodAsync(created, "kc-a", "default");
        Assert.Equal("1", replaced.Metadata.Labels["x"]);

        var patched = await k.CoreV1.PatchNamespacedPodAsync(
            new V1Patch("""{"metadata":{"labels":{"y":"2"}}}""", V1Patch.PatchType.StrategicMergePatch), "kc-a", "default");
        Assert.Equal("2", patched.Metadata.Labels["y"]);
        var merged = await k.CoreV1.PatchNamespacedPodAsync(
            new V1Patch("""{"metadata":{"labels":{"y":null}}}""", V1Patch.PatchType.MergePatch), "kc-a", "default");
        Assert.False(merged.Metadata.Labels.ContainsKey("y"));
        var jsonPatched = await k.CoreV1.PatchNamespacedPodAsync(
            new V1Patch("""[{"op":"add","path":"/metadata/annotations","value":{"a":"b"}}]""", V1Patch.PatchType.JsonPatch), "kc-a", "default");
        Assert.Equal("b", jsonPatched.Metadata.Annotations["a"]);

        var list = await k.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app.kubernetes.io/managed-by=ClydePS,x=1");
        Assert.Contains(list.Items, p => p.Metadata.Name == "kc-a");

        var status = await k.CoreV1.ReadNamespacedPodStatusAsync("kc-a", "default");
        status.Status.Phase = "Running";
        var afterStatus = await k.CoreV1.ReplaceNamespacedPodStatusAsync(status, "kc-a", "default");
        Assert.Equal("Running", afterStatus.Status.Phase);

        var deleted = await k.CoreV1.DeleteNamespacedPodAsync("kc-a", "default");
        Assert.Equal("kc-a", deleted.Metadata.Name);
        var ex = await Assert.ThrowsAsync<HttpOperationException>(() => k.CoreV1.ReadNamespacedPodAsync("kc-a", "default"));
        Assert.Equal(HttpStatusCode.NotFound, ex.Response.StatusCode);
        Assert.Contains("pods \\\"kc-a\\\" not found", ex.Response.Content);
    }

    [Fact]
    public async Task Nodes_and_namespaces_through_the_client()
    {
        using var k = Lab.Client();
        var nodes = await k.CoreV1.ListNodeAsync();
        Assert.Equal(5, nodes.Items.Count);
        Assert.Equal(2, nodes.Items.Count(n => n.Status.Addresses.Any(a => a.Type == "ExternalIP")));
        Assert.All(nodes.Items, n => Assert.Equal("True", n.Status.Conditions.Single(c => c.Type == "Ready").Status));
        var node = await k.CoreV1.ReadNodeAsync("node-002");
        node.Spec.Unschedulable = true;
        var cordoned = await k.CoreV1.ReplaceNodeAsync(node, "node-002");
        Assert.True(cordoned.Spec.Unschedulable);
        var filtered = await k.CoreV1.ListNodeAsync(fieldSelector: "spec.unschedulable=true");
        Assert.Equal("node-002", Assert.Single(filtered.Items).Metadata.Name);

        var ns = await k.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "kc-ns" } });
        Assert.Equal("Active", ns.Status.Phase);
        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() =>
            k.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "kc-ns" } }));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
    }

    [Fact]
    public async Task Request_log_records_api_calls()
    {
        await Lab.GetAsync("/api/v1/namespaces/kube-system/pods?limit=7");
        var (code, log, _) = await Lab.GetAsync("/clydelab/v1/requests?limit=2000");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Contains(log!["requests"]!.AsArray(), r => (string)r!["verb"]! == "list" && (string)r["resource"]! == "pods"
            && (string?)r["namespace"] == "kube-system" && (int)r["code"]! == 200 && ((string)r["query"]!).Contains("limit=7"));
    }

    [Fact]
    public async Task Watch_list_sends_initial_events_then_an_end_bookmark()
    {
        await Lab.PostAsync("/api/v1/namespaces", """{"metadata":{"name":"kc-wl"}}""");
        await Lab.PostAsync("/api/v1/namespaces/kc-wl/pods", TestLab.Pod("a"));
        using var resp = await Lab.Http.GetAsync("/api/v1/namespaces/kc-wl/pods?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1");
        var lines = (await resp.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!).ToList();
        Assert.Equal("ADDED", (string)lines[0]["type"]!);
        Assert.Equal("BOOKMARK", (string)lines[1]["type"]!);
        Assert.Equal("true", (string)lines[1]["object"]!["metadata"]!["annotations"]!["k8s.io/initial-events-end"]!);
    }
}
