using System.Net;
using System.Text.Json.Nodes;
using ClydePS.Lab;
using ClydePS.Lab.Cluster;

namespace ClydePS.Lab.Tests;

/// <summary>Workload kinds, scheduler, kubelets and controllers on a fast Lab clock (never asserting wall time).</summary>
public sealed class WorkloadLab : IAsyncLifetime
{
    public TestLab Lab { get; private set; } = null!;
    public async Task InitializeAsync() => Lab = await TestLab.StartAsync(new LabOptions
    {
        TimeScale = 500,
        Cluster = new ClusterSpec
        {
            NodeGroups =
            [
                new NodeGroupSpec { Name = "workers", Count = 3 },
                new NodeGroupSpec { Name = "gpu", Count = 1, NamePattern = "gpu-{0}", Taints = [new TaintSpec { Key = "dedicated", Value = "gpu", Effect = "NoSchedule" }] },
            ],
        },
    }, simulate: true);
    public async Task DisposeAsync() => await Lab.DisposeAsync();
}

public sealed class WorkloadTests(WorkloadLab shared) : IClassFixture<WorkloadLab>
{
    TestLab Lab => shared.Lab;

    static string DaemonSet(string name, string labels = "{\"app\":\"X\"}", string? selector = null) =>
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{\"selector\":{\"matchLabels\":" + (selector ?? labels).Replace("X", name) +
        "},\"template\":{\"metadata\":{\"labels\":" + labels.Replace("X", name) + "},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\",\"command\":[\"sleep\",\"3600\"]}]}}}}";

    static string Job(string name, string command, int backoffLimit = 6, string restart = "Never") =>
        "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{\"backoffLimit\":" + backoffLimit +
        ",\"template\":{\"spec\":{\"restartPolicy\":\"" + restart + "\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\",\"command\":" + command + "}]}}}}";

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

    [Fact]
    public async Task DaemonSet_defaults_and_validation()
    {
        var (code, ds, _) = await Lab.PostAsync("/apis/apps/v1/namespaces/default/daemonsets", DaemonSet("defaults-ds"));
        Assert.Equal(HttpStatusCode.Created, code);
        var spec = ds!["spec"]!;
        Assert.Equal("RollingUpdate", (string)spec["updateStrategy"]!["type"]!);
        Assert.Equal(1, (int)spec["updateStrategy"]!["rollingUpdate"]!["maxUnavailable"]!);
        Assert.Equal(0, (int)spec["updateStrategy"]!["rollingUpdate"]!["maxSurge"]!);
        Assert.Equal(10, (int)spec["revisionHistoryLimit"]!);
        Assert.Equal("Always", (string)spec["template"]!["spec"]!["restartPolicy"]!);
        Assert.Equal("IfNotPresent", (string)spec["template"]!["spec"]!["containers"]![0]!["imagePullPolicy"]!);
        Assert.Equal(1, (int)ds["metadata"]!["generation"]!);

        var (bad, err, _) = await Lab.PostAsync("/apis/apps/v1/namespaces/default/daemonsets", DaemonSet("bad-ds", selector: "{\"app\":\"other\"}"));
        Assert.Equal((HttpStatusCode)422, bad);
        Assert.Equal("DaemonSet.apps \"bad-ds\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"bad-ds\"}: `selector` does not match template `labels`",
            (string)err!["message"]!);

        var (pc, patched, _) = await Lab.PatchAsync("/apis/apps/v1/namespaces/default/daemonsets/defaults-ds",
            "{\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"x2\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"x2\"}}}}}", "application/merge-patch+json");
        Assert.Equal((HttpStatusCode)422, pc);
        Assert.Contains("spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"x2\"}", (string)patched!["message"]!);
        Assert.Contains("field is immutable", (string)patched["message"]!);
    }

    [Fact]
    public async Task DaemonSet_runs_on_every_untainted_node_and_reports_status()
    {
        await Lab.PostAsync("/apis/apps/v1/namespaces/default/daemonsets", DaemonSet("agent"));
        var ds = await WaitFor("/apis/apps/v1/namespaces/default/daemonsets/agent",
            d => (int?)d["status"]?["numberAvailable"] == 3 && (int?)d["status"]?["updatedNumberScheduled"] == 3);
        Assert.Equal(3, (int)ds["status"]!["desiredNumberScheduled"]!);
        Assert.Equal(3, (int)ds["status"]!["currentNumberScheduled"]!);
        Assert.Equal(3, (int)ds["status"]!["numberReady"]!);
        Assert.Equal(0, (int)ds["status"]!["numberMisscheduled"]!);
        Assert.Equal(1, (int)ds["status"]!["observedGeneration"]!);
        var (_, pods, _) = await Lab.GetAsync("/api/v1/namespaces/default/pods?labelSelector=app%3Dagent");
        var items = pods!["items"]!.AsArray();
        Assert.Equal(3, items.Count);
        var pod = items[0]!;
        Assert.Equal("Running", (string)pod["status"]!["phase"]!);
        Assert.StartsWith("10.", (string)pod["status"]!["podIP"]!);
        Assert.False(string.IsNullOrEmpty((string?)pod["metadata"]!["labels"]!["controller-revision-hash"]));
        Assert.Equal("1", (string)pod["metadata"]!["labels"]!["pod-template-generation"]!);
        var term = pod["spec"]!["affinity"]!["nodeAffinity"]!["requiredDuringSchedulingIgnoredDuringExecution"]!["nodeSelectorTerms"]![0]!["matchFields"]![0]!;
        Assert.Equal("metadata.name", (string)term["key"]!);
        Assert.Equal((string)pod["spec"]!["nodeName"]!, (string)term["values"]![0]!);
        var tolerations = pod["spec"]!["tolerations"]!.AsArray().Select(t => (string)t!["key"]! + ":" + (string)t["effect"]!).ToList();
        Assert.Contains("node.kubernetes.io/unschedulable:NoSchedule", tolerations);
        Assert.Contains("node.kubernetes.io/disk-pressure:NoSchedule", tolerations);
        Assert.DoesNotContain(items, p => ((string)p!["spec"]!["nodeName"]!).StartsWith("gpu"));
        var (_, revs, _) = await Lab.GetAsync("/apis/apps/v1/namespaces/default/controllerrevisions");
        Assert.Contains(revs!["items"]!.AsArray(), r => ((string)r!["metadata"]!["name"]!).StartsWith("agent-") && (long)r["revision"]! == 1);

        // template change: rolling update to generation 2
        await Lab.PatchAsync("/apis/apps/v1/namespaces/default/daemonsets/agent",
            "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.37\"}]}}}}", "application/strategic-merge-patch+json");
        await WaitFor("/apis/apps/v1/namespaces/default/daemonsets/agent",
            d => (int?)d["status"]?["observedGeneration"] == 2 && (int?)d["status"]?["updatedNumberScheduled"] == 3 && (int?)d["status"]?["numberAvailable"] == 3);
        await WaitFor("/api/v1/namespaces/default/pods?labelSelector=app%3Dagent", l => l["items"]!.AsArray().Count == 3 &&
            l["items"]!.AsArray().All(p => (string)p!["spec"]!["containers"]![0]!["image"]! == "busybox:1.37"));
    }

    [Fact]
    public async Task Job_completes_with_conditions_and_logs()
    {
        var (code, job, _) = await Lab.PostAsync("/apis/batch/v1/namespaces/default/jobs", Job("hello", "[\"sh\",\"-c\",\"echo hello world && sleep 2 && echo bye\"]"));
        Assert.Equal(HttpStatusCode.Created, code);
        var spec = job!["spec"]!;
        Assert.Equal(6, (int)spec["backoffLimit"]!);
        Assert.Equal(1, (int)spec["completions"]!);
        Assert.Equal(1, (int)spec["parallelism"]!);
        Assert.Equal("NonIndexed", (string)spec["completionMode"]!);
        Assert.False((bool)spec["suspend"]!);
        Assert.Equal("TerminatingOrFailed", (string)spec["podReplacementPolicy"]!);
        var uid = (string)job["metadata"]!["uid"]!;
        Assert.Equal(uid, (string)spec["selector"]!["matchLabels"]!["batch.kubernetes.io/controller-uid"]!);
        Assert.Equal("hello", (string)spec["template"]!["metadata"]!["labels"]!["job-name"]!);

        var done = await WaitFor("/apis/batch/v1/namespaces/default/jobs/hello", j => j["status"]?["conditions"]?.AsArray().Any(c => (string)c!["type"]! == "Complete") == true);
        var conds = done["status"]!["conditions"]!.AsArray().Select(c => (string)c!["type"]!).ToList();
        Assert.Equal(["SuccessCriteriaMet", "Complete"], conds);
        Assert.Equal(1, (int)done["status"]!["succeeded"]!);
        Assert.NotNull(done["status"]!["completionTime"]);
        Assert.NotNull(done["status"]!["startTime"]);

        var (_, pods, _) = await Lab.GetAsync("/api/v1/namespaces/default/pods?labelSelector=batch.kubernetes.io%2Fjob-name%3Dhello");
        var pod = pods!["items"]![0]!;
        Assert.Equal("Succeeded", (string)pod["status"]!["phase"]!);
        var term = pod["status"]!["containerStatuses"]![0]!["state"]!["terminated"]!;
        Assert.Equal("Completed", (string)term["reason"]!);
        Assert.StartsWith("docker.io/library/busybox@sha256:", (string)pod["status"]!["containerStatuses"]![0]!["imageID"]!);
        var name = (string)pod["metadata"]!["name"]!;
        var resp = await Lab.Http.GetAsync($"/api/v1/namespaces/default/pods/{name}/log");
        Assert.Equal("hello world\nbye\n", await resp.Content.ReadAsStringAsync());
        var tail = await Lab.Http.GetAsync($"/api/v1/namespaces/default/pods/{name}/log?tailLines=1&timestamps=true");
        var line = await tail.Content.ReadAsStringAsync();
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z bye\n$", line);
        var (pc, perr, _) = await Lab.GetAsync($"/api/v1/namespaces/default/pods/{name}/log?previous=true");
        Assert.Equal(HttpStatusCode.BadRequest, pc);
        Assert.Equal($"previous terminated container \"c\" in pod \"{name}\" not found", (string)perr!["message"]!);

        // events from the kubelet
        var (_, events, _) = await Lab.GetAsync($"/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3D{name}");
        var reasons = events!["items"]!.AsArray().Select(e => (string)e!["reason"]!).ToList();
        Assert.Contains("Scheduled", reasons);
        Assert.Contains("Started", reasons);
        Assert.Contains(events["items"]!.AsArray(), e => ((string)e!["message"]!).StartsWith("Successfully pulled image \"busybox:1.36\" in ") ||
                                                        (string)e["message"]! == "Container image \"busybox:1.36\" already present on machine");
    }

    [Fact]
    public async Task Job_with_failing_pods_ends_BackoffLimitExceeded()
    {
        await Lab.PostAsync("/apis/batch/v1/namespaces/default/jobs", Job("fails", "[\"sh\",\"-c\",\"exit 3\"]", backoffLimit: 1));
        var done = await WaitFor("/apis/batch/v1/namespaces/default/jobs/fails", j => j["status"]?["conditions"]?.AsArray().Any(c => (string)c!["type"]! == "Failed") == true);
        var failed = done["status"]!["conditions"]!.AsArray().First(c => (string)c!["type"]! == "Failed")!;
        Assert.Equal("BackoffLimitExceeded", (string)failed["reason"]!);
        Assert.Equal("Job has reached the specified backoff limit", (string)failed["message"]!);
        Assert.Contains(done["status"]!["conditions"]!.AsArray(), c => (string)c!["type"]! == "FailureTarget");
        Assert.Equal(2, (int)done["status"]!["failed"]!);
    }

    [Fact]
    public async Task Shell_less_image_fails_like_containerd()
    {
        await Lab.PostAsync("/api/v1/namespaces/default/pods",
            "{\"metadata\":{\"name\":\"noshell\"},\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"c\",\"image\":\"gcr.io/distroless/static:nonroot\",\"command\":[\"sh\",\"-c\",\"echo hi\"]}]}}");
        var pod = await WaitFor("/api/v1/namespaces/default/pods/noshell", p => (string?)p["status"]?["phase"] == "Failed");
        var term = pod["status"]!["containerStatuses"]![0]!["state"]!["terminated"]!;
        Assert.Equal("StartError", (string)term["reason"]!);
        Assert.Equal(128, (int)term["exitCode"]!);
        Assert.Contains("exec: \"sh\": executable file not found in $PATH", (string)term["message"]!);
    }

    [Fact]
    public async Task Crashing_container_goes_CrashLoopBackOff()
    {
        await Lab.PostAsync("/api/v1/namespaces/default/pods",
            "{\"metadata\":{\"name\":\"crasher\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\",\"command\":[\"sh\",\"-c\",\"echo oops; exit 2\"]}]}}");
        var pod = await WaitFor("/api/v1/namespaces/default/pods/crasher", p => (int?)p["status"]?["containerStatuses"]?[0]?["restartCount"] >= 1 &&
            (string?)p["status"]?["containerStatuses"]?[0]?["state"]?["waiting"]?["reason"] == "CrashLoopBackOff");
        Assert.Equal("Running", (string)pod["status"]!["phase"]!);
        Assert.Equal(2, (int)pod["status"]!["containerStatuses"]![0]!["lastState"]!["terminated"]!["exitCode"]!);
        var prev = await Lab.Http.GetAsync("/api/v1/namespaces/default/pods/crasher/log?previous=true");
        Assert.Equal("oops\n", await prev.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Scheduler_reports_untolerated_taints_and_selectors()
    {
        await Lab.PostAsync("/api/v1/namespaces/default/pods",
            "{\"metadata\":{\"name\":\"nowhere\"},\"spec\":{\"nodeSelector\":{\"disk\":\"ssd\"},\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\"}]}}");
        var pod = await WaitFor("/api/v1/namespaces/default/pods/nowhere", p => p["status"]?["conditions"]?.AsArray().Any(c => (string?)c!["reason"] == "Unschedulable") == true);
        var cond = pod["status"]!["conditions"]!.AsArray().First(c => (string)c!["type"]! == "PodScheduled")!;
        Assert.Equal("0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.",
            (string)cond["message"]!);
        // tolerating pod lands on the gpu node
        await Lab.PostAsync("/api/v1/namespaces/default/pods",
            "{\"metadata\":{\"name\":\"on-gpu\"},\"spec\":{\"nodeSelector\":{\"kubernetes.io/hostname\":\"gpu-0\"},\"tolerations\":[{\"key\":\"dedicated\",\"operator\":\"Exists\"}],\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.27\"}]}}");
        var placed = await WaitFor("/api/v1/namespaces/default/pods/on-gpu", p => (string?)p["status"]?["phase"] == "Running");
        Assert.Equal("gpu-0", (string)placed["spec"]!["nodeName"]!);
        Assert.True(placed["status"]!["conditions"]!.AsArray().Any(c => (string)c!["type"]! == "Ready" && (string)c["status"]! == "True"));
    }

    [Fact]
    public async Task Scheduler_fits_resource_requests_against_allocatable()
    {
        // more CPU than any node has: every untainted node says Insufficient cpu, as the real FitError counts it
        await Lab.PostAsync("/api/v1/namespaces/default/pods",
            "{\"metadata\":{\"name\":\"too-big\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\",\"resources\":{\"requests\":{\"cpu\":\"1000\",\"memory\":\"1Mi\"}}}]}}");
        var big = await WaitFor("/api/v1/namespaces/default/pods/too-big", p => p["status"]?["conditions"]?.AsArray().Any(c => (string?)c!["reason"] == "Unschedulable") == true);
        Assert.Equal("0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 3 Insufficient cpu. preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.",
            (string)big["status"]!["conditions"]!.AsArray().First(c => (string)c!["type"]! == "PodScheduled")!["message"]!);
        Assert.Null((string?)big["spec"]!["nodeName"]);

        // two pods that each need 60 % of one node's allocatable CPU and memory: the second waits until the first is gone
        var (_, nodes, _) = await Lab.GetAsync("/api/v1/nodes");
        var node = nodes!["items"]!.AsArray().First(n => n!["spec"]?["taints"] is null)!;
        var name = (string)node["metadata"]!["name"]!;
        var cpu = new k8s.Models.ResourceQuantity((string)node["status"]!["allocatable"]!["cpu"]!).ToDecimal();
        var mem = new k8s.Models.ResourceQuantity((string)node["status"]!["allocatable"]!["memory"]!).ToDecimal();
        string Pinned(string pod) =>
            "{\"metadata\":{\"name\":\"" + pod + "\"},\"spec\":{\"nodeSelector\":{\"kubernetes.io/hostname\":\"" + name + "\"},\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\",\"command\":[\"sleep\",\"infinity\"]," +
            "\"resources\":{\"limits\":{\"cpu\":\"" + Math.Floor(cpu * 600) + "m\",\"memory\":\"" + Math.Floor(mem * 0.6m) + "\"}}}]}}";
        await Lab.PostAsync("/api/v1/namespaces/default/pods", Pinned("fits"));
        await WaitFor("/api/v1/namespaces/default/pods/fits", p => (string?)p["status"]?["phase"] == "Running");
        await Lab.PostAsync("/api/v1/namespaces/default/pods", Pinned("waits"));
        var waiting = await WaitFor("/api/v1/namespaces/default/pods/waits", p => p["status"]?["conditions"]?.AsArray().Any(c => (string?)c!["reason"] == "Unschedulable") == true);
        var message = (string)waiting["status"]!["conditions"]!.AsArray().First(c => (string)c!["type"]! == "PodScheduled")!["message"]!;
        Assert.Equal("0/4 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: 1 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.",
            message);
        await Lab.DeleteAsync("/api/v1/namespaces/default/pods/fits?gracePeriodSeconds=0");
        var placed = await WaitFor("/api/v1/namespaces/default/pods/waits", p => (string?)p["status"]?["phase"] == "Running");
        Assert.Equal(name, (string)placed["spec"]!["nodeName"]!);
        await Lab.DeleteAsync("/api/v1/namespaces/default/pods/waits?gracePeriodSeconds=0");
        await Lab.DeleteAsync("/api/v1/namespaces/default/pods/too-big?gracePeriodSeconds=0");
    }

    [Fact]
    public async Task Graceful_pod_deletion_and_log_errors()
    {
        await Lab.PostAsync("/api/v1/namespaces/default/pods",
            "{\"metadata\":{\"name\":\"two\"},\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"busybox:1.36\",\"command\":[\"sleep\",\"infinity\"]},{\"name\":\"b\",\"image\":\"busybox:1.36\",\"command\":[\"sleep\",\"9999\"]}]}}");
        var (lc, lerr, _) = await Lab.GetAsync("/api/v1/namespaces/default/pods/two/log");
        Assert.Equal(HttpStatusCode.BadRequest, lc);
        Assert.Equal("a container name must be specified for pod two, choose one of: [a b]", (string)lerr!["message"]!);
        await WaitFor("/api/v1/namespaces/default/pods/two", p => (string?)p["status"]?["phase"] == "Running");
        var (dc, deleted, _) = await Lab.DeleteAsync("/api/v1/namespaces/default/pods/two");
        Assert.Equal(HttpStatusCode.OK, dc);
        Assert.NotNull(deleted!["metadata"]!["deletionTimestamp"]);
        Assert.Equal(30, (int)deleted["metadata"]!["deletionGracePeriodSeconds"]!);
        var until = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < until && (await Lab.GetAsync("/api/v1/namespaces/default/pods/two")).Code == HttpStatusCode.OK) await Task.Delay(50);
        Assert.Equal(HttpStatusCode.NotFound, (await Lab.GetAsync("/api/v1/namespaces/default/pods/two")).Code);
    }

    [Fact]
    public async Task StatefulSet_ordered_pods_rolling_update_and_scale_down()
    {
        var body = "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"db\"},\"spec\":{\"replicas\":3,\"serviceName\":\"db-hl\",\"selector\":{\"matchLabels\":{\"app\":\"db\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"db\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\",\"command\":[\"sleep\",\"infinity\"]}]}}}}";
        var (code, sts, _) = await Lab.PostAsync("/apis/apps/v1/namespaces/default/statefulsets", body);
        Assert.Equal(HttpStatusCode.Created, code);
        Assert.Equal("OrderedReady", (string)sts!["spec"]!["podManagementPolicy"]!);
        Assert.Equal(0, (int)sts["spec"]!["updateStrategy"]!["rollingUpdate"]!["partition"]!);
        Assert.Equal("Retain", (string)sts["spec"]!["persistentVolumeClaimRetentionPolicy"]!["whenDeleted"]!);
        var ready = await WaitFor("/apis/apps/v1/namespaces/default/statefulsets/db", d => (int?)d["status"]?["readyReplicas"] == 3 &&
            (string?)d["status"]?["currentRevision"] == (string?)d["status"]?["updateRevision"]);
        Assert.Equal(3, (int)ready["status"]!["currentReplicas"]!);
        var (_, p0, _) = await Lab.GetAsync("/api/v1/namespaces/default/pods/db-0");
        var (_, p2, _) = await Lab.GetAsync("/api/v1/namespaces/default/pods/db-2");
        Assert.Equal("db-0", (string)p0!["spec"]!["hostname"]!);
        Assert.Equal("db-hl", (string)p0["spec"]!["subdomain"]!);
        Assert.Equal("2", (string)p2!["metadata"]!["labels"]!["apps.kubernetes.io/pod-index"]!);
        Assert.True(DateTime.Parse((string)p0["metadata"]!["creationTimestamp"]!) <= DateTime.Parse((string)p2["metadata"]!["creationTimestamp"]!));
        var rev1 = (string)ready["status"]!["updateRevision"]!;

        await Lab.PatchAsync("/apis/apps/v1/namespaces/default/statefulsets/db",
            "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"restartedAt\":\"now\"}}}}}", "application/merge-patch+json");
        var rolled = await WaitFor("/apis/apps/v1/namespaces/default/statefulsets/db", d => (string?)d["status"]?["updateRevision"] != rev1 &&
            (string?)d["status"]?["currentRevision"] == (string?)d["status"]?["updateRevision"] && (int?)d["status"]?["updatedReplicas"] == 3 && (int?)d["status"]?["readyReplicas"] == 3, 30);
        Assert.Equal(2, (int)rolled["status"]!["observedGeneration"]!);

        await Lab.PatchAsync("/apis/apps/v1/namespaces/default/statefulsets/db", "{\"spec\":{\"replicas\":1}}", "application/merge-patch+json");
        await WaitFor("/api/v1/namespaces/default/pods?labelSelector=app%3Ddb", l => l["items"]!.AsArray().Count == 1, 30);
        Assert.Equal(HttpStatusCode.OK, (await Lab.GetAsync("/api/v1/namespaces/default/pods/db-0")).Code);
    }

    [Fact]
    public async Task Deployment_creates_replicaset_and_rolls_out()
    {
        var body = "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.27\"}]}}}}";
        var (code, d, _) = await Lab.PostAsync("/apis/apps/v1/namespaces/default/deployments", body);
        Assert.Equal(HttpStatusCode.Created, code);
        Assert.Equal("25%", (string)d!["spec"]!["strategy"]!["rollingUpdate"]!["maxSurge"]!);
        Assert.Equal(600, (int)d["spec"]!["progressDeadlineSeconds"]!);
        await WaitFor("/apis/apps/v1/namespaces/default/deployments/web", x => (int?)x["status"]?["availableReplicas"] == 3 && (int?)x["status"]?["updatedReplicas"] == 3);
        var (_, rsl, _) = await Lab.GetAsync("/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dweb");
        var rs = rsl!["items"]!.AsArray().Single()!;
        Assert.StartsWith("web-", (string)rs["metadata"]!["name"]!);
        Assert.Equal("1", (string)rs["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]!);

        await Lab.PatchAsync("/apis/apps/v1/namespaces/default/deployments/web",
            "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.28\"}]}}}}", "application/strategic-merge-patch+json");
        var done = await WaitFor("/apis/apps/v1/namespaces/default/deployments/web", x => (int?)x["status"]?["observedGeneration"] == 2 &&
            (int?)x["status"]?["updatedReplicas"] == 3 && (int?)x["status"]?["replicas"] == 3 && (int?)x["status"]?["availableReplicas"] == 3, 30);
        Assert.Contains(done["status"]!["conditions"]!.AsArray(), c => (string)c!["reason"]! == "NewReplicaSetAvailable");
        await WaitFor("/api/v1/namespaces/default/pods?labelSelector=app%3Dweb", l => l["items"]!.AsArray().Count == 3 &&
            l["items"]!.AsArray().All(p => (string)p!["spec"]!["containers"]![0]!["image"]! == "nginx:1.28"), 30);

        // background deletion cascades to the replica sets and their pods
        await Lab.DeleteAsync("/apis/apps/v1/namespaces/default/deployments/web");
        await WaitFor("/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dweb", l => l["items"]!.AsArray().Count == 0, 30);
    }

    [Fact]
    public async Task Job_delete_orphans_pods_by_default()
    {
        await Lab.PostAsync("/apis/batch/v1/namespaces/default/jobs", Job("orphaner", "[\"sleep\",\"9999\"]"));
        await WaitFor("/api/v1/namespaces/default/pods?labelSelector=job-name%3Dorphaner", l => l["items"]!.AsArray().Count == 1);
        var (dc, _, _) = await Lab.DeleteAsync("/apis/batch/v1/namespaces/default/jobs/orphaner");
        Assert.Equal(HttpStatusCode.OK, dc);
        var until = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < until && (await Lab.GetAsync("/apis/batch/v1/namespaces/default/jobs/orphaner")).Code == HttpStatusCode.OK) await Task.Delay(50);
        var pods = await WaitFor("/api/v1/namespaces/default/pods?labelSelector=job-name%3Dorphaner", l => l["items"]!.AsArray().Count == 1 &&
            l["items"]![0]!["metadata"]!["ownerReferences"] is null);
        Assert.Null(pods["items"]![0]!["metadata"]!["deletionTimestamp"]);
    }
}
