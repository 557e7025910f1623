using System.Net;
using System.Text.Json.Nodes;

namespace ClydePS.Lab.Tests;

public sealed class CrudTests(SharedLab shared) : IClassFixture<SharedLab>
{
    TestLab Lab => shared.Lab;
    const string Pods = "/api/v1/namespaces/default/pods";

    [Fact]
    public async Task Pod_create_get_update_delete()
    {
        var (code, created, _) = await Lab.PostAsync(Pods, TestLab.Pod("crud-a"));
        Assert.Equal(HttpStatusCode.Created, code);
        var meta = created!["metadata"]!;
        Assert.False(string.IsNullOrEmpty((string?)meta["uid"]));
        Assert.False(string.IsNullOrEmpty((string?)meta["creationTimestamp"]));
        Assert.Equal("default", (string)meta["namespace"]!);
        Assert.Equal("Pending", (string)created["status"]!["phase"]!);
        var rv = long.Parse((string)meta["resourceVersion"]!);

        var (getCode, got, _) = await Lab.GetAsync(Pods + "/crud-a");
        Assert.Equal(HttpStatusCode.OK, getCode);
        Assert.Equal("Pod", (string)got!["kind"]!);
        Assert.Equal("v1", (string)got["apiVersion"]!);

        got["metadata"]!["labels"] = new JsonObject { ["app"] = "web" };
        var (putCode, updated, _) = await Lab.PutAsync(Pods + "/crud-a", got.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, putCode);
        Assert.Equal("web", (string)updated!["metadata"]!["labels"]!["app"]!);
        Assert.True(long.Parse((string)updated["metadata"]!["resourceVersion"]!) > rv);
        Assert.Equal((string)meta["uid"]!, (string)updated["metadata"]!["uid"]!);

        var (delCode, deleted, _) = await Lab.DeleteAsync(Pods + "/crud-a");
        Assert.Equal(HttpStatusCode.OK, delCode);
        Assert.Equal("Pod", (string)deleted!["kind"]!);
        Assert.Equal("crud-a", (string)deleted["metadata"]!["name"]!);

        var (nfCode, nf, _) = await Lab.GetAsync(Pods + "/crud-a");
        Assert.Equal(HttpStatusCode.NotFound, nfCode);
        Assert.Equal("Status", (string)nf!["kind"]!);
        Assert.Equal("Failure", (string)nf["status"]!);
        Assert.Equal("NotFound", (string)nf["reason"]!);
        Assert.Equal("pods \"crud-a\" not found", (string)nf["message"]!);
        Assert.Equal("crud-a", (string)nf["details"]!["name"]!);
        Assert.Equal("pods", (string)nf["details"]!["kind"]!);
        Assert.Equal(404, (int)nf["code"]!);
    }

    [Fact]
    public async Task Create_in_missing_namespace_is_404()
    {
        var (code, body, _) = await Lab.PostAsync("/api/v1/namespaces/nope/pods", TestLab.Pod("x"));
        Assert.Equal(HttpStatusCode.NotFound, code);
        Assert.Equal("namespaces \"nope\" not found", (string)body!["message"]!);
        Assert.Equal("namespaces", (string)body["details"]!["kind"]!);
    }

    [Fact]
    public async Task Duplicate_create_is_409_AlreadyExists()
    {
        await Lab.PostAsync(Pods, TestLab.Pod("crud-dup"));
        var (code, body, _) = await Lab.PostAsync(Pods, TestLab.Pod("crud-dup"));
        Assert.Equal(HttpStatusCode.Conflict, code);
        Assert.Equal("AlreadyExists", (string)body!["reason"]!);
        Assert.Equal("pods \"crud-dup\" already exists", (string)body["message"]!);
    }

    [Fact]
    public async Task Stale_resourceVersion_is_409_Conflict()
    {
        var (_, created, _) = await Lab.PostAsync(Pods, TestLab.Pod("crud-stale"));
        var stale = created!.DeepClone();
        created["metadata"]!["labels"] = new JsonObject { ["a"] = "1" };
        var (c1, _, _) = await Lab.PutAsync(Pods + "/crud-stale", created.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, c1);
        stale["metadata"]!["labels"] = new JsonObject { ["a"] = "2" };
        var (code, body, _) = await Lab.PutAsync(Pods + "/crud-stale", stale.ToJsonString());
        Assert.Equal(HttpStatusCode.Conflict, code);
        Assert.Equal("Conflict", (string)body!["reason"]!);
        Assert.Equal("Operation cannot be fulfilled on pods \"crud-stale\": the object has been modified; please apply your changes to the latest version and try again",
            (string)body["message"]!);
    }

    [Fact]
    public async Task Invalid_name_is_422_with_causes()
    {
        var (code, body, _) = await Lab.PostAsync(Pods, TestLab.Pod("Bad_Name"));
        Assert.Equal((HttpStatusCode)422, code);
        Assert.Equal("Invalid", (string)body!["reason"]!);
        Assert.Equal("Pod \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            (string)body["message"]!);
        Assert.Equal("Pod", (string)body["details"]!["kind"]!);
        var cause = body["details"]!["causes"]![0]!;
        Assert.Equal("FieldValueInvalid", (string)cause["reason"]!);
        Assert.Equal("metadata.name", (string)cause["field"]!);
    }

    [Fact]
    public async Task Missing_image_is_422()
    {
        var (code, body, _) = await Lab.PostAsync(Pods, """{"metadata":{"name":"crud-noimage"},"spec":{"containers":[{"name":"c"}]}}""");
        Assert.Equal((HttpStatusCode)422, code);
        Assert.Equal("Pod \"crud-noimage\" is invalid: spec.containers[0].image: Required value", (string)body!["message"]!);
    }

    [Fact]
    public async Task Malformed_body_is_400()
    {
        var (code, body, _) = await Lab.PostAsync(Pods, "{not json");
        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Equal("BadRequest", (string)body!["reason"]!);
    }

    [Fact]
    public async Task Wrong_method_is_405()
    {
        var (code, body, _) = await Lab.PostAsync(Pods + "/some-pod", TestLab.Pod("some-pod"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, code);
        Assert.Equal("MethodNotAllowed", (string)body!["reason"]!);
    }

    [Fact]
    public async Task Unknown_patch_content_type_is_415()
    {
        await Lab.PostAsync(Pods, TestLab.Pod("crud-415"));
        var (code, body, _) = await Lab.PatchAsync(Pods + "/crud-415", "{}", "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, code);
        Assert.Equal("UnsupportedMediaType", (string)body!["reason"]!);
        Assert.StartsWith("the body of the request was in an unknown format - accepted media types include:", (string)body["message"]!);
    }

    [Fact]
    public async Task A_write_that_changes_nothing_bumps_nothing()
    {
        var (_, created, _) = await Lab.PostAsync(Pods, TestLab.Pod("crud-noop"));
        var before = Lab.Host.Store.CurrentResourceVersion;
        var (code, same, _) = await Lab.PutAsync(Pods + "/crud-noop", created!.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal((string)created["metadata"]!["resourceVersion"]!, (string)same!["metadata"]!["resourceVersion"]!);
        var (_, patched, _) = await Lab.PatchAsync(Pods + "/crud-noop", """{"metadata":{"labels":null}}""", "application/merge-patch+json");
        Assert.Equal((string)created["metadata"]!["resourceVersion"]!, (string)patched!["metadata"]!["resourceVersion"]!);
        Assert.Equal(before, Lab.Host.Store.CurrentResourceVersion);
    }

    [Fact]
    public async Task Every_write_bumps_the_global_resourceVersion()
    {
        var (_, a, _) = await Lab.PostAsync(Pods, TestLab.Pod("crud-rv-a"));
        var (_, b, _) = await Lab.PostAsync(Pods, TestLab.Pod("crud-rv-b"));
        Assert.True(long.Parse((string)b!["metadata"]!["resourceVersion"]!) > long.Parse((string)a!["metadata"]!["resourceVersion"]!));
        var (_, list, _) = await Lab.GetAsync(Pods);
        Assert.True(long.Parse((string)list!["metadata"]!["resourceVersion"]!) >= long.Parse((string)b["metadata"]!["resourceVersion"]!));
        Assert.Null(list["items"]![0]!["kind"]); // list items carry no kind, as the real server's
    }

    [Fact]
    public async Task GenerateName_makes_a_unique_name()
    {
        var body = """{"metadata":{"generateName":"gen-"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}""";
        var (c1, p1, _) = await Lab.PostAsync(Pods, body);
        var (c2, p2, _) = await Lab.PostAsync(Pods, body);
        Assert.Equal(HttpStatusCode.Created, c1);
        Assert.Equal(HttpStatusCode.Created, c2);
        var n1 = (string)p1!["metadata"]!["name"]!;
        Assert.Matches("^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$", n1);
        Assert.NotEqual(n1, (string)p2!["metadata"]!["name"]!);
    }

    [Fact]
    public async Task Unknown_fields_are_pruned_with_a_warning_or_rejected_when_strict()
    {
        var body = """{"metadata":{"name":"crud-prune"},"spec":{"foo":1,"containers":[{"name":"c","image":"busybox","bar":true}]}}""";
        var (strictCode, strict, _) = await Lab.PostAsync(Pods + "?fieldValidation=Strict", body);
        Assert.Equal(HttpStatusCode.BadRequest, strictCode);
        Assert.Equal("strict decoding error: unknown field \"spec.foo\", unknown field \"spec.containers[0].bar\"", (string)strict!["message"]!);
        var (code, created, resp) = await Lab.PostAsync(Pods, body);
        Assert.Equal(HttpStatusCode.Created, code);
        Assert.Null(created!["spec"]!["foo"]);
        Assert.Contains(resp.Headers.GetValues("Warning"), w => w.Contains("unknown field \\\"spec.foo\\\""));
        var (_, single, _) = await Lab.PostAsync(Pods + "?fieldValidation=Strict", """{"metadata":{"name":"crud-prune2"},"spec":{"foo":1,"containers":[{"name":"c","image":"busybox"}]}}""");
        Assert.Equal("strict decoding error: unknown field \"spec.foo\"", (string)single!["message"]!);
    }

    [Fact]
    public async Task Pods_are_defaulted_like_the_real_server()
    {
        var body = """
            {"metadata":{"name":"crud-defaults"},"spec":{"containers":[
              {"name":"a","image":"nginx"},{"name":"b","image":"nginx:latest"},{"name":"c","image":"nginx:1.27"},
              {"name":"d","image":"registry.example.com:5000/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
              {"name":"e","image":"registry.example.com:5000/app"}]}}
            """;
        var (code, pod, _) = await Lab.PostAsync(Pods, body);
        Assert.Equal(HttpStatusCode.Created, code);
        var spec = pod!["spec"]!;
        Assert.Equal("Always", (string)spec["restartPolicy"]!);
        Assert.Equal("ClusterFirst", (string)spec["dnsPolicy"]!);
        Assert.Equal(30, (int)spec["terminationGracePeriodSeconds"]!);
        Assert.Equal("default-scheduler", (string)spec["schedulerName"]!);
        Assert.Equal("default", (string)spec["serviceAccountName"]!);
        Assert.True((bool)spec["enableServiceLinks"]!);
        Assert.Equal(0, (int)spec["priority"]!);
        var pulls = spec["containers"]!.AsArray().Select(c => (string)c!["imagePullPolicy"]!).ToArray();
        Assert.Equal(new[] { "Always", "Always", "IfNotPresent", "IfNotPresent", "Always" }, pulls);
        var c0 = spec["containers"]![0]!;
        Assert.Equal("/dev/termination-log", (string)c0["terminationMessagePath"]!);
        Assert.Equal("File", (string)c0["terminationMessagePolicy"]!);
        var tolerations = spec["tolerations"]!.AsArray();
        foreach (var key in new[] { "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable" })
            Assert.Contains(tolerations, t => (string)t!["key"]! == key && (string)t["operator"]! == "Exists" && (string)t["effect"]! == "NoExecute" && (long)t["tolerationSeconds"]! == 300);
        Assert.Equal("Pending", (string)pod["status"]!["phase"]!);
        Assert.Equal("BestEffort", (string)pod["status"]!["qosClass"]!);
    }

    [Fact]
    public async Task Status_subresource_and_main_resource_split()
    {
        var (_, pod, _) = await Lab.PostAsync(Pods, TestLab.Pod("crud-status"));
        pod!["status"]!["phase"] = "Running";
        var (mainCode, main, _) = await Lab.PutAsync(Pods + "/crud-status", pod.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, mainCode);
        Assert.Equal("Pending", (string)main!["status"]!["phase"]!); // main resource ignores status
        main["status"]!["phase"] = "Running";
        main["metadata"]!["labels"] = new JsonObject { ["ignored"] = "yes" };
        var (statusCode, st, _) = await Lab.PutAsync(Pods + "/crud-status/status", main.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, statusCode);
        Assert.Equal("Running", (string)st!["status"]!["phase"]!);
        Assert.Null(st["metadata"]!["labels"]); // status ignores metadata/spec changes
        var (pc, patched, _) = await Lab.PatchAsync(Pods + "/crud-status/status", """{"status":{"podIP":"10.0.0.9"}}""", "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, pc);
        Assert.Equal("10.0.0.9", (string)patched!["status"]!["podIP"]!);
    }

    [Fact]
    public async Task Pod_spec_is_immutable_except_images()
    {
        var (_, pod, _) = await Lab.PostAsync(Pods, TestLab.Pod("crud-immutable"));
        pod!["spec"]!["containers"]![0]!["image"] = "busybox:1.37";
        var (ok, _, _) = await Lab.PutAsync(Pods + "/crud-immutable", pod.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, ok);
        var (_, cur, _) = await Lab.GetAsync(Pods + "/crud-immutable");
        cur!["spec"]!["restartPolicy"] = "Never";
        var (bad, body, _) = await Lab.PutAsync(Pods + "/crud-immutable", cur.ToJsonString());
        Assert.Equal((HttpStatusCode)422, bad);
        Assert.StartsWith("Pod \"crud-immutable\" is invalid: spec: Forbidden: pod updates may not change fields other than", (string)body!["message"]!);
    }

    [Fact]
    public async Task Namespaces_create_and_delete_with_content()
    {
        var (c, ns, _) = await Lab.PostAsync("/api/v1/namespaces", """{"metadata":{"name":"crud-ns"}}""");
        Assert.Equal(HttpStatusCode.Created, c);
        Assert.Equal("Active", (string)ns!["status"]!["phase"]!);
        Assert.Equal("kubernetes", (string)ns["spec"]!["finalizers"]![0]!);
        await Lab.PostAsync("/api/v1/namespaces/crud-ns/pods", TestLab.Pod("inside"));
        var (dc, deleted, _) = await Lab.DeleteAsync("/api/v1/namespaces/crud-ns");
        Assert.Equal(HttpStatusCode.OK, dc);
        Assert.Equal("Terminating", (string)deleted!["status"]!["phase"]!);
        // the namespace controller deletes the content, then the namespace
        await Wait.Until(async () => (await Lab.GetAsync("/api/v1/namespaces/crud-ns")).Code == HttpStatusCode.NotFound, "namespace gone");
        Assert.Equal(HttpStatusCode.NotFound, (await Lab.GetAsync("/api/v1/namespaces/crud-ns/pods/inside")).Code);
        var (fc, forbidden, _) = await Lab.DeleteAsync("/api/v1/namespaces/default");
        Assert.Equal(HttpStatusCode.Forbidden, fc);
        Assert.Equal("namespaces \"default\" is forbidden: this namespace may not be deleted", (string)forbidden!["message"]!);
        var (bc, bad, _) = await Lab.PostAsync("/api/v1/namespaces", """{"metadata":{"name":"a.b"}}""");
        Assert.Equal((HttpStatusCode)422, bc);
        Assert.Contains("a lowercase RFC 1123 label must consist of", (string)bad!["message"]!);
    }

    [Fact]
    public async Task Node_delete_answers_a_success_status()
    {
        var (c, _, _) = await Lab.PostAsync("/api/v1/nodes", """{"metadata":{"name":"crud-node"},"status":{"capacity":{"cpu":"2"}}}""");
        Assert.Equal(HttpStatusCode.Created, c);
        var (_, node, _) = await Lab.GetAsync("/api/v1/nodes/crud-node");
        Assert.Equal("2", (string)node!["status"]!["allocatable"]!["cpu"]!);
        var (dc, status, _) = await Lab.DeleteAsync("/api/v1/nodes/crud-node");
        Assert.Equal(HttpStatusCode.OK, dc);
        Assert.Equal("Status", (string)status!["kind"]!);
        Assert.Equal("Success", (string)status["status"]!);
        Assert.Equal("crud-node", (string)status["details"]!["name"]!);
    }

    [Fact]
    public async Task Finalizers_hold_deletion_until_removed()
    {
        var body = """{"metadata":{"name":"crud-fin","finalizers":["example.com/hold"]},"spec":{"containers":[{"name":"c","image":"busybox"}]}}""";
        await Lab.PostAsync(Pods, body);
        var (dc, marked, _) = await Lab.DeleteAsync(Pods + "/crud-fin");
        Assert.Equal(HttpStatusCode.OK, dc);
        Assert.NotNull(marked!["metadata"]!["deletionTimestamp"]);
        Assert.Equal(HttpStatusCode.OK, (await Lab.GetAsync(Pods + "/crud-fin")).Code);
        var (pc, _, _) = await Lab.PatchAsync(Pods + "/crud-fin", """[{"op":"remove","path":"/metadata/finalizers"}]""", "application/json-patch+json");
        Assert.Equal(HttpStatusCode.OK, pc);
        Assert.Equal(HttpStatusCode.NotFound, (await Lab.GetAsync(Pods + "/crud-fin")).Code);
    }
}
