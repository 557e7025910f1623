using System.Net;
using System.Text.Json.Nodes;
using ClydePS.Lab;

namespace ClydePS.Lab.Tests;

public sealed class MoreApiTests(SharedLab shared) : IClassFixture<SharedLab>
{
    TestLab Lab => shared.Lab;
    const string Pods = "/api/v1/namespaces/default/pods";

    [Fact]
    public async Task Dry_run_writes_nothing()
    {
        var before = Lab.Host.Store.CurrentResourceVersion;
        var (code, body, _) = await Lab.PostAsync(Pods + "?dryRun=All", TestLab.Pod("more-dry"));
        Assert.Equal(HttpStatusCode.Created, code);
        Assert.Equal("Always", (string)body!["spec"]!["restartPolicy"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await Lab.GetAsync(Pods + "/more-dry")).Code);
        Assert.Equal(before, Lab.Host.Store.CurrentResourceVersion);
        var (bad, _, _) = await Lab.PostAsync(Pods + "?dryRun=Some", TestLab.Pod("more-dry"));
        Assert.Equal(HttpStatusCode.BadRequest, bad);

        await Lab.PostAsync(Pods, TestLab.Pod("more-dry2"));
        before = Lab.Host.Store.CurrentResourceVersion;
        var (pc, patched, _) = await Lab.PatchAsync(Pods + "/more-dry2?dryRun=All", """{"metadata":{"labels":{"x":"1"}}}""", "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, pc);
        Assert.Equal("1", (string)patched!["metadata"]!["labels"]!["x"]!);
        var (dc, _, _) = await Lab.SendAsync(HttpMethod.Delete, Pods + "/more-dry2?dryRun=All");
        Assert.Equal(HttpStatusCode.OK, dc);
        Assert.Equal(before, Lab.Host.Store.CurrentResourceVersion);
        var (_, still, _) = await Lab.GetAsync(Pods + "/more-dry2");
        Assert.Null(still!["metadata"]!["labels"]);
    }

    [Fact]
    public async Task Yaml_bodies_are_accepted()
    {
        var yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: more-yaml\n  labels:\n    n: \"1\"\nspec:\n  containers:\n  - name: c\n    image: busybox:1.36\n    ports:\n    - containerPort: 80\n";
        var (code, body, _) = await Lab.SendAsync(HttpMethod.Post, Pods, yaml, "application/yaml");
        Assert.Equal(HttpStatusCode.Created, code);
        Assert.Equal(80, (int)body!["spec"]!["containers"]![0]!["ports"]![0]!["containerPort"]!);
        Assert.Equal("TCP", (string)body["spec"]!["containers"]![0]!["ports"]![0]!["protocol"]!);
        Assert.Equal("1", (string)body["metadata"]!["labels"]!["n"]!);
    }

    [Fact]
    public async Task Delete_preconditions_and_deletecollection()
    {
        var (_, p, _) = await Lab.PostAsync(Pods, TestLab.Pod("more-pre"));
        var (code, body, _) = await Lab.SendAsync(HttpMethod.Delete, Pods + "/more-pre", """{"preconditions":{"uid":"wrong"}}""");
        Assert.Equal(HttpStatusCode.Conflict, code);
        Assert.StartsWith("Operation cannot be fulfilled on pods \"more-pre\": Precondition failed: UID in precondition: wrong", (string)body!["message"]!);
        var uid = (string)p!["metadata"]!["uid"]!;
        var (ok, _, _) = await Lab.SendAsync(HttpMethod.Delete, Pods + "/more-pre", "{\"preconditions\":{\"uid\":\"" + uid + "\"}}");
        Assert.Equal(HttpStatusCode.OK, ok);

        await Lab.PostAsync("/api/v1/namespaces", """{"metadata":{"name":"more-dc"}}""");
        await Lab.PostAsync("/api/v1/namespaces/more-dc/pods", TestLab.Pod("a", labels: """{"g":"1"}"""));
        await Lab.PostAsync("/api/v1/namespaces/more-dc/pods", TestLab.Pod("b", labels: """{"g":"1"}"""));
        await Lab.PostAsync("/api/v1/namespaces/more-dc/pods", TestLab.Pod("c", labels: """{"g":"2"}"""));
        var (dc, list, _) = await Lab.SendAsync(HttpMethod.Delete, "/api/v1/namespaces/more-dc/pods?labelSelector=g%3D1");
        Assert.Equal(HttpStatusCode.OK, dc);
        Assert.Equal("PodList", (string)list!["kind"]!);
        Assert.Equal(2, list["items"]!.AsArray().Count);
        var (_, left, _) = await Lab.GetAsync("/api/v1/namespaces/more-dc/pods");
        Assert.Equal("c", (string)left!["items"]![0]!["metadata"]!["name"]!);
    }

    [Fact]
    public async Task Name_mismatch_on_put_is_400()
    {
        var (_, p, _) = await Lab.PostAsync(Pods, TestLab.Pod("more-mismatch"));
        p!["metadata"]!["name"] = "other";
        var (code, body, _) = await Lab.PutAsync(Pods + "/more-mismatch", p.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Equal("the name of the object (other) does not match the name on the URL (more-mismatch)", (string)body!["message"]!);
        var (nf, _, _) = await Lab.PutAsync(Pods + "/more-none", TestLab.Pod("more-none"));
        Assert.Equal(HttpStatusCode.NotFound, nf);
    }

    [Fact]
    public async Task Openapi_v3_lists_group_versions_and_patch_parameters()
    {
        var (code, index, _) = await Lab.GetAsync("/openapi/v3");
        Assert.Equal(HttpStatusCode.OK, code);
        var url = (string)index!["paths"]!["api/v1"]!["serverRelativeURL"]!;
        var (c2, doc, _) = await Lab.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, c2);
        var patch = doc!["paths"]!["/api/v1/namespaces/{namespace}/pods/{name}"]!["patch"]!;
        Assert.Equal("Pod", (string)patch["x-kubernetes-group-version-kind"]!["kind"]!);
        Assert.Contains(patch["parameters"]!.AsArray(), p => (string)p!["name"]! == "fieldValidation");
    }

    [Fact]
    public async Task Many_watchers_all_receive_an_event()
    {
        await Lab.PostAsync("/api/v1/namespaces", """{"metadata":{"name":"more-fan"}}""");
        var rv = Lab.Host.Store.CurrentResourceVersion;
        var watches = Enumerable.Range(0, 100).Select(async _ =>
        {
            using var resp = await Lab.Http.GetAsync($"/api/v1/namespaces/more-fan/pods?watch=true&resourceVersion={rv}&timeoutSeconds=5",
                HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync());
            return await reader.ReadLineAsync();
        }).ToList();
        while (Lab.Host.Store.WatcherCount < 100) await Task.Delay(20);
        await Lab.PostAsync("/api/v1/namespaces/more-fan/pods", TestLab.Pod("fan"));
        var lines = await Task.WhenAll(watches);
        Assert.All(lines, l => Assert.Equal("ADDED", (string)JsonNode.Parse(l!)!["type"]!));
    }

    [Fact]
    public async Task Table_watch_events_carry_tables()
    {
        await Lab.PostAsync("/api/v1/namespaces", """{"metadata":{"name":"more-tw"}}""");
        await Lab.PostAsync("/api/v1/namespaces/more-tw/pods", TestLab.Pod("a"));
        await Lab.PostAsync("/api/v1/namespaces/more-tw/pods", TestLab.Pod("b"));
        using var req = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces/more-tw/pods?watch=true&timeoutSeconds=1");
        req.Headers.TryAddWithoutValidation("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io");
        using var resp = await Lab.Http.SendAsync(req);
        var events = (await resp.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(2, events.Count);
        Assert.Equal("Table", (string)events[0]["object"]!["kind"]!);
        Assert.NotEmpty(events[0]["object"]!["columnDefinitions"]!.AsArray());
        Assert.Empty(events[1]["object"]!["columnDefinitions"]!.AsArray());
        Assert.Equal("b", (string)events[1]["object"]!["rows"]![0]!["cells"]![0]!);
    }
}
