using System.Net;
using System.Text.Json.Nodes;

namespace ClydePS.Lab.Tests;

public sealed class CrdTests(SharedLab shared) : IClassFixture<SharedLab>
{
    TestLab Lab => shared.Lab;
    const string Crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

    public const string WidgetCrd = """
    {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},
     "spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"widgets","kind":"Widget","shortNames":["wd"]},
      "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
        "additionalPrinterColumns":[{"name":"Size","type":"integer","jsonPath":".spec.size"},{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}],
        "schema":{"openAPIV3Schema":{"type":"object","required":["spec"],"properties":{
          "spec":{"type":"object","required":["size"],"properties":{
            "size":{"type":"integer","minimum":1,"maximum":10},
            "mode":{"type":"string","enum":["fast","slow"],"default":"fast"},
            "name":{"type":"string","pattern":"^[a-z]+$","minLength":2,"maxLength":8},
            "tags":{"type":"array","items":{"type":"string"}},
            "config":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}},
          "status":{"type":"object","properties":{"ready":{"type":"boolean"}}}}}}}]}}
    """;

    static string Widget(string name, string spec) =>
        "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":" + spec + "}";

    async Task EnsureCrd()
    {
        var (code, _, _) = await Lab.PostAsync(Crds, WidgetCrd);
        Assert.True(code is HttpStatusCode.Created or HttpStatusCode.Conflict);
        await Wait.Until(async () => (await Lab.GetAsync(Crds + "/widgets.example.com")).Body!["status"]?["conditions"] is JsonArray c &&
            c.Any(x => (string)x!["type"]! == "Established" && (string)x["status"]! == "True"), "established");
    }

    [Fact]
    public async Task Crd_is_established_and_served_with_discovery()
    {
        await EnsureCrd();
        var (_, crd, _) = await Lab.GetAsync(Crds + "/widgets.example.com");
        Assert.Equal("Widget", (string)crd!["status"]!["acceptedNames"]!["kind"]!);
        Assert.Equal("widgets", (string)crd["status"]!["acceptedNames"]!["plural"]!);
        Assert.Equal("v1", (string)crd["status"]!["storedVersions"]![0]!);
        Assert.Contains(crd["status"]!["conditions"]!.AsArray(), c => (string)c!["type"]! == "NamesAccepted" && (string)c["status"]! == "True" && (string)c["reason"]! == "NoConflicts");
        Assert.Equal("customresourcecleanup.apiextensions.k8s.io", (string)crd["metadata"]!["finalizers"]![0]!);
        var (_, groups, _) = await Lab.GetAsync("/apis");
        Assert.Contains(groups!["groups"]!.AsArray(), g => (string)g!["name"]! == "example.com");
        var (_, list, _) = await Lab.GetAsync("/apis/example.com/v1");
        var widgets = list!["resources"]!.AsArray().Single(r => (string)r!["name"]! == "widgets")!;
        Assert.Equal("wd", (string)widgets["shortNames"]![0]!);
        Assert.True((bool)widgets["namespaced"]!);
        Assert.Contains(list["resources"]!.AsArray(), r => (string)r!["name"]! == "widgets/status");
        var (_, crdTable, _) = await Lab.GetAsync(Crds, "application/json;as=Table;v=v1;g=meta.k8s.io");
        Assert.Equal(["Name", "Created At"], crdTable!["columnDefinitions"]!.AsArray().Select(c => (string)c!["name"]!));
    }

    [Fact]
    public async Task Custom_resources_are_pruned_defaulted_and_validated()
    {
        await EnsureCrd();
        const string path = "/apis/example.com/v1/namespaces/default/widgets";
        var (code, created, resp) = await Lab.PostAsync(path, Widget("w1", """{"size":3,"extra":"x","config":{"free":{"form":1}}}"""));
        Assert.True(code == HttpStatusCode.Created, created?.ToJsonString());
        Assert.Null(created!["spec"]!["extra"]);
        Assert.Equal(1, (int)created["spec"]!["config"]!["free"]!["form"]!);
        Assert.Equal("fast", (string)created["spec"]!["mode"]!);
        Assert.Equal(1, (int)created["metadata"]!["generation"]!);
        Assert.Contains("299 - \"unknown field \\\"spec.extra\\\"\"", resp.Headers.GetValues("Warning"));

        var (sc, strict, _) = await Lab.SendAsync(HttpMethod.Post, path + "?fieldValidation=Strict", Widget("w2", """{"size":3,"extra":"x"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, sc);
        Assert.Equal("strict decoding error: unknown field \"spec.extra\"", (string)strict!["message"]!);

        var (ic, invalid, _) = await Lab.PostAsync(path, Widget("w3", """{"size":50,"mode":"warp","name":"A1","tags":[1]}"""));
        Assert.Equal((HttpStatusCode)422, ic);
        Assert.Equal("Invalid", (string)invalid!["reason"]!);
        Assert.Equal("Widget", (string)invalid["details"]!["kind"]!);
        Assert.Equal("example.com", (string)invalid["details"]!["group"]!);
        var causes = invalid["details"]!["causes"]!.AsArray().ToDictionary(c => (string)c!["field"]!, c => (string)c!["message"]!);
        Assert.Equal("Invalid value: 50: spec.size in body should be less than or equal to 10", causes["spec.size"]);
        Assert.Equal("Unsupported value: \"warp\": supported values: \"fast\", \"slow\"", causes["spec.mode"]);
        Assert.Equal("Invalid value: \"A1\": spec.name in body should match '^[a-z]+$'", causes["spec.name"]);
        Assert.Equal("Invalid value: \"integer\": spec.tags[0] in body must be of type string: \"integer\"", causes["spec.tags[0]"]);
        Assert.StartsWith("Widget.example.com \"w3\" is invalid: [", (string)invalid["message"]!);

        var (rc, required, _) = await Lab.PostAsync(path, Widget("w4", "{}"));
        Assert.Equal((HttpStatusCode)422, rc);
        Assert.Equal("Widget.example.com \"w4\" is invalid: spec.size: Required value", (string)required!["message"]!);

        // status subresource: the main resource ignores status, /status sets it
        var (_, withStatus, _) = await Lab.PatchAsync(path + "/w1", """{"status":{"ready":true}}""", "application/merge-patch+json");
        Assert.Null(withStatus!["status"]);
        var (stc, status, _) = await Lab.PatchAsync(path + "/w1/status", """{"status":{"ready":true}}""", "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, stc);
        Assert.True((bool)status!["status"]!["ready"]!);
        var (_, bumped, _) = await Lab.PatchAsync(path + "/w1", """{"spec":{"size":4}}""", "application/merge-patch+json");
        Assert.Equal(2, (int)bumped!["metadata"]!["generation"]!);
        Assert.True((bool)bumped["status"]!["ready"]!);

        var (_, table, _) = await Lab.GetAsync(path, "application/json;as=Table;v=v1;g=meta.k8s.io");
        Assert.Equal(["Name", "Size", "Age"], table!["columnDefinitions"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.Equal(4, (int)table["rows"]![0]!["cells"]![1]!);
        var (_, all, _) = await Lab.GetAsync("/apis/example.com/v1/widgets");
        Assert.Equal("WidgetList", (string)all!["kind"]!);
    }

    [Fact]
    public async Task Crd_validation_and_deletion()
    {
        var (bc, bad, _) = await Lab.PostAsync(Crds, """{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"wrong.example.com"},"spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"gadgets","kind":"Gadget"},"versions":[{"name":"v1","served":true,"storage":true}]}}""");
        Assert.Equal((HttpStatusCode)422, bc);
        var fields = bad!["details"]!["causes"]!.AsArray().Select(c => (string)c!["field"]!).ToList();
        Assert.Contains("metadata.name", fields);
        Assert.Contains("spec.versions[0].schema.openAPIV3Schema", fields);

        var gadgets = WidgetCrd.Replace("widgets", "gadgets").Replace("Widget", "Gadget").Replace("\"wd\"", "\"gd\"");
        Assert.Equal(HttpStatusCode.Created, (await Lab.PostAsync(Crds, gadgets)).Code);
        await Wait.Until(async () => (await Lab.GetAsync("/apis/example.com/v1/namespaces/default/gadgets")).Code == HttpStatusCode.OK, "served");
        Assert.Equal(HttpStatusCode.Created, (await Lab.PostAsync("/apis/example.com/v1/namespaces/default/gadgets",
            """{"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g1"},"spec":{"size":1}}""")).Code);
        Assert.Equal(HttpStatusCode.OK, (await Lab.DeleteAsync(Crds + "/gadgets.example.com")).Code);
        await Wait.Until(async () => (await Lab.GetAsync(Crds + "/gadgets.example.com")).Code == HttpStatusCode.NotFound, "crd gone");
        Assert.Equal(HttpStatusCode.NotFound, (await Lab.GetAsync("/apis/example.com/v1/namespaces/default/gadgets")).Code);
        var (_, list, _) = await Lab.GetAsync("/apis/example.com/v1");
        Assert.DoesNotContain(list?["resources"]?.AsArray() ?? [], r => (string)r!["name"]! == "gadgets");
    }
}
