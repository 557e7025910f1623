using System.Net;
using System.Text.Json.Nodes;
using ClydePS.Lab;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Tests;

public sealed class WatchTests : IAsyncLifetime
{
    TestLab _lab = null!;

    public async Task InitializeAsync() =>
        _lab = await TestLab.StartAsync(new LabOptions { Nodes = 2, WatchBookmarkInterval = TimeSpan.FromMilliseconds(100), WatchHistorySize = 50 });

    public async Task DisposeAsync() => await _lab.DisposeAsync();

    async Task<string> Ns(string name)
    {
        await _lab.PostAsync("/api/v1/namespaces", "{\"metadata\":{\"name\":\"" + name + "\"}}");
        return $"/api/v1/namespaces/{name}/pods";
    }

    /// <summary>Reads a watch to its end (the server closes it at timeoutSeconds).</summary>
    async Task<List<JsonNode>> WatchAll(string pathAndQuery)
    {
        using var resp = await _lab.Http.GetAsync(pathAndQuery, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var text = await resp.Content.ReadAsStringAsync();
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
    }

    static List<string> Summary(IEnumerable<JsonNode> events) =>
        events.Where(e => (string)e["type"]! != "BOOKMARK").Select(e => $"{e["type"]} {e["object"]!["metadata"]!["name"]}").ToList();

    [Fact]
    public async Task Synthetic_added_only_without_resourceVersion_or_zero()
    {
        var path = await Ns("w-initial");
        await _lab.PostAsync(path, TestLab.Pod("a"));
        var (_, b, _) = await _lab.PostAsync(path, TestLab.Pod("b"));
        Assert.Equal(["ADDED a", "ADDED b"], Summary(await WatchAll(path + "?watch=true&timeoutSeconds=1")));
        Assert.Equal(["ADDED a", "ADDED b"], Summary(await WatchAll(path + "?watch=1&resourceVersion=0&timeoutSeconds=1")));
        var rv = (string)b!["metadata"]!["resourceVersion"]!;
        Assert.Empty(Summary(await WatchAll(path + $"?watch=true&resourceVersion={rv}&timeoutSeconds=1")));
        var events = await WatchAll(path + "?watch=true&timeoutSeconds=1");
        Assert.Equal("Pod", (string)events[0]["object"]!["kind"]!);
    }

    [Fact]
    public async Task Replay_from_a_resourceVersion()
    {
        var path = await Ns("w-replay");
        var (_, a, _) = await _lab.PostAsync(path, TestLab.Pod("a"));
        var rv = (string)a!["metadata"]!["resourceVersion"]!;
        await _lab.PatchAsync(path + "/a", """{"metadata":{"labels":{"x":"1"}}}""", "application/merge-patch+json");
        await _lab.PostAsync(path, TestLab.Pod("b"));
        await _lab.DeleteAsync(path + "/a");
        var events = await WatchAll(path + $"?watch=true&resourceVersion={rv}&timeoutSeconds=1");
        Assert.Equal(["MODIFIED a", "ADDED b", "DELETED a"], Summary(events));
        var rvs = events.Select(e => long.Parse((string)e["object"]!["metadata"]!["resourceVersion"]!)).ToList();
        Assert.Equal(rvs.OrderBy(x => x), rvs);
    }

    [Fact]
    public async Task Too_old_resourceVersion_gets_one_410_Expired_event()
    {
        var path = await Ns("w-expired");
        for (var i = 0; i < 60; i++) await _lab.PostAsync(path, TestLab.Pod($"p{i}"));
        var events = await WatchAll(path + "?watch=true&resourceVersion=1&timeoutSeconds=5");
        var e = Assert.Single(events);
        Assert.Equal("ERROR", (string)e["type"]!);
        var status = e["object"]!;
        Assert.Equal("Status", (string)status["kind"]!);
        Assert.Equal("Failure", (string)status["status"]!);
        Assert.Equal("Expired", (string)status["reason"]!);
        Assert.Equal(410, (int)status["code"]!);
        Assert.Matches(@"^too old resource version: 1 \(\d+\)$", (string)status["message"]!);
    }

    [Fact]
    public async Task Bookmarks_only_when_allowed()
    {
        var path = await Ns("w-bookmarks");
        await _lab.PostAsync(path, TestLab.Pod("a"));
        // Bookmarks come every 100 ms; a 3 s watch leaves room for a loaded machine.
        var with = await WatchAll(path + "?watch=true&allowWatchBookmarks=true&timeoutSeconds=3");
        var bm = with.Where(e => (string)e["type"]! == "BOOKMARK").ToList();
        Assert.NotEmpty(bm);
        Assert.Equal("Pod", (string)bm[0]["object"]!["kind"]!);
        Assert.True(long.Parse((string)bm[0]["object"]!["metadata"]!["resourceVersion"]!) > 0);
        var without = await WatchAll(path + "?watch=true&timeoutSeconds=1");
        Assert.DoesNotContain(without, e => (string)e["type"]! == "BOOKMARK");
    }

    [Fact]
    public async Task Live_events_and_selector_transitions()
    {
        var path = await Ns("w-live");
        await _lab.PostAsync(path, TestLab.Pod("m", labels: """{"app":"x"}"""));
        var (_, list, _) = await _lab.GetAsync(path);
        var rv = (string)list!["metadata"]!["resourceVersion"]!;
        var watch = WatchAll(path + $"?watch=true&resourceVersion={rv}&labelSelector=app%3Dx&timeoutSeconds=2");
        await Task.Delay(300);
        await _lab.PostAsync(path, TestLab.Pod("n", labels: """{"app":"x"}"""));
        await _lab.PostAsync(path, TestLab.Pod("other", labels: """{"app":"y"}"""));
        await _lab.PatchAsync(path + "/m", """{"metadata":{"labels":{"app":"y"}}}""", "application/merge-patch+json");
        await _lab.PatchAsync(path + "/other", """{"metadata":{"labels":{"app":"x"}}}""", "application/merge-patch+json");
        Assert.Equal(["ADDED n", "DELETED m", "ADDED other"], Summary(await watch));
    }

    [Fact]
    public async Task Bad_resourceVersion_is_400()
    {
        var (code, body, _) = await _lab.GetAsync("/api/v1/pods?watch=true&resourceVersion=abc");
        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Equal("BadRequest", (string)body!["reason"]!);
    }

    [Fact]
    public async Task Kubernetes_client_watch_sees_events()
    {
        var path = await Ns("w-client");
        using var client = _lab.Client();
        var seen = new List<(WatchEventType, string)>();
        var done = new TaskCompletionSource();
        var watchersBefore = _lab.Host.Store.WatcherCount;
        var resp = client.CoreV1.ListNamespacedPodWithHttpMessagesAsync("w-client", watch: true, timeoutSeconds: 10);
        using var watcher = resp.Watch<V1Pod, V1PodList>((type, pod) =>
        {
            lock (seen) seen.Add((type, pod.Metadata.Name));
            if (type == WatchEventType.Deleted) done.TrySetResult();
        }, onClosed: () => done.TrySetResult());
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_lab.Host.Store.WatcherCount <= watchersBefore && DateTime.UtcNow < deadline) await Task.Delay(10);
        await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "k" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] },
        }, "w-client");
        await client.CoreV1.DeleteNamespacedPodAsync("k", "w-client");
        await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        lock (seen) Assert.Equal([(WatchEventType.Added, "k"), (WatchEventType.Deleted, "k")], seen);
    }
}
