using System.Net;

namespace ClydePS.Lab.Tests;

public sealed class PatchTests(SharedLab shared) : IClassFixture<SharedLab>
{
    TestLab Lab => shared.Lab;
    const string Pods = "/api/v1/namespaces/default/pods";

    static string TwoContainers(string name) =>
        $$$"""{"metadata":{"name":"{{{name}}}","labels":{"a":"1"}},"spec":{"containers":[{"name":"one","image":"busybox:1","env":[{"name":"X","value":"1"}]},{"name":"two","image":"busybox:2"}]}}""";

    [Fact]
    public async Task Json_patch()
    {
        await Lab.PostAsync(Pods, TwoContainers("patch-json"));
        var (code, pod, _) = await Lab.PatchAsync(Pods + "/patch-json",
            """[{"op":"add","path":"/metadata/labels/b","value":"2"},{"op":"replace","path":"/spec/containers/1/image","value":"busybox:3"},{"op":"test","path":"/metadata/labels/a","value":"1"}]""",
            "application/json-patch+json");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("2", (string)pod!["metadata"]!["labels"]!["b"]!);
        Assert.Equal("busybox:3", (string)pod["spec"]!["containers"]![1]!["image"]!);
        var (failed, _, _) = await Lab.PatchAsync(Pods + "/patch-json", """[{"op":"test","path":"/metadata/labels/a","value":"nope"}]""", "application/json-patch+json");
        Assert.Equal((HttpStatusCode)422, failed);
    }

    [Fact]
    public async Task Merge_patch_replaces_lists()
    {
        await Lab.PostAsync(Pods, TwoContainers("patch-merge"));
        var (code, pod, _) = await Lab.PatchAsync(Pods + "/patch-merge",
            """{"metadata":{"labels":{"a":null,"c":"3"}}}""", "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Null(pod!["metadata"]!["labels"]!["a"]);
        Assert.Equal("3", (string)pod["metadata"]!["labels"]!["c"]!);
        Assert.Equal(2, pod["spec"]!["containers"]!.AsArray().Count);
    }

    [Fact]
    public async Task Strategic_merge_patch_merges_containers_by_name()
    {
        await Lab.PostAsync(Pods, TwoContainers("patch-smp"));
        var (code, pod, _) = await Lab.PatchAsync(Pods + "/patch-smp",
            """{"spec":{"containers":[{"name":"two","image":"busybox:9"}]},"metadata":{"labels":{"d":"4"}}}""", "application/strategic-merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, code);
        var containers = pod!["spec"]!["containers"]!.AsArray();
        Assert.Equal(2, containers.Count);
        Assert.Equal("busybox:1", (string)containers[0]!["image"]!);
        Assert.Equal("busybox:9", (string)containers[1]!["image"]!);
        Assert.Equal("1", (string)pod["metadata"]!["labels"]!["a"]!);
        Assert.Equal("4", (string)pod["metadata"]!["labels"]!["d"]!);
        // env merges by name; $patch: delete removes by key
        var (c2, p2, _) = await Lab.PatchAsync(Pods + "/patch-smp",
            """{"spec":{"containers":[{"name":"one","env":[{"name":"Y","value":"2"}]}]}}""", "application/strategic-merge-patch+json");
        Assert.Equal((HttpStatusCode)422, c2); // env is not an image: pod spec is immutable
        Assert.Contains("Forbidden", (string)p2!["message"]!);
        var (c3, p3, _) = await Lab.PatchAsync(Pods + "/patch-smp",
            """{"spec":{"tolerations":[{"key":"k","operator":"Exists"}]}}""", "application/strategic-merge-patch+json");
        // tolerations are atomic: the list is replaced, dropping the defaulted ones, which a pod update may not do
        Assert.Equal((HttpStatusCode)422, c3);
        Assert.Contains("spec: Forbidden", (string)p3!["message"]!);
    }

    [Fact]
    public async Task Strategic_merge_patch_on_node_conditions_merges_by_type()
    {
        var (code, node, _) = await Lab.PatchAsync("/api/v1/nodes/node-001/status",
            """{"status":{"conditions":[{"type":"Ready","status":"False","reason":"KubeletNotReady","message":"test"}]}}""",
            "application/strategic-merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, code);
        var conds = node!["status"]!["conditions"]!.AsArray();
        Assert.Equal(4, conds.Count);
        Assert.Equal("False", (string)conds.Single(c => (string)c!["type"]! == "Ready")!["status"]!);
        var (_, table, _) = await Lab.GetAsync("/api/v1/nodes/node-001", "application/json;as=Table;v=v1;g=meta.k8s.io");
        Assert.Equal("NotReady", (string)table!["rows"]![0]!["cells"]![1]!);
        // restore
        await Lab.PatchAsync("/api/v1/nodes/node-001/status",
            """{"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","message":"kubelet is posting ready status"}]}}""",
            "application/strategic-merge-patch+json");
    }

    [Fact]
    public async Task Strict_validation_applies_to_patches()
    {
        await Lab.PostAsync(Pods, TestLab.Pod("patch-strict"));
        var (code, body, _) = await Lab.PatchAsync(Pods + "/patch-strict?fieldValidation=Strict",
            """{"spec":{"foo":"bar"}}""", "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Equal("strict decoding error: unknown field \"spec.foo\"", (string)body!["message"]!);
    }

    [Fact]
    public async Task Patch_of_missing_object_is_404()
    {
        var (code, body, _) = await Lab.PatchAsync(Pods + "/patch-missing", "{}", "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.NotFound, code);
        Assert.Equal("pods \"patch-missing\" not found", (string)body!["message"]!);
    }
}
