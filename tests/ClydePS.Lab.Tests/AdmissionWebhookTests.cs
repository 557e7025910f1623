using ClydePS.Lab.Resources;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;

namespace ClydePS.Lab.Tests;

public sealed class WebhookLab : IAsyncLifetime
{
    public TestLab Lab { get; private set; } = null!;
    public WebhookServer Server { get; private set; } = null!;
    public async Task InitializeAsync()
    {
        Lab = await TestLab.StartAsync(new LabOptions { Nodes = 2 });
        Server = await WebhookServer.StartAsync();
    }
    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Lab.DisposeAsync();
    }
}

public sealed class AdmissionWebhookTests(WebhookLab shared) : IClassFixture<WebhookLab>
{
    TestLab Lab => shared.Lab;
    WebhookServer Server => shared.Server;
    const string Configs = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations";

    static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    async Task WithWebhook(string name, string webhook, Func<Task> body)
    {
        var config = "{\"apiVersion\":\"admissionregistration.k8s.io/v1\",\"kind\":\"MutatingWebhookConfiguration\",\"metadata\":{\"name\":\"" + name + "\"},\"webhooks\":[" + webhook + "]}";
        var (code, created, _) = await Lab.PostAsync(Configs, config);
        Assert.True(code == HttpStatusCode.Created, created?.ToJsonString());
        try { await body(); }
        finally { await Lab.DeleteAsync(Configs + "/" + name); }
    }

    string Hook(string name, string path = "/mutate", string? ca = null, string failurePolicy = "Fail", int timeout = 10,
        string objectSelector = "{}", string namespaceSelector = "{}", string? clientConfig = null) =>
        "{\"name\":\"" + name + "\",\"admissionReviewVersions\":[\"v1\"],\"sideEffects\":\"None\",\"failurePolicy\":\"" + failurePolicy + "\",\"timeoutSeconds\":" + timeout +
        ",\"objectSelector\":" + objectSelector + ",\"namespaceSelector\":" + namespaceSelector +
        ",\"clientConfig\":" + (clientConfig ?? "{\"url\":\"" + Server.Url + path + "\",\"caBundle\":\"" + B64(ca ?? Server.CaPem) + "\"}") +
        ",\"rules\":[{\"operations\":[\"CREATE\"],\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],\"resources\":[\"pods\"]}]}";

    [Fact]
    public async Task Webhook_mutates_pods_from_clients_and_controllers_and_passes_warnings()
    {
        await WithWebhook("label-pods", Hook("label.pods.test"), async () =>
        {
            var (code, pod, resp) = await Lab.PostAsync("/api/v1/namespaces/default/pods", TestLab.Pod("hooked", labels: "{\"app\":\"a\"}"));
            Assert.True(code == HttpStatusCode.Created, pod?.ToJsonString());
            Assert.Equal("true", (string)pod!["metadata"]!["labels"]!["webhooked"]!);
            Assert.Equal("a", (string)pod["metadata"]!["labels"]!["app"]!);
            Assert.Contains("299 - \"mutated by the test webhook\"", resp.Headers.GetValues("Warning"));
            var review = Server.Reviews.Last();
            Assert.Equal("admission.k8s.io/v1", (string)review["apiVersion"]!);
            var r = review["request"]!;
            Assert.Equal("CREATE", (string)r["operation"]!);
            Assert.Equal("Pod", (string)r["kind"]!["kind"]!);
            Assert.Equal("pods", (string)r["resource"]!["resource"]!);
            Assert.Equal("default", (string)r["namespace"]!);
            Assert.Equal("clyde-lab-admin", (string)r["userInfo"]!["username"]!);
            Assert.False((bool)r["dryRun"]!);
            Assert.False(string.IsNullOrEmpty((string?)r["uid"]));
            // a pod created by the Lab itself (the path controllers use) is mutated too
            var stored = Lab.Host.Rest.CreateObject(Lab.Host.Registry.Pods(), "default", new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = "by-controller" },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.36" }] },
            });
            Assert.Equal("true", stored.Object.Metadata.Labels["webhooked"]);
            Assert.Equal("system:kube-controller-manager", (string)Server.Reviews.Last()["request"]!["userInfo"]!["username"]!);
            // generateName: the webhook sees no name yet, as on the real server
            var (gc, generated, _) = await Lab.PostAsync("/api/v1/namespaces/default/pods",
                """{"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"gen-"},"spec":{"containers":[{"name":"c","image":"busybox:1.36"}]}}""");
            Assert.Equal(HttpStatusCode.Created, gc);
            Assert.StartsWith("gen-", (string)generated!["metadata"]!["name"]!);
            var genReview = Server.Reviews.Last()["request"]!;
            Assert.Null(genReview["name"]);
            Assert.Equal("gen-", (string)genReview["object"]!["metadata"]!["generateName"]!);
            // other resources are not sent
            var before = Server.Reviews.Count;
            await Lab.PostAsync("/api/v1/namespaces/default/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"not-hooked"}}""");
            Assert.Equal(before, Server.Reviews.Count);
        });
    }

    [Fact]
    public async Task Object_and_namespace_selectors_are_honoured()
    {
        await Lab.PostAsync("/api/v1/namespaces", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"hooked-ns","labels":{"inject":"on"}}}""");
        await WithWebhook("selective", Hook("selective.pods.test", objectSelector: """{"matchLabels":{"inject":"yes"}}""",
            namespaceSelector: """{"matchExpressions":[{"key":"inject","operator":"In","values":["on"]}]}"""), async () =>
        {
            var (_, plain, _) = await Lab.PostAsync("/api/v1/namespaces/hooked-ns/pods", TestLab.Pod("no-label"));
            Assert.Null(plain!["metadata"]!["labels"]);
            var (_, other, _) = await Lab.PostAsync("/api/v1/namespaces/default/pods", TestLab.Pod("other-ns", labels: "{\"inject\":\"yes\"}"));
            Assert.Null(other!["metadata"]!["labels"]!["webhooked"]);
            var (_, hooked, _) = await Lab.PostAsync("/api/v1/namespaces/hooked-ns/pods", TestLab.Pod("yes-label", labels: "{\"inject\":\"yes\"}"));
            Assert.Equal("true", (string)hooked!["metadata"]!["labels"]!["webhooked"]!);
        });
    }

    [Fact]
    public async Task Ca_mismatch_fails_under_Fail_and_is_skipped_under_Ignore()
    {
        var otherCa = WebhookServer.NewCaPem(out var ca, out var key);
        ca.Dispose();
        key.Dispose();
        await WithWebhook("wrong-ca", Hook("wrong.ca.test", ca: otherCa), async () =>
        {
            var (code, status, _) = await Lab.PostAsync("/api/v1/namespaces/default/pods", TestLab.Pod("ca-fail"));
            Assert.Equal(HttpStatusCode.InternalServerError, code);
            Assert.Equal("InternalError", (string)status!["reason"]!);
            Assert.Equal($"Internal error occurred: failed calling webhook \"wrong.ca.test\": failed to call webhook: Post \"{Server.Url}/mutate?timeout=10s\": tls: failed to verify certificate: x509: certificate signed by unknown authority",
                (string)status["message"]!);
            Assert.Equal(HttpStatusCode.NotFound, (await Lab.GetAsync("/api/v1/namespaces/default/pods/ca-fail")).Code);
        });
        await WithWebhook("wrong-ca-ignored", Hook("wrong.ca.test", ca: otherCa, failurePolicy: "Ignore"), async () =>
        {
            var (code, pod, _) = await Lab.PostAsync("/api/v1/namespaces/default/pods", TestLab.Pod("ca-ignored"));
            Assert.Equal(HttpStatusCode.Created, code);
            Assert.Null(pod!["metadata"]!["labels"]);
        });
    }

    [Fact]
    public async Task Timeout_and_denial()
    {
        await WithWebhook("slow", Hook("slow.pods.test", path: "/slow", timeout: 1), async () =>
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var (code, status, _) = await Lab.PostAsync("/api/v1/namespaces/default/pods", TestLab.Pod("too-slow"));
            Assert.Equal(HttpStatusCode.InternalServerError, code);
            Assert.EndsWith("/slow?timeout=1s\": context deadline exceeded", (string)status!["message"]!);
            Assert.InRange(sw.Elapsed.TotalSeconds, 0.9, 8); // the webhook answers after 10 s: the 1 s timeout cut it
        });
        await WithWebhook("deny", Hook("deny.pods.test", path: "/deny"), async () =>
        {
            var (code, status, _) = await Lab.PostAsync("/api/v1/namespaces/default/pods", TestLab.Pod("denied"));
            Assert.Equal(HttpStatusCode.Forbidden, code);
            Assert.Equal("admission webhook \"deny.pods.test\" denied the request: no pods today", (string)status!["message"]!);
        });
    }

    [Fact]
    public async Task Service_client_config_resolves_through_the_endpoint_annotation()
    {
        var svc = "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"hook-svc\",\"annotations\":{\"lab.clydeps.io/endpoint\":\"" + Server.Url + "\"}},\"spec\":{\"ports\":[{\"port\":443}]}}";
        Assert.Equal(HttpStatusCode.Created, (await Lab.PostAsync("/api/v1/namespaces/default/services", svc)).Code);
        var cc = "{\"service\":{\"name\":\"hook-svc\",\"namespace\":\"default\",\"path\":\"/mutate\"},\"caBundle\":\"" + B64(Server.CaPem) + "\"}";
        await WithWebhook("by-service", Hook("svc.pods.test", clientConfig: cc), async () =>
        {
            var (code, pod, _) = await Lab.PostAsync("/api/v1/namespaces/default/pods", TestLab.Pod("via-service"));
            Assert.Equal(HttpStatusCode.Created, code);
            Assert.Equal("true", (string)pod!["metadata"]!["labels"]!["webhooked"]!);
        });
        var missing = "{\"service\":{\"name\":\"nope\",\"namespace\":\"default\",\"path\":\"/mutate\"}}";
        await WithWebhook("missing-service", Hook("missing.pods.test", clientConfig: missing), async () =>
        {
            var (code, status, _) = await Lab.PostAsync("/api/v1/namespaces/default/pods", TestLab.Pod("no-service"));
            Assert.Equal(HttpStatusCode.InternalServerError, code);
            Assert.Equal("Internal error occurred: failed calling webhook \"missing.pods.test\": failed to call webhook: Post \"https://nope.default.svc:443/mutate?timeout=10s\": service \"nope\" not found",
                (string)status!["message"]!);
        });
    }

    [Fact]
    public async Task Configuration_defaults_and_validation()
    {
        var (code, created, _) = await Lab.PostAsync(Configs, "{\"apiVersion\":\"admissionregistration.k8s.io/v1\",\"kind\":\"MutatingWebhookConfiguration\",\"metadata\":{\"name\":\"defaults\"},\"webhooks\":[" +
            "{\"name\":\"d.pods.test\",\"admissionReviewVersions\":[\"v1\"],\"sideEffects\":\"None\",\"clientConfig\":{\"url\":\"https://127.0.0.1:1/x\"},\"objectSelector\":{\"matchLabels\":{\"never\":\"x\"}}}]}");
        Assert.Equal(HttpStatusCode.Created, code);
        var w = created!["webhooks"]![0]!;
        Assert.Equal("Fail", (string)w["failurePolicy"]!);
        Assert.Equal(10, (int)w["timeoutSeconds"]!);
        Assert.Equal("Never", (string)w["reinvocationPolicy"]!);
        Assert.Equal("Equivalent", (string)w["matchPolicy"]!);
        await Lab.DeleteAsync(Configs + "/defaults");
        var (bad, status, _) = await Lab.PostAsync(Configs, """{"apiVersion":"admissionregistration.k8s.io/v1","kind":"MutatingWebhookConfiguration","metadata":{"name":"bad"},"webhooks":[{"name":"bad","admissionReviewVersions":["v1"],"clientConfig":{"url":"http://x"}}]}""");
        Assert.Equal((HttpStatusCode)422, bad);
        var fields = status!["details"]!["causes"]!.AsArray().Select(c => (string)c!["field"]!).ToList();
        Assert.Contains("webhooks[0].name", fields);
        Assert.Contains("webhooks[0].sideEffects", fields);
        Assert.Contains("webhooks[0].clientConfig.url", fields);
    }
}
