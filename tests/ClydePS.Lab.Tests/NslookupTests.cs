using System.Net;
using System.Text.Json.Nodes;
using ClydePS.Lab.Kubelet;

namespace ClydePS.Lab.Tests;

/// <summary>busybox nslookup against the cluster DNS the Lab simulates from Services and Endpoints.</summary>
public sealed class NslookupTests(WorkloadLab shared) : IClassFixture<WorkloadLab>
{
    TestLab Lab => shared.Lab;

    static string PodRunning(string name, string script, string restart = "Never") =>
        "{\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{\"restartPolicy\":\"" + restart + "\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\",\"command\":[\"sh\",\"-c\"," +
        System.Text.Json.JsonSerializer.Serialize(script) + "]}]}}";

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

    async Task<string> Log(string pod, string container = "c") =>
        await (await Lab.Http.GetAsync($"/api/v1/namespaces/default/pods/{pod}/log?container={container}")).Content.ReadAsStringAsync();

    [Fact]
    public async Task Parses_the_forms_init_containers_use()
    {
        Assert.IsType<KnownPrograms.NslookupStep>(Assert.Single(KnownPrograms.ParseScript("nslookup db")!).Step);
        var loop = Assert.IsType<KnownPrograms.LoopStep>(Assert.Single(KnownPrograms.ParseScript("until nslookup db-0.db; do echo waiting; sleep 2; done")!).Step);
        Assert.False(loop.While);
        Assert.Single(loop.Condition);
        Assert.Equal(2, loop.Body.Count);
        var multi = KnownPrograms.ParseScript("until nslookup a && nslookup b\ndo\n  sleep 2\ndone; echo ready")!;
        Assert.Equal(2, multi.Count);
        Assert.Equal(2, ((KnownPrograms.LoopStep)multi[0].Step).Condition.Count);
        Assert.IsType<KnownPrograms.LoopStep>(KnownPrograms.ParseScript("while ! nslookup x; do sleep 1; done")![0].Step);
        Assert.Null(KnownPrograms.ParseScript("until nslookup x; do sleep 1"));
    }

    [Fact]
    public async Task Resolves_services_and_fails_with_NXDOMAIN()
    {
        await Lab.PostAsync("/api/v1/namespaces/default/pods", PodRunning("ns-ok", "nslookup kubernetes.default"));
        await Lab.PostAsync("/api/v1/namespaces/default/pods", PodRunning("ns-missing", "nslookup nothing-here"));
        await Lab.PostAsync("/api/v1/namespaces/default/pods",
            "{\"metadata\":{\"name\":\"ns-argv\"},\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\",\"command\":[\"nslookup\",\"kubernetes.default.svc.cluster.local\"]}]}}");
        await WaitFor("/api/v1/namespaces/default/pods/ns-ok", p => (string?)p["status"]?["phase"] == "Succeeded");
        await WaitFor("/api/v1/namespaces/default/pods/ns-argv", p => (string?)p["status"]?["phase"] == "Succeeded");
        var failed = await WaitFor("/api/v1/namespaces/default/pods/ns-missing", p => (string?)p["status"]?["phase"] == "Failed");
        Assert.Equal(1, (int)failed["status"]!["containerStatuses"]![0]!["state"]!["terminated"]!["exitCode"]!);
        Assert.Equal("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n\n", await Log("ns-ok"));
        Assert.Contains("Address: 10.96.0.1\n", await Log("ns-argv"));
        Assert.Equal("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n** server can't find nothing-here: NXDOMAIN\n\n", await Log("ns-missing"));
        // the short form in the pod's namespace, and <svc>.<ns>
        Assert.Equal("kubernetes.default.svc.cluster.local", Nslookup.Resolve(Lab.Host, "default", "kubernetes")?.Fqdn);
        Assert.Null(Nslookup.Resolve(Lab.Host, "kube-system", "kubernetes"));
        Assert.NotNull(Nslookup.Resolve(Lab.Host, "kube-system", "kubernetes.default"));
    }

    [Fact]
    public async Task StatefulSet_init_container_waits_for_its_peers_through_a_headless_service()
    {
        await Lab.PostAsync("/api/v1/namespaces/default/services",
            "{\"metadata\":{\"name\":\"peers\"},\"spec\":{\"clusterIP\":\"None\",\"publishNotReadyAddresses\":true,\"selector\":{\"app\":\"ring\"},\"ports\":[{\"port\":7000}]}}");
        // a pod that waits for a name nobody serves yet, then for a headless service with ready pods
        await Lab.PostAsync("/api/v1/namespaces/default/pods",
            "{\"metadata\":{\"name\":\"waiter\"},\"spec\":{\"initContainers\":[{\"name\":\"wait\",\"image\":\"busybox:1.36\",\"command\":[\"sh\",\"-c\"," +
            "\"until nslookup ring-2.peers.$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace).svc.cluster.local > /dev/null 2>&1; do echo waiting for ring-2; sleep 2; done\"]}]," +
            "\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\",\"command\":[\"sleep\",\"infinity\"]}]}}");
        await WaitFor("/api/v1/namespaces/default/pods/waiter", p => p["status"]?["initContainerStatuses"]?[0]?["state"]?["running"] is not null);
        var sts = "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"ring\"},\"spec\":{\"replicas\":3,\"serviceName\":\"peers\",\"podManagementPolicy\":\"Parallel\"," +
                  "\"selector\":{\"matchLabels\":{\"app\":\"ring\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"ring\"}},\"spec\":{" +
                  "\"initContainers\":[{\"name\":\"peers\",\"image\":\"busybox:1.36\",\"command\":[\"sh\",\"-c\",\"until nslookup ring-0.peers && nslookup ring-1.peers && nslookup ring-2.peers; do echo waiting for peers; sleep 2; done\"]}]," +
                  "\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\",\"command\":[\"sleep\",\"infinity\"]}]}}}}";
        Assert.Equal(HttpStatusCode.Created, (await Lab.PostAsync("/apis/apps/v1/namespaces/default/statefulsets", sts)).Code);
        await WaitFor("/apis/apps/v1/namespaces/default/statefulsets/ring", s => (int?)s["status"]?["readyReplicas"] == 3, 30);
        var (_, p1, _) = await Lab.GetAsync("/api/v1/namespaces/default/pods/ring-1");
        Assert.Equal("Completed", (string)p1!["status"]!["initContainerStatuses"]![0]!["state"]!["terminated"]!["reason"]!);
        var log = await Log("ring-1", "peers");
        Assert.Contains("Name:\tring-0.peers.default.svc.cluster.local\nAddress: ", log);
        Assert.Contains("Name:\tring-2.peers.default.svc.cluster.local\nAddress: " + (string)(await Lab.GetAsync("/api/v1/namespaces/default/pods/ring-2")).Body!["status"]!["podIP"]!, log);

        await WaitFor("/api/v1/namespaces/default/pods/waiter", p => (string?)p["status"]?["phase"] == "Running", 30);
        var waiterLog = await Log("waiter", "wait");
        Assert.StartsWith("waiting for ring-2\n", waiterLog);
        Assert.DoesNotContain("NXDOMAIN", waiterLog); // its output went to /dev/null
    }
}
