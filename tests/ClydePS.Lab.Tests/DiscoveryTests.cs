using System.Net;
using System.Text.Json.Nodes;

namespace ClydePS.Lab.Tests;

public sealed class DiscoveryTests(SharedLab shared) : IClassFixture<SharedLab>
{
    TestLab Lab => shared.Lab;

    [Fact]
    public async Task Version_reports_1_32()
    {
        var (code, body, _) = await Lab.GetAsync("/version");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.StartsWith("v1.32.", (string)body!["gitVersion"]!);
        Assert.Equal("1", (string)body["major"]!);
        Assert.Equal("32", (string)body["minor"]!);
    }

    [Fact]
    public async Task Api_and_apis_are_valid_discovery_documents()
    {
        var aggregated = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
        var (code, api, resp) = await Lab.GetAsync("/api", aggregated);
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("application/json", resp.Content.Headers.ContentType!.MediaType);
        Assert.Equal("APIVersions", (string)api!["kind"]!);
        Assert.Contains("v1", api["versions"]!.AsArray().Select(v => (string)v!));
        var (code2, apis, _) = await Lab.GetAsync("/apis", aggregated);
        Assert.Equal(HttpStatusCode.OK, code2);
        Assert.Equal("APIGroupList", (string)apis!["kind"]!);
        Assert.NotNull(apis["groups"]!.AsArray());
    }

    [Fact]
    public async Task Core_v1_resource_list_has_the_served_kinds()
    {
        var (code, body, _) = await Lab.GetAsync("/api/v1");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("APIResourceList", (string)body!["kind"]!);
        Assert.Equal("v1", (string)body["groupVersion"]!);
        var res = body["resources"]!.AsArray().ToDictionary(r => (string)r!["name"]!, r => r!);
        Assert.Equal("Namespace", (string)res["namespaces"]["kind"]!);
        Assert.False((bool)res["namespaces"]["namespaced"]!);
        Assert.Contains("ns", res["namespaces"]["shortNames"]!.AsArray().Select(s => (string)s!));
        Assert.Contains("no", res["nodes"]["shortNames"]!.AsArray().Select(s => (string)s!));
        Assert.Contains("po", res["pods"]["shortNames"]!.AsArray().Select(s => (string)s!));
        Assert.True((bool)res["pods"]["namespaced"]!);
        Assert.False((bool)res["nodes"]["namespaced"]!);
        foreach (var verb in new[] { "create", "delete", "get", "list", "patch", "update", "watch" })
            Assert.Contains(verb, res["pods"]["verbs"]!.AsArray().Select(s => (string)s!));
        Assert.True(res.ContainsKey("nodes/status"));
        Assert.True(res.ContainsKey("pods/status"));
        Assert.Equal(new[] { "get", "patch", "update" }, res["pods/status"]["verbs"]!.AsArray().Select(s => (string)s!));
    }

    [Fact]
    public async Task Unknown_resource_and_path_are_404()
    {
        var (code, body, _) = await Lab.GetAsync("/api/v1/foos");
        Assert.Equal(HttpStatusCode.NotFound, code);
        Assert.Equal("the server could not find the requested resource", (string)body!["message"]!);
        var (code2, _, _) = await Lab.GetAsync("/nothing/here");
        Assert.Equal(HttpStatusCode.NotFound, code2);
    }

    [Fact]
    public async Task Initial_namespaces_exist()
    {
        var (_, body, _) = await Lab.GetAsync("/api/v1/namespaces");
        var names = body!["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!).ToList();
        foreach (var n in new[] { "default", "kube-system", "kube-public", "kube-node-lease" }) Assert.Contains(n, names);
        var (_, ns, _) = await Lab.GetAsync("/api/v1/namespaces/default");
        Assert.Equal("Active", (string)ns!["status"]!["phase"]!);
        Assert.Equal("default", (string)ns["metadata"]!["labels"]!["kubernetes.io/metadata.name"]!);
        Assert.Equal("Namespace", (string)ns["kind"]!);
    }

    [Fact]
    public async Task Stats_count_the_bytes_of_API_bodies_both_ways()
    {
        await using var lab = await TestLab.StartAsync(new LabOptions { Nodes = 2 });
        Assert.Equal(HttpStatusCode.OK, (await lab.Http.PostAsync("/clydelab/v1/stats/reset", null)).StatusCode);
        var got = await lab.Http.GetByteArrayAsync("/api/v1/nodes/node-000");
        var body = "{\"metadata\":{\"name\":\"counted\"},\"data\":{\"k\":\"" + new string('x', 5000) + "\"}}";
        var created = await lab.Http.PostAsync("/api/v1/namespaces/default/configmaps", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var createdBytes = (await created.Content.ReadAsByteArrayAsync()).Length;
        var (_, stats, _) = await lab.GetAsync("/clydelab/v1/stats");
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(body), (long)stats!["requestBytes"]!);
        Assert.Equal(got.Length + createdBytes, (long)stats["responseBytes"]!);
        Assert.Equal(2, (long)stats["total"]!);
    }

    [Fact]
    public async Task Stats_count_requests_per_verb_and_resource()
    {
        await Lab.GetAsync("/api/v1/nodes");
        await Lab.GetAsync("/api/v1/nodes/node-000");
        var (code, stats, _) = await Lab.GetAsync("/clydelab/v1/stats");
        Assert.Equal(HttpStatusCode.OK, code);
        var rows = stats!["requests"]!.AsArray();
        Assert.Contains(rows, r => (string)r!["verb"]! == "list" && (string)r["resource"]! == "nodes" && (long)r["count"]! >= 1);
        Assert.Contains(rows, r => (string)r!["verb"]! == "get" && (string)r["resource"]! == "nodes" && (long)r["count"]! >= 1);
        Assert.True((long)stats["total"]! >= 2);
        var (infoCode, info, _) = await Lab.GetAsync("/clydelab/v1/info");
        Assert.Equal(HttpStatusCode.OK, infoCode);
        Assert.Equal(5, (int)info!["nodes"]!);
    }
}
