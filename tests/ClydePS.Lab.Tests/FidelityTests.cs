using System.Net;
using System.Text.Json.Nodes;
using ClydePS.Lab.Cluster;

namespace ClydePS.Lab.Tests;

/// <summary>A simulating Lab with a missing image in its catalog (for pull failures).</summary>
public sealed class FidelityLab : IAsyncLifetime
{
    public TestLab Lab { get; private set; } = null!;
    public async Task InitializeAsync() => Lab = await TestLab.StartAsync(new LabOptions
    {
        TimeScale = 500,
        Cluster = new ClusterSpec
        {
            NodeGroups = [new NodeGroupSpec { Name = "workers", Count = 3 }],
            Images = [new ClusterImageSpec { Reference = "example.com/team/gone:1.0", Missing = true }],
        },
    }, simulate: true);
    public async Task DisposeAsync() => await Lab.DisposeAsync();
}

/// <summary>Kubelet behaviours, logs, binding, eviction, deletion and node images on a fast Lab clock.</summary>
public sealed class FidelityTests(FidelityLab shared) : IClassFixture<FidelityLab>
{
    TestLab Lab => shared.Lab;
    const string Pods = "/api/v1/namespaces/default/pods";

    static string Pod(string name, string spec) => "{\"metadata\":{\"name\":\"" + name + "\"},\"spec\":" + spec + "}";

    async Task<JsonNode> WaitFor(string path, Func<JsonNode, bool> done, int seconds = 20)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        JsonNode? last = null;
        while (DateTime.UtcNow < until)
        {
            var (code, body, _) = await Lab.GetAsync(path);
            if (code == HttpStatusCode.OK) { last = body; if (done(body!)) return body!; }
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"timed out waiting on {path}: {last?.ToJsonString()}");
    }

    async Task<List<JsonNode>> Events(string pod) =>
        (await Lab.GetAsync($"/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3D{pod}")).Body!["items"]!.AsArray().Select(e => e!).ToList();

    static string? Waiting(JsonNode p, int i = 0) => (string?)p["status"]?["containerStatuses"]?[i]?["state"]?["waiting"]?["reason"];

    [Fact]
    public async Task Pull_failures_go_ErrImagePull_then_ImagePullBackOff_with_events()
    {
        await Lab.SendAsync(HttpMethod.Post, "/clydelab/v1/faults", """{"pulls":[{"image":"busybox:0.1","message":"rpc error: code = Unknown desc = failed to pull: i/o timeout"}]}""");
        await Lab.PostAsync(Pods, Pod("pull-fault", """{"containers":[{"name":"c","image":"busybox:0.1"}]}"""));
        await Lab.PostAsync(Pods, Pod("pull-missing", """{"containers":[{"name":"c","image":"example.com/team/gone:1.0"}]}"""));
        foreach (var name in new[] { "pull-fault", "pull-missing" })
        {
            var seen = new HashSet<string>();
            await WaitFor($"{Pods}/{name}", p => { if (Waiting(p) is { } r) seen.Add(r); return seen.Contains("ErrImagePull") && seen.Contains("ImagePullBackOff"); });
            var p = (await Lab.GetAsync($"{Pods}/{name}")).Body!;
            Assert.Equal("Pending", (string)p["status"]!["phase"]!);
            var events = await Events(name);
            Assert.Contains(events, e => (string)e["reason"]! == "Pulling");
            Assert.Contains(events, e => (string)e["reason"]! == "Failed" && (string)e["message"]! == "Error: ErrImagePull");
            Assert.Contains(events, e => (string)e["reason"]! == "BackOff" && ((string)e["message"]!).StartsWith("Back-off pulling image"));
            Assert.Contains(events, e => (string)e["reason"]! == "Failed" && (string)e["message"]! == "Error: ImagePullBackOff");
        }
        var missing = await Events("pull-missing");
        Assert.Contains(missing, e => ((string)e["message"]!).Contains("example.com/team/gone:1.0: not found"));
        Assert.Contains(await Events("pull-fault"), e => ((string)e["message"]!).Contains("i/o timeout"));
        // backoff: the pull is retried (Pulling counted more than once) with growing delays
        await WaitFor($"{Pods}/pull-missing", _ => Events("pull-missing").Result.Any(e => (string)e["reason"]! == "Pulling" && (int)e["count"]! >= 2));
    }

    [Fact]
    public async Task Liveness_probe_failures_restart_the_container()
    {
        await Lab.PostAsync(Pods, Pod("liveness", """{"containers":[{"name":"c","image":"busybox:1.36","command":["sleep","infinity"],"livenessProbe":{"exec":{"command":["false"]},"periodSeconds":5,"failureThreshold":2}}]}"""));
        var p = await WaitFor($"{Pods}/liveness", p => (int?)p["status"]?["containerStatuses"]?[0]?["restartCount"] >= 1);
        Assert.Equal(137, (int)p["status"]!["containerStatuses"]![0]!["lastState"]!["terminated"]!["exitCode"]!);
        var events = await Events("liveness");
        Assert.Contains(events, e => (string)e["reason"]! == "Unhealthy" && ((string)e["message"]!).StartsWith("Liveness probe failed"));
        Assert.Contains(events, e => (string)e["reason"]! == "Killing" && (string)e["message"]! == "Container c failed liveness probe, will be restarted");
    }

    [Fact]
    public async Task Startup_probe_holds_readiness_back_and_restarts_a_container_that_never_starts()
    {
        await Lab.PostAsync(Pods, Pod("startup-ok", """{"containers":[{"name":"c","image":"busybox:1.36","command":["sleep","infinity"],"startupProbe":{"exec":{"command":["true"]},"initialDelaySeconds":600,"periodSeconds":10}}]}"""));
        await Lab.PostAsync(Pods, Pod("startup-fail", """{"containers":[{"name":"c","image":"busybox:1.36","command":["sleep","infinity"],"startupProbe":{"exec":{"command":["false"]},"periodSeconds":5,"failureThreshold":2},"livenessProbe":{"exec":{"command":["true"]}}}]}"""));

        var running = await WaitFor($"{Pods}/startup-ok", p => p["status"]?["containerStatuses"]?[0]?["state"]?["running"] is not null);
        Assert.False((bool)running["status"]!["containerStatuses"]![0]!["started"]!);
        var ok = await WaitFor($"{Pods}/startup-ok", p => (bool?)p["status"]?["containerStatuses"]?[0]?["ready"] == true);
        Assert.True((bool)ok["status"]!["containerStatuses"]![0]!["started"]!);
        var startedAt = (DateTime)ok["status"]!["containerStatuses"]![0]!["state"]!["running"]!["startedAt"]!;
        var readyAt = (DateTime)ok["status"]!["conditions"]!.AsArray().First(c => (string)c!["type"]! == "Ready")!["lastTransitionTime"]!;
        // Timestamps have whole seconds, and at time scale 500 one real millisecond is half a Lab second, so timer and clock
        // granularity on a loaded machine can take a second or two off the measured 600 s (a run measured 598 s): allow 10.
        Assert.True(readyAt - startedAt >= TimeSpan.FromSeconds(590), $"Ready at {readyAt:o}, started at {startedAt:o}: the startup probe's 600 s delay (Lab time) held it back");

        var failed = await WaitFor($"{Pods}/startup-fail", p => (int?)p["status"]?["containerStatuses"]?[0]?["restartCount"] >= 1);
        Assert.Equal(137, (int)failed["status"]!["containerStatuses"]![0]!["lastState"]!["terminated"]!["exitCode"]!);
        Assert.False((bool)failed["status"]!["containerStatuses"]![0]!["ready"]!);
        Assert.False((bool)failed["status"]!["containerStatuses"]![0]!["started"]!);
        var events = await Events("startup-fail");
        Assert.Contains(events, e => (string)e["reason"]! == "Unhealthy" && ((string)e["message"]!).StartsWith("Startup probe failed"));
        Assert.Contains(events, e => (string)e["reason"]! == "Killing" && (string)e["message"]! == "Container c failed startup probe, will be restarted");
        Assert.DoesNotContain(events, e => ((string)e["message"]!).StartsWith("Liveness probe"));
    }

    [Fact]
    public async Task Pod_faults_Fail_Hang_and_NeverReady()
    {
        await Lab.SendAsync(HttpMethod.Post, "/clydelab/v1/faults",
            """{"pods":[{"pod":"pf-fail","mode":"Fail","exitCode":7},{"pod":"pf-hang","mode":"Hang"},{"pod":"pf-nr","mode":"NeverReady"}]}""");
        await Lab.PostAsync(Pods, Pod("pf-fail", """{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox:1.36","command":["sleep","infinity"]}]}"""));
        await Lab.PostAsync(Pods, Pod("pf-hang", """{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox:1.36","command":["echo","hi"]}]}"""));
        await Lab.PostAsync(Pods, Pod("pf-nr", """{"containers":[{"name":"c","image":"busybox:1.36","command":["sleep","infinity"]}]}"""));
        var failed = await WaitFor($"{Pods}/pf-fail", p => (string?)p["status"]?["phase"] == "Failed");
        Assert.Equal(7, (int)failed["status"]!["containerStatuses"]![0]!["state"]!["terminated"]!["exitCode"]!);
        await WaitFor($"{Pods}/pf-hang", p => (string?)p["status"]?["phase"] == "Running");
        await WaitFor($"{Pods}/pf-nr", p => (string?)p["status"]?["phase"] == "Running");
        await Task.Delay(400); // 200 s of Lab time: 'echo hi' would long have exited
        foreach (var name in new[] { "pf-hang", "pf-nr" })
        {
            var p = (await Lab.GetAsync($"{Pods}/{name}")).Body!;
            Assert.Equal("Running", (string)p["status"]!["phase"]!);
            Assert.NotNull(p["status"]!["containerStatuses"]![0]!["state"]!["running"]);
            Assert.False((bool)p["status"]!["containerStatuses"]![0]!["ready"]!);
            Assert.Contains(p["status"]!["conditions"]!.AsArray(), c => (string)c!["type"]! == "Ready" && (string)c["status"]! == "False");
        }
    }

    [Fact]
    public async Task Init_containers_run_in_order_and_a_failing_one_fails_the_pod()
    {
        await Lab.PostAsync(Pods, Pod("inits", """{"initContainers":[{"name":"one","image":"busybox:1.36","command":["sh","-c","echo one; sleep 5"]},{"name":"two","image":"busybox:1.36","command":["echo","two"]}],"containers":[{"name":"c","image":"busybox:1.36","command":["sleep","infinity"]}]}"""));
        var p = await WaitFor($"{Pods}/inits", p => (string?)p["status"]?["phase"] == "Running");
        var one = p["status"]!["initContainerStatuses"]![0]!["state"]!["terminated"]!;
        var two = p["status"]!["initContainerStatuses"]![1]!["state"]!["terminated"]!;
        Assert.Equal("Completed", (string)one["reason"]!);
        var inits = p["status"]!["initContainerStatuses"]!.ToJsonString();
        Assert.True(DateTime.Parse((string)one["finishedAt"]!) <= DateTime.Parse((string)two["startedAt"]!), "'two' started before 'one' finished: " + inits);
        Assert.True(DateTime.Parse((string)one["finishedAt"]!) >= DateTime.Parse((string)one["startedAt"]!).AddSeconds(5), "'one' slept less than 5 s: " + inits);
        Assert.Equal("two\n", await (await Lab.Http.GetAsync($"{Pods}/inits/log?container=two")).Content.ReadAsStringAsync());

        await Lab.PostAsync(Pods, Pod("init-fails", """{"restartPolicy":"Never","initContainers":[{"name":"bad","image":"busybox:1.36","command":["sh","-c","exit 3"]},{"name":"never","image":"busybox:1.36","command":["true"]}],"containers":[{"name":"c","image":"busybox:1.36","command":["sleep","infinity"]}]}"""));
        var f = await WaitFor($"{Pods}/init-fails", p => (string?)p["status"]?["phase"] == "Failed");
        Assert.Equal(3, (int)f["status"]!["initContainerStatuses"]![0]!["state"]!["terminated"]!["exitCode"]!);
        Assert.Null(f["status"]!["initContainerStatuses"]![1]!["state"]!["terminated"]);
        Assert.Null(f["status"]!["containerStatuses"]![0]!["state"]!["running"]);
        Assert.Contains(f["status"]!["conditions"]!.AsArray(), c => (string)c!["type"]! == "Initialized" && (string)c["status"]! == "False");
    }

    [Fact]
    public async Task Logs_sinceSeconds_and_limitBytes()
    {
        await Lab.PostAsync(Pods, Pod("since", """{"containers":[{"name":"c","image":"busybox:1.36","command":["sh","-c","echo early; sleep 1000; echo late; sleep infinity"]}]}"""));
        string all = "";
        // Until the container starts, the log endpoint answers 400 (as the real one does): keep waiting then.
        await WaitFor($"{Pods}/since", _ =>
        {
            using var response = Lab.Http.GetAsync($"{Pods}/since/log").Result;
            all = response.IsSuccessStatusCode ? response.Content.ReadAsStringAsync().Result : "";
            return all.Contains("late");
        }, 20);
        Assert.Equal("early\nlate\n", all);
        Assert.Equal("late\n", await Lab.Http.GetStringAsync($"{Pods}/since/log?sinceSeconds=500"));
        Assert.Equal("ear", await Lab.Http.GetStringAsync($"{Pods}/since/log?limitBytes=3"));
    }

    [Fact]
    public async Task Foreground_deletion_waits_for_dependents()
    {
        var rs = "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{\"name\":\"fg\"},\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"fg\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"fg\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\",\"command\":[\"sleep\",\"infinity\"]}]}}}}";
        await Lab.PostAsync("/apis/apps/v1/namespaces/default/replicasets", rs);
        await WaitFor("/apis/apps/v1/namespaces/default/replicasets/fg", r => (int?)r["status"]?["readyReplicas"] == 2);
        var (dc, deleting, _) = await Lab.SendAsync(HttpMethod.Delete, "/apis/apps/v1/namespaces/default/replicasets/fg?propagationPolicy=Foreground");
        Assert.Equal(HttpStatusCode.OK, dc);
        Assert.True(deleting!["metadata"]!["deletionTimestamp"] is not null, deleting.ToJsonString());
        Assert.Contains("foregroundDeletion", deleting["metadata"]!["finalizers"]!.AsArray().Select(f => (string)f!));
        // the pods are deleted first (graceful, 30 s of Lab time), then the owner goes
        var until = DateTime.UtcNow.AddSeconds(20);
        var sawOwnerWithPods = false;
        while (DateTime.UtcNow < until)
        {
            var owner = await Lab.GetAsync("/apis/apps/v1/namespaces/default/replicasets/fg");
            var pods = (await Lab.GetAsync($"{Pods}?labelSelector=app%3Dfg")).Body!["items"]!.AsArray().Count;
            if (owner.Code == HttpStatusCode.NotFound) { Assert.Equal(0, pods); return; }
            if (pods > 0) sawOwnerWithPods = true;
            await Task.Delay(20);
        }
        Assert.True(sawOwnerWithPods);
        Assert.Fail("the owner was never deleted");
    }

    [Fact]
    public async Task Node_images_list_pulled_images_largest_first()
    {
        var nodeName = (string)(await Lab.GetAsync("/api/v1/nodes")).Body!["items"]![2]!["metadata"]!["name"]!;
        for (var i = 0; i < 4; i++)
            await Lab.PostAsync(Pods, Pod($"img-{i}", "{\"nodeName\":\"" + nodeName + "\",\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"c\",\"image\":\"example.com/img/n" + i + ":1.0\",\"command\":[\"true\"]}]}"));
        var node = await WaitFor("/api/v1/nodes/" + nodeName, n => Enumerable.Range(0, 4).All(i =>
            n["status"]?["images"]?.AsArray().Any(img => img!["names"]!.AsArray().Any(x => (string)x! == $"example.com/img/n{i}:1.0")) == true), 20);
        var sizes = node["status"]!["images"]!.AsArray().Select(i => (long)i!["sizeBytes"]!).ToList();
        Assert.Equal(sizes.OrderByDescending(s => s), sizes);
        Assert.True(sizes.Count <= 50);
        var entry = node["status"]!["images"]!.AsArray().First(img => img!["names"]!.AsArray().Any(x => (string)x! == "example.com/img/n0:1.0"))!;
        Assert.StartsWith("example.com/img/n0@sha256:", (string)entry["names"]![0]!);
    }
}

/// <summary>API-only Lab: binding, eviction, discovery, event expiry.</summary>
public sealed class ApiFidelityTests
{
    [Fact]
    public async Task Binding_POST_assigns_the_node_once()
    {
        await using var lab = await TestLab.StartAsync(new LabOptions { Nodes = 2 });
        await lab.PostAsync("/api/v1/namespaces/default/pods", TestLab.Pod("tobind"));
        var (code, status, _) = await lab.PostAsync("/api/v1/namespaces/default/pods/tobind/binding",
            """{"apiVersion":"v1","kind":"Binding","metadata":{"name":"tobind"},"target":{"apiVersion":"v1","kind":"Node","name":"node-001"}}""");
        Assert.Equal(HttpStatusCode.Created, code);
        Assert.Equal("Success", (string)status!["status"]!);
        var pod = (await lab.GetAsync("/api/v1/namespaces/default/pods/tobind")).Body!;
        Assert.Equal("node-001", (string)pod["spec"]!["nodeName"]!);
        Assert.Contains(pod["status"]!["conditions"]!.AsArray(), c => (string)c!["type"]! == "PodScheduled" && (string)c["status"]! == "True");
        var (again, err, _) = await lab.PostAsync("/api/v1/namespaces/default/pods/tobind/binding",
            """{"apiVersion":"v1","kind":"Binding","metadata":{"name":"tobind"},"target":{"name":"node-000"}}""");
        Assert.Equal(HttpStatusCode.Conflict, again);
        Assert.Equal("Operation cannot be fulfilled on pods/binding \"tobind\": pod tobind is already assigned to node \"node-001\"", (string)err!["message"]!);
    }

    [Fact]
    public async Task Eviction_deletes_the_pod_gracefully()
    {
        await using var lab = await TestLab.StartAsync(new LabOptions { Nodes = 2 });
        await lab.PostAsync("/api/v1/namespaces/default/pods", TestLab.Pod("evictme"));
        await lab.PostAsync("/api/v1/namespaces/default/pods/evictme/binding", """{"metadata":{"name":"evictme"},"target":{"name":"node-000"}}""");
        var (code, status, _) = await lab.PostAsync("/api/v1/namespaces/default/pods/evictme/eviction",
            """{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"evictme","namespace":"default"}}""");
        Assert.Equal(HttpStatusCode.Created, code);
        Assert.Equal(201, (int)status!["code"]!);
        var pod = (await lab.GetAsync("/api/v1/namespaces/default/pods/evictme")).Body!;
        Assert.NotNull(pod["metadata"]!["deletionTimestamp"]); // bound pod: graceful, Terminating
        Assert.Equal(30, (int)pod["metadata"]!["deletionGracePeriodSeconds"]!);
        var (bad, err, _) = await lab.PostAsync("/api/v1/namespaces/default/pods/evictme/eviction", """{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"other"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Equal("name in URL does not match name in Eviction object", (string)err!["message"]!);
        var (nf, _, _) = await lab.PostAsync("/api/v1/namespaces/default/pods/nope/eviction", """{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"nope"}}""");
        Assert.Equal(HttpStatusCode.NotFound, nf);
        var (_, stats, _) = await lab.GetAsync("/clydelab/v1/stats");
        Assert.Contains(stats!["requests"]!.AsArray(), r => (string)r!["resource"]! == "pods/eviction" && (string)r["verb"]! == "create");
    }

    // Entries as kube-apiserver v1.32 lists them (kubectl get --raw /api/v1, /apis/apps/v1).
    const string RealCoreEntries = """
        [{"name":"nodes/status","singularName":"","namespaced":false,"kind":"Node","verbs":["get","patch","update"]},
         {"name":"pods/binding","singularName":"","namespaced":true,"kind":"Binding","verbs":["create"]},
         {"name":"pods/eviction","singularName":"","namespaced":true,"group":"policy","version":"v1","kind":"Eviction","verbs":["create"]},
         {"name":"pods/log","singularName":"","namespaced":true,"kind":"Pod","verbs":["get"]},
         {"name":"pods/status","singularName":"","namespaced":true,"kind":"Pod","verbs":["get","patch","update"]},
         {"name":"serviceaccounts/token","singularName":"","namespaced":true,"group":"authentication.k8s.io","version":"v1","kind":"TokenRequest","verbs":["create"]}]
        """;

    [Fact]
    public async Task Discovery_lists_subresources_as_the_real_server()
    {
        await using var lab = await TestLab.StartAsync(new LabOptions { Nodes = 1 });
        var resources = (await lab.GetAsync("/api/v1")).Body!["resources"]!.AsArray();
        foreach (var expected in JsonNode.Parse(RealCoreEntries)!.AsArray())
        {
            var actual = resources.SingleOrDefault(r => (string)r!["name"]! == (string)expected!["name"]!);
            Assert.True(actual is not null, (string)expected!["name"]!);
            Assert.True(JsonNode.DeepEquals(expected, actual), $"{expected!.ToJsonString()} != {actual!.ToJsonString()}");
        }
        var names = resources.Select(r => (string)r!["name"]!).ToList();
        Assert.Equal(names.OrderBy(n => n, StringComparer.Ordinal), names);
        var apps = (await lab.GetAsync("/apis/apps/v1")).Body!["resources"]!.AsArray().Select(r => (string)r!["name"]!).ToList();
        Assert.Contains("daemonsets/status", apps);
        Assert.Contains("deployments/status", apps);
        Assert.Contains("statefulsets/status", apps);
        Assert.Equal(apps.OrderBy(n => n, StringComparer.Ordinal), apps);
    }

    [Fact]
    public async Task Kubectl_get_events_prints_the_events_table()
    {
        KubectlRunner.Require();
        await using var lab = await TestLab.StartAsync(new LabOptions { Nodes = 1, Https = true });
        var (_, pod, _) = await lab.PostAsync("/api/v1/namespaces/default/pods", TestLab.Pod("tabled"));
        var obj = k8s.KubernetesJson.Deserialize<k8s.Models.V1Pod>(pod!.ToJsonString());
        lab.Host.Events.Record(obj, "Warning", "BackOff", "Back-off pulling image \"busybox:1.36\"", "kubelet", "node-000", "spec.containers{c}");
        var (code, output, error) = await KubectlRunner.Run(lab.Host.KubeconfigPath, "get", "events", "-n", "default");
        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var row = lines.Single(l => l.Contains("pod/tabled")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["Warning", "BackOff", "pod/tabled", "Back-off", "pulling", "image", "\"busybox:1.36\""], row[1..]);
    }

    [Fact]
    public async Task Events_expire_an_hour_after_their_last_write_and_still_merge()
    {
        // 1 h of Lab time is 6 s of wall time: slack for a loaded machine between a write and the next read.
        await using var lab = await TestLab.StartAsync(new LabOptions { Nodes = 1, TimeScale = 600 });
        var (_, pod, _) = await lab.PostAsync("/api/v1/namespaces/default/pods", TestLab.Pod("evented"));
        var obj = k8s.KubernetesJson.Deserialize<k8s.Models.V1Pod>(pod!.ToJsonString());
        lab.Host.Events.Record(obj, "Normal", "Testing", "same message", "test");
        lab.Host.Events.Record(obj, "Normal", "Testing", "same message", "test");
        var (_, list, _) = await lab.GetAsync("/api/v1/namespaces/default/events?fieldSelector=reason%3DTesting");
        var ev = Assert.Single(list!["items"]!.AsArray())!;
        Assert.Equal(2, (int)ev["count"]!);
        Assert.Equal(0, lab.Host.Events.ExpireOlderThan(TimeSpan.FromHours(1)));
        await lab.PostAsync("/api/v1/namespaces/default/events",
            """{"metadata":{"name":"client-event"},"involvedObject":{"kind":"Pod","name":"evented","namespace":"default"},"reason":"Client","message":"m","type":"Normal"}""");
        // both are swept an hour (Lab time) after their last write
        await Wait.Until(async () => (await lab.GetAsync("/api/v1/namespaces/default/events")).Body!["items"]!.AsArray().Count == 0, "events expired", 30);
        lab.Host.Events.Record(obj, "Normal", "Testing", "same message", "test");
        var (_, again, _) = await lab.GetAsync("/api/v1/namespaces/default/events?fieldSelector=reason%3DTesting");
        Assert.Equal(1, (int)Assert.Single(again!["items"]!.AsArray())!["count"]!);
    }
}
