using System.Net;
using System.Text.Json.Nodes;
using ClydePS.Engine.Rollout;
using ClydePS.Engine.Tests.Kube;
using k8s;
using k8s.Models;

namespace ClydePS.Engine.Tests.Rollout;

/// <summary>DaemonSetApplier and RolloutWaiter against a scripted API server.</summary>
public sealed class ApplierAndWaiterTests
{
    static V1DaemonSet Desired(string image = "busybox:1.36", IReadOnlyDictionary<string, string>? nodeSelector = null) =>
        DaemonSetManifest.Build(new DaemonSetRequest { Name = "app", Namespace = "default", Image = image, NodeSelector = nodeSelector });

    /// <summary>What the API server stores for a DaemonSet: the object with its defaults, metadata and the hash we sent.</summary>
    static string Stored(V1DaemonSet sent, string rv, string? hash = null, bool managed = true)
    {
        var node = JsonNode.Parse(KubernetesJson.Serialize(sent))!.AsObject();
        var meta = node["metadata"]!.AsObject();
        meta["resourceVersion"] = rv;
        meta["uid"] = "u1";
        meta["generation"] = 1;
        meta["annotations"] ??= new JsonObject();
        if (hash is not null)
        {
            meta["annotations"]!["clydeps.io/applied-hash"] = hash;
        }

        if (!managed)
        {
            meta["labels"]!.AsObject().Remove("app.kubernetes.io/managed-by");
        }

        var spec = node["spec"]!.AsObject();
        spec["revisionHistoryLimit"] = 10;
        spec["updateStrategy"] ??= JsonNode.Parse("""{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":1,"maxSurge":0}}""");
        var pod = spec["template"]!["spec"]!.AsObject();
        pod["restartPolicy"] = "Always";
        pod["dnsPolicy"] = "ClusterFirst";
        pod["terminationGracePeriodSeconds"] = 30;
        pod["schedulerName"] = "default-scheduler";
        pod["securityContext"] = new JsonObject();
        foreach (var c in pod["containers"]!.AsArray())
        {
            c!["terminationMessagePath"] = "/dev/termination-log";
            c["terminationMessagePolicy"] = "File";
            c["imagePullPolicy"] = "IfNotPresent";
            c["resources"] = new JsonObject();
        }

        node["status"] = JsonNode.Parse("""{"currentNumberScheduled":0,"desiredNumberScheduled":0,"numberMisscheduled":0,"numberReady":0}""");
        return node.ToJsonString();
    }

    static HttpResponseMessage Ok(string json) => FakeApiHandler.Json(HttpStatusCode.OK, json);

    [Fact]
    public async Task CreatesWhenAbsent()
    {
        var desired = Desired();
        string? body = null;
        using var fx = new GatewayFixture((req, i) => i switch
        {
            0 => FakeApiHandler.Status(404, "NotFound", "daemonsets.apps \"app\" not found"),
            1 => Ok(body = req.Content!.ReadAsStringAsync().Result),
            _ => throw new InvalidOperationException(),
        });
        var result = await DaemonSetApplier.ApplyAsync(fx.Gateway, desired, CancellationToken.None);
        Assert.Equal(ApplyOutcome.Created, result.Outcome);
        Assert.True(result.WasManagedByClydePS);
        Assert.Equal(["GET", "POST"], Verbs(fx));
        Assert.Contains("\"clydeps.io/applied-hash\":\"" + DaemonSetApplier.OwnedHash(desired) + "\"", body);
    }

    [Fact]
    public async Task LeavesAnIdenticalDaemonSetAloneDespiteServerDefaults()
    {
        var desired = Desired(nodeSelector: new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" });
        using var fx = new GatewayFixture((req, i) => req.Method == HttpMethod.Get ? Ok(Stored(desired, "5", DaemonSetApplier.OwnedHash(desired))) : throw new InvalidOperationException());
        var again = Desired(nodeSelector: new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" }); // another order, the same selector
        var result = await DaemonSetApplier.ApplyAsync(fx.Gateway, again, CancellationToken.None);
        Assert.Equal(ApplyOutcome.Unchanged, result.Outcome);
        Assert.Equal("5", result.DaemonSet.Metadata.ResourceVersion);
        Assert.Equal(["GET"], Verbs(fx));
        Assert.Equal(ApplyOutcome.Unchanged, await DaemonSetApplier.PlanAsync(fx.Gateway, again, CancellationToken.None));
    }

    [Fact]
    public async Task UpdatesAChangedImageWithTheReadResourceVersionAndRetriesAConflictOnce()
    {
        var old = Desired("busybox:1.36");
        var desired = Desired("busybox:1.37");
        var puts = new List<JsonNode>();
        using var fx = new GatewayFixture((req, i) =>
        {
            switch (i)
            {
                case 0: return Ok(Stored(old, "5", DaemonSetApplier.OwnedHash(old)));
                case 1:
                    puts.Add(JsonNode.Parse(req.Content!.ReadAsStringAsync().Result)!);
                    return FakeApiHandler.Status(409, "Conflict", "the object has been modified; please apply your changes to the latest version and try again");
                case 2: return Ok(Stored(old, "6", DaemonSetApplier.OwnedHash(old)));
                case 3:
                    var sent = req.Content!.ReadAsStringAsync().Result;
                    puts.Add(JsonNode.Parse(sent)!);
                    return Ok(sent);
                default: throw new InvalidOperationException();
            }
        });
        var result = await DaemonSetApplier.ApplyAsync(fx.Gateway, desired, CancellationToken.None);
        Assert.Equal(ApplyOutcome.Updated, result.Outcome);
        Assert.Equal(["GET", "PUT", "GET", "PUT"], Verbs(fx));
        Assert.Equal("5", (string?)puts[0]["metadata"]!["resourceVersion"]);
        Assert.Equal("6", (string?)puts[1]["metadata"]!["resourceVersion"]);
        Assert.Equal("busybox:1.37", (string?)puts[1]["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]);
        Assert.Equal(DaemonSetApplier.OwnedHash(desired), (string?)puts[1]["metadata"]!["annotations"]!["clydeps.io/applied-hash"]);
    }

    [Fact]
    public async Task SeesDriftAndRemovalsAndSaysWhenTheDaemonSetWasNotOurs()
    {
        var desired = Desired();
        var drifted = Desired("busybox:1.35"); // someone edited the image, the hash is still ours
        Assert.True(DaemonSetApplier.NeedsUpdate(KubernetesJson.Deserialize<V1DaemonSet>(Stored(drifted, "3", DaemonSetApplier.OwnedHash(desired))), desired));
        var wider = Desired(nodeSelector: new Dictionary<string, string> { ["pool"] = "a" });
        Assert.True(DaemonSetApplier.NeedsUpdate(KubernetesJson.Deserialize<V1DaemonSet>(Stored(wider, "3", DaemonSetApplier.OwnedHash(wider))), desired));

        using var fx = new GatewayFixture((req, i) => i switch
        {
            0 => Ok(Stored(desired, "5", hash: null, managed: false)),
            1 => Ok(req.Content!.ReadAsStringAsync().Result),
            _ => throw new InvalidOperationException(),
        });
        var result = await DaemonSetApplier.ApplyAsync(fx.Gateway, desired, CancellationToken.None);
        Assert.Equal(ApplyOutcome.Updated, result.Outcome);
        Assert.False(result.WasManagedByClydePS);
        Assert.Contains("app.kubernetes.io/managed-by", result.Note);
        Assert.Equal("ClydePS", result.DaemonSet.Metadata.Labels["app.kubernetes.io/managed-by"]);
    }

    static string DsJson(long generation, long observed, int updated, int available, int desired, string rv) =>
        $$$"""{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"app","namespace":"default","generation":{{{generation}}},"resourceVersion":"{{{rv}}}"},"spec":{"selector":{"matchLabels":{"app":"app"}},"template":{"metadata":{"labels":{"app":"app"}},"spec":{"containers":[{"name":"app","image":"busybox:1.36"}]}},"updateStrategy":{"type":"RollingUpdate"}},"status":{"observedGeneration":{{{observed}}},"updatedNumberScheduled":{{{updated}}},"numberAvailable":{{{available}}},"desiredNumberScheduled":{{{desired}}},"numberReady":{{{available}}},"currentNumberScheduled":{{{desired}}},"numberMisscheduled":0}}""";

    [Fact]
    public async Task WaitsOnOneWatchWithAFieldSelectorUntilKubectlWouldSayDone()
    {
        var progress = new List<RolloutProgress>();
        using var fx = new GatewayFixture((req, i) => i switch
        {
            0 => Ok(DsJson(2, 1, 0, 3, 3, "10")),
            1 => Ok($$"""{"apiVersion":"apps/v1","kind":"DaemonSetList","metadata":{"resourceVersion":"11"},"items":[{{DsJson(2, 2, 1, 2, 3, "11")}}]}"""),
            2 => FakeApiHandler.Stream(false,
                $$"""{"type":"MODIFIED","object":{{DsJson(2, 2, 3, 2, 3, "12")}}}""",
                $$"""{"type":"MODIFIED","object":{{DsJson(2, 2, 3, 3, 3, "13")}}}"""),
            _ => throw new InvalidOperationException("no more requests expected"),
        });
        fx.Time.AutoAdvance = false; // the timeout is a timer in the gateway's clock: it must not fire here
        var outcome = await RolloutWaiter.WaitAsync(fx.Gateway, RolloutKind.DaemonSet, "default", "app", TimeSpan.FromMinutes(1), progress.Add, CancellationToken.None);
        Assert.True(outcome.Complete);
        Assert.Equal("daemon set \"app\" successfully rolled out", outcome.Status.Message);
        Assert.Equal(3, outcome.Status.Available);
        Assert.Equal(
        [
            "Waiting for daemon set spec update to be observed...",
            "Waiting for daemon set \"app\" rollout to finish: 1 out of 3 new pods have been updated...",
            "Waiting for daemon set \"app\" rollout to finish: 2 of 3 updated pods are available...",
            "daemon set \"app\" successfully rolled out",
        ], progress.Select(p => p.Message));
        Assert.Equal(3, fx.Handler.Count);
        Assert.All(fx.Handler.Requests.Skip(1), r => Assert.Contains("fieldSelector=metadata.name%3Dapp", r));
    }

    [Fact]
    public async Task AMissingWorkloadIsNotFound()
    {
        using var fx = new GatewayFixture((req, i) => FakeApiHandler.Status(404, "NotFound", "statefulsets.apps \"db\" not found"));
        var e = await Assert.ThrowsAsync<ClydeException>(() =>
            RolloutWaiter.WaitAsync(fx.Gateway, RolloutKind.StatefulSet, "default", "db", TimeSpan.FromMinutes(1), null, CancellationToken.None));
        Assert.Equal(RolloutErrorIds.WorkloadNotFound, e.ErrorId);
        Assert.Equal(ClydeErrorKind.NotFound, e.Kind);
    }

    [Fact]
    public async Task AFailedJobEndsWithItsReason()
    {
        using var fx = new GatewayFixture((req, i) => Ok("""{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"x","namespace":"default"},"spec":{"template":{"spec":{"containers":[]}}},"status":{"failed":1,"conditions":[{"type":"Failed","status":"True","reason":"BackoffLimitExceeded","message":"Job has reached the specified backoff limit"}]}}"""));
        var e = await Assert.ThrowsAsync<ClydeException>(() =>
            RolloutWaiter.WaitAsync(fx.Gateway, RolloutKind.Job, "default", "x", TimeSpan.FromMinutes(1), null, CancellationToken.None));
        Assert.Equal(RolloutErrorIds.JobFailed, e.ErrorId);
        Assert.Contains("BackoffLimitExceeded", e.Message);
    }

    [Fact]
    public async Task ATimeoutNamesThePodsAndNodesBehind()
    {
        const string pods = """
            {"apiVersion":"v1","kind":"PodList","metadata":{"resourceVersion":"20"},"items":[
            {"metadata":{"name":"app-x2k","namespace":"default"},"spec":{"nodeName":"node-7","containers":[{"name":"app","image":"ghost:1"}]},
             "status":{"phase":"Pending","containerStatuses":[{"name":"app","ready":false,"restartCount":0,"image":"ghost:1","imageID":"","state":{"waiting":{"reason":"ImagePullBackOff","message":"Back-off pulling image \"ghost:1\""}}}]}},
            {"metadata":{"name":"app-ok","namespace":"default"},"spec":{"nodeName":"node-1","containers":[{"name":"app","image":"ghost:1"}]},
             "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}]}
            """;
        const string nodes = """
            {"apiVersion":"v1","kind":"NodeList","metadata":{"resourceVersion":"20"},"items":[
            {"metadata":{"name":"node-1"}},{"metadata":{"name":"node-7"}},{"metadata":{"name":"node-9"}},
            {"metadata":{"name":"tainted"},"spec":{"taints":[{"key":"dedicated","value":"x","effect":"NoSchedule"}]}}]}
            """;
        var released = new TaskCompletionSource();
        using var fx = new GatewayFixture((req, i) =>
        {
            string path = req.RequestUri!.PathAndQuery;
            if (path.Contains("/pods"))
            {
                Assert.Contains("labelSelector=app%3Dapp", path);
                return Ok(pods);
            }

            if (path.Contains("/nodes"))
            {
                return Ok(nodes);
            }

            if (path.Contains("watch=true"))
            {
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new BlockingStream(released.Task)) };
            }

            return path.Contains("fieldSelector")
                ? Ok($$"""{"apiVersion":"apps/v1","kind":"DaemonSetList","metadata":{"resourceVersion":"11"},"items":[{{DsJson(1, 1, 3, 1, 3, "11")}}]}""")
                : Ok(DsJson(1, 1, 3, 1, 3, "10"));
        });
        fx.Time.AutoAdvance = false;
        var wait = RolloutWaiter.WaitAsync(fx.Gateway, RolloutKind.DaemonSet, "default", "app", TimeSpan.FromSeconds(30), null, CancellationToken.None);
        while (!fx.Handler.Requests.Any(r => r.Contains("watch=true")))
        {
            await Task.Delay(10);
        }

        fx.Time.Advance(TimeSpan.FromSeconds(31));
        var e = await Assert.ThrowsAsync<ClydeException>(() => wait);
        released.TrySetResult();
        Assert.Equal(RolloutErrorIds.RolloutTimeout, e.ErrorId);
        Assert.Equal(ClydeErrorKind.Timeout, e.Kind);
        var status = Assert.IsType<ClydeRolloutStatus>(e.Target);
        Assert.Equal(["node-7/app-x2k: ImagePullBackOff (Back-off pulling image \"ghost:1\")", "node-9: no pod yet"], status.Behind);
        Assert.Contains("node-7/app-x2k: ImagePullBackOff", e.Message);
        Assert.Contains("1 of 3 updated pods are available", e.Message);
    }

    /// <summary>A watch body that sends nothing until released, like a quiet watch.</summary>
    sealed class BlockingStream(Task release) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => 0; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) { release.Wait(); return 0; }
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await release.WaitAsync(cancellationToken);
            return 0;
        }
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    static string[] Verbs(GatewayFixture fx) => fx.Handler.Methods.ToArray();
}
