using System.Net;
using System.Text.Json.Nodes;

namespace ClydePS.Lab.Tests;

public sealed class NamespaceLifecycleTests(SharedLab shared) : IClassFixture<SharedLab>
{
    TestLab Lab => shared.Lab;

    [Fact]
    public async Task Terminating_namespace_rejects_content_waits_for_finalizers_then_disappears()
    {
        Assert.Equal(HttpStatusCode.Created, (await Lab.PostAsync("/api/v1/namespaces", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"doomed"}}""")).Code);
        Assert.Equal(HttpStatusCode.Created, (await Lab.PostAsync("/api/v1/namespaces/doomed/configmaps",
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"held","finalizers":["clydeps.io/hold"]}}""")).Code);
        Assert.Equal(HttpStatusCode.Created, (await Lab.PostAsync("/api/v1/namespaces/doomed/pods", TestLab.Pod("p"))).Code);

        var (dc, deleted, _) = await Lab.DeleteAsync("/api/v1/namespaces/doomed");
        Assert.Equal(HttpStatusCode.OK, dc);
        Assert.Equal("Terminating", (string)deleted!["status"]!["phase"]!);
        Assert.NotNull(deleted["metadata"]!["deletionTimestamp"]);

        var (cc, status, _) = await Lab.PostAsync("/api/v1/namespaces/doomed/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"late"}}""");
        Assert.Equal(HttpStatusCode.Forbidden, cc);
        Assert.Equal("configmaps \"late\" is forbidden: unable to create new content in namespace doomed because it is being terminated", (string)status!["message"]!);
        Assert.Equal("NamespaceTerminating", (string)status["details"]!["causes"]![0]!["reason"]!);

        // the content goes, the finalized object waits
        await Wait.Until(async () => (await Lab.GetAsync("/api/v1/namespaces/doomed/pods/p")).Code == HttpStatusCode.NotFound, "pod deleted");
        JsonNode? ns = null;
        await Wait.Until(async () => (ns = (await Lab.GetAsync("/api/v1/namespaces/doomed")).Body)!["status"]!["conditions"] is JsonArray, "conditions");
        var remaining = ns!["status"]!["conditions"]!.AsArray().Single(c => (string)c!["type"]! == "NamespaceContentRemaining")!;
        Assert.Equal("True", (string)remaining["status"]!);
        Assert.Equal("Some resources are remaining: configmaps has 1 resource instances", (string)remaining["message"]!);
        Assert.Equal("kubernetes", (string)ns["spec"]!["finalizers"]![0]!);
        var (_, held, _) = await Lab.GetAsync("/api/v1/namespaces/doomed/configmaps/held");
        Assert.NotNull(held!["metadata"]!["deletionTimestamp"]);

        // a repeated delete answers the terminating namespace
        Assert.Equal(HttpStatusCode.OK, (await Lab.DeleteAsync("/api/v1/namespaces/doomed")).Code);
        await Lab.PatchAsync("/api/v1/namespaces/doomed/configmaps/held", """{"metadata":{"finalizers":null}}""", "application/merge-patch+json");
        await Wait.Until(async () => (await Lab.GetAsync("/api/v1/namespaces/doomed")).Code == HttpStatusCode.NotFound, "namespace gone");
    }
}
