using System.Net;
using System.Text.Json.Nodes;

namespace ClydePS.Lab.Tests;

public sealed class ListTests(SharedLab shared) : IClassFixture<SharedLab>
{
    TestLab Lab => shared.Lab;

    async Task<string> NamespaceWithPods(string ns, params (string Name, string Labels)[] pods)
    {
        await Lab.PostAsync("/api/v1/namespaces", "{\"metadata\":{\"name\":\"" + ns + "\"}}");
        foreach (var (name, labels) in pods)
        {
            var (code, _, _) = await Lab.PostAsync($"/api/v1/namespaces/{ns}/pods", TestLab.Pod(name, labels: labels));
            Assert.Equal(HttpStatusCode.Created, code);
        }
        return $"/api/v1/namespaces/{ns}/pods";
    }

    static List<string> Names(JsonNode? list) => list!["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!).ToList();

    [Fact]
    public async Task Paging_with_limit_and_continue()
    {
        var path = await NamespaceWithPods("list-paging", Enumerable.Range(0, 7).Select(i => ($"p{i}", "{}")).ToArray());
        var seen = new List<string>();
        string? cont = null;
        var pages = 0;
        do
        {
            var (code, page, _) = await Lab.GetAsync($"{path}?limit=3" + (cont is null ? "" : "&continue=" + Uri.EscapeDataString(cont)));
            Assert.Equal(HttpStatusCode.OK, code);
            seen.AddRange(Names(page));
            cont = (string?)page!["metadata"]!["continue"];
            if (pages == 0) Assert.Equal(4, (long)page["metadata"]!["remainingItemCount"]!);
            pages++;
        } while (!string.IsNullOrEmpty(cont));
        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"p{i}"), seen);
        var (bad, _, _) = await Lab.GetAsync($"{path}?limit=3&continue=garbage");
        Assert.Equal(HttpStatusCode.BadRequest, bad);
    }

    [Fact]
    public async Task Label_selectors()
    {
        var path = await NamespaceWithPods("list-labels",
            ("a", """{"app":"web","tier":"front"}"""), ("b", """{"app":"web","tier":"back"}"""), ("c", """{"app":"db"}"""), ("d", "{}"));
        async Task<List<string>> Sel(string s) => Names((await Lab.GetAsync($"{path}?labelSelector={Uri.EscapeDataString(s)}")).Body);
        Assert.Equal(["a", "b"], await Sel("app=web"));
        Assert.Equal(["a", "b"], await Sel("app==web"));
        Assert.Equal(["c", "d"], await Sel("app!=web"));
        Assert.Equal(["a", "b", "c"], await Sel("app in (web,db)"));
        Assert.Equal(["c", "d"], await Sel("app notin (web)"));
        Assert.Equal(["a", "b"], await Sel("tier"));
        Assert.Equal(["c", "d"], await Sel("!tier"));
        Assert.Equal(["a"], await Sel("app=web,tier=front"));
        Assert.Equal(["b"], await Sel("app in (web), tier notin (front)"));
        var (bad, _, _) = await Lab.GetAsync($"{path}?labelSelector={Uri.EscapeDataString("app in web")}");
        Assert.Equal(HttpStatusCode.BadRequest, bad);
    }

    [Fact]
    public async Task Field_selectors()
    {
        var path = await NamespaceWithPods("list-fields", ("f1", "{}"), ("f2", "{}"));
        var (_, f2, _) = await Lab.GetAsync(path + "/f2");
        f2!["status"]!["phase"] = "Running";
        await Lab.PutAsync(path + "/f2/status", f2.ToJsonString());
        Assert.Equal(["f2"], Names((await Lab.GetAsync(path + "?fieldSelector=status.phase%3DRunning")).Body));
        Assert.Equal(["f1"], Names((await Lab.GetAsync(path + "?fieldSelector=status.phase!%3DRunning")).Body));
        Assert.Equal(["f1"], Names((await Lab.GetAsync(path + "?fieldSelector=metadata.name%3Df1")).Body));
        Assert.Equal(["f1", "f2"], Names((await Lab.GetAsync(path + "?fieldSelector=spec.nodeName%3D")).Body));
        Assert.Equal(["f1", "f2"], Names((await Lab.GetAsync("/api/v1/pods?fieldSelector=metadata.namespace%3Dlist-fields")).Body));
        Assert.Equal(["f1", "f2"], Names((await Lab.GetAsync(path + "?fieldSelector=spec.restartPolicy%3DAlways,spec.schedulerName%3Ddefault-scheduler")).Body));
        var (code, body, _) = await Lab.GetAsync(path + "?fieldSelector=spec.foo%3Dbar");
        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Equal("field label not supported: spec.foo", (string)body!["message"]!);
        Assert.Equal("BadRequest", (string)body["reason"]!);
    }

    [Fact]
    public async Task Cross_namespace_pod_list_is_sorted_by_namespace_then_name()
    {
        await NamespaceWithPods("list-x1", ("z", "{}"));
        await NamespaceWithPods("list-x0", ("y", "{}"));
        var (_, body, _) = await Lab.GetAsync("/api/v1/pods");
        var keys = body!["items"]!.AsArray().Select(i => (string)i!["metadata"]!["namespace"]! + "/" + (string)i["metadata"]!["name"]!).ToList();
        Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), keys);
        Assert.Contains("list-x0/y", keys);
        Assert.Equal("PodList", (string)body["kind"]!);
    }

    [Fact]
    public async Task Node_field_selector_spec_unschedulable()
    {
        var (_, all, _) = await Lab.GetAsync("/api/v1/nodes?fieldSelector=spec.unschedulable%3Dfalse");
        Assert.True(Names(all).Count >= 5);
        var (_, none, _) = await Lab.GetAsync("/api/v1/nodes?fieldSelector=spec.unschedulable%3Dtrue");
        Assert.Empty(Names(none));
    }
}
