using System.Text;
using System.Text.Json.Nodes;
using ClydePS.Engine.Flex;

namespace ClydePS.Engine.Tests.Flex;

public class FlexAdmissionTests
{
    sealed class FakeLookup : IFlexLookup
    {
        public Dictionary<string, FlexTemplateSpec> Templates { get; } = new();
        public Dictionary<string, Dictionary<string, string>> Nodes { get; } = new();
        public Dictionary<string, string> DaemonSets { get; } = new();
        public List<string> Calls { get; } = [];
        public Exception? Fail { get; set; }

        public Task<FlexTemplateSpec?> GetTemplateAsync(string name, CancellationToken cancellationToken)
        {
            Calls.Add("template " + name);
            if (Fail is not null) throw Fail;
            return Task.FromResult(Templates.GetValueOrDefault(name));
        }

        public Task<IReadOnlyDictionary<string, string>?> GetNodeAllocatableAsync(string name, CancellationToken cancellationToken)
        {
            Calls.Add("node " + name);
            return Task.FromResult<IReadOnlyDictionary<string, string>?>(Nodes.GetValueOrDefault(name));
        }

        public Task<string?> GetDaemonSetTemplateNameAsync(string ns, string name, CancellationToken cancellationToken)
        {
            Calls.Add($"daemonset {ns}/{name}");
            return Task.FromResult(DaemonSets.GetValueOrDefault($"{ns}/{name}"));
        }
    }

    static FakeLookup Cluster()
    {
        var l = new FakeLookup();
        l.Templates["agents"] = new FlexTemplateSpec(10, 15, 5, MinCpu: "100m", MinMemory: "128Mi");
        l.Nodes["worker-4"] = new() { ["cpu"] = "3920m", ["memory"] = "15499848Ki", ["ephemeral-storage"] = "96636764160", ["pods"] = "110" };
        l.Nodes["worker-64"] = new() { ["cpu"] = "63920m", ["memory"] = "262144000Ki", ["ephemeral-storage"] = "966367641600", ["pods"] = "110" };
        return l;
    }

    static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Flex", "Fixtures", name));

    static JsonObject Response(FlexAdmissionResult r) => (JsonObject)JsonNode.Parse(r.ResponseJson)!["response"]!;

    static JsonArray DecodedPatch(JsonObject response) =>
        (JsonArray)JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String((string)response["patch"]!)))!;

    static JsonNode? Op(JsonArray patch, string path) => patch.FirstOrDefault(o => (string?)o!["path"] == path)?["value"];

    [Fact]
    public async Task A_DaemonSet_pod_with_only_the_node_affinity_is_mutated_for_that_node()
    {
        var lookup = Cluster();
        var r = await FlexAdmission.ReviewAsync(Fixture("daemonset-pod-create.json"), lookup, default);

        Assert.Equal(FlexOutcome.Mutated, r.Outcome);
        Assert.Equal("worker-64", r.Node);
        Assert.Equal("agents", r.Template);
        Assert.Equal("monitoring", r.Namespace);
        Assert.Equal("node-agent-<generated>", r.Pod);
        var response = Response(r);
        Assert.Equal("0df28fbd-5f5f-11e8-bc74-36e6bb280816", (string?)response["uid"]);
        Assert.True((bool)response["allowed"]!);
        Assert.Equal("JSONPatch", (string?)response["patchType"]);
        Assert.Null(response["warnings"]);
        var review = JsonNode.Parse(r.ResponseJson)!;
        Assert.Equal("admission.k8s.io/v1", (string?)review["apiVersion"]);
        Assert.Equal("AdmissionReview", (string?)review["kind"]);

        var patch = DecodedPatch(response);
        var app = Op(patch, "/spec/containers/0/resources")!;
        // 10% of 63920m, 15% of 262144000Ki (38400Mi exactly), 5% of 900Gi; requests = limits.
        Assert.Equal("6392m", (string?)app["requests"]!["cpu"]);
        Assert.Equal("6392m", (string?)app["limits"]!["cpu"]);
        Assert.Equal("38400Mi", (string?)app["requests"]!["memory"]);
        Assert.Equal("45Gi", (string?)app["limits"]!["ephemeral-storage"]);
        Assert.Equal("1", (string?)app["limits"]!["nvidia.com/gpu"]); // what the container declared is kept
        var init = Op(patch, "/spec/initContainers/0/resources")!;
        Assert.Equal("6392m", (string?)init["limits"]!["cpu"]);
        Assert.Equal("template=agents,node=worker-64,cpu=6392m,memory=38400Mi,ephemeral-storage=45Gi",
            (string?)Op(patch, "/metadata/annotations/flexdaemonsets.xai~1applied"));
        Assert.All(patch, o => Assert.Equal("add", (string?)o!["op"]));
    }

    [Fact]
    public async Task A_bound_pod_uses_spec_nodeName_and_its_containers_share_the_pod_amount()
    {
        var r = await FlexAdmission.ReviewAsync(Fixture("bound-pod-create.json"), Cluster(), default);
        Assert.Equal(FlexOutcome.Mutated, r.Outcome);
        Assert.Equal("worker-4", r.Node);
        Assert.Equal("pinned", r.Pod);
        var patch = DecodedPatch(Response(r));
        // The pod gets 392m (10% of 3920m): three containers share it, the first taking the remainder.
        Assert.Equal(["132m", "130m", "130m"], Enumerable.Range(0, 3).Select(i => (string?)Op(patch, $"/spec/containers/{i}/resources")!["requests"]!["cpu"]));
    }

    [Fact]
    public async Task An_unrelated_pod_passes_untouched_without_any_lookup()
    {
        var lookup = Cluster();
        var r = await FlexAdmission.ReviewAsync(Fixture("unrelated-pod-create.json"), lookup, default);
        Assert.Equal(FlexOutcome.NotConcerned, r.Outcome);
        var response = Response(r);
        Assert.True((bool)response["allowed"]!);
        Assert.Null(response["patch"]);
        Assert.Null(response["patchType"]);
        Assert.Equal("3e9a9f0c-7c4b-4f6e-a1d2-0b8c7e6d5f43", (string?)response["uid"]);
        Assert.Empty(lookup.Calls);
    }

    [Fact]
    public async Task A_missing_template_admits_the_pod_unchanged_with_a_warning()
    {
        var lookup = Cluster();
        lookup.Templates.Clear();
        var r = await FlexAdmission.ReviewAsync(Fixture("daemonset-pod-create.json"), lookup, default);
        Assert.Equal(FlexOutcome.TemplateMissing, r.Outcome);
        var response = Response(r);
        Assert.True((bool)response["allowed"]!);
        Assert.Null(response["patch"]);
        var warning = Assert.Single(response["warnings"]!.AsArray());
        Assert.Contains("FlexDaemonsetTemplate \"agents\" not found", (string?)warning);
    }

    [Fact]
    public async Task A_missing_node_admits_the_pod_unchanged_with_a_warning()
    {
        var lookup = Cluster();
        lookup.Nodes.Remove("worker-64");
        var r = await FlexAdmission.ReviewAsync(Fixture("daemonset-pod-create.json"), lookup, default);
        Assert.Equal(FlexOutcome.NodeMissing, r.Outcome);
        Assert.Contains("node \"worker-64\" not found", (string?)Assert.Single(Response(r)["warnings"]!.AsArray()));
        Assert.Null(Response(r)["patch"]);
    }

    [Fact]
    public async Task A_pod_naming_no_node_is_admitted_with_a_warning()
    {
        var body = JsonNode.Parse(Fixture("daemonset-pod-create.json"))!;
        body["request"]!["object"]!["spec"]!.AsObject().Remove("affinity");
        var r = await FlexAdmission.ReviewAsync(Encoding.UTF8.GetBytes(body.ToJsonString()), Cluster(), default);
        Assert.Equal(FlexOutcome.NodeMissing, r.Outcome);
        Assert.Contains("names no node", (string?)Assert.Single(Response(r)["warnings"]!.AsArray()));
    }

    [Fact]
    public async Task A_failing_lookup_admits_the_pod_with_a_warning()
    {
        var lookup = Cluster();
        lookup.Fail = new ClydeException(ClydeErrorKind.Unavailable, "ClydeApiUnreachable", "connection refused");
        var r = await FlexAdmission.ReviewAsync(Fixture("daemonset-pod-create.json"), lookup, default);
        Assert.Equal(FlexOutcome.LookupFailed, r.Outcome);
        Assert.True((bool)Response(r)["allowed"]!);
        Assert.Contains("connection refused", (string?)Assert.Single(Response(r)["warnings"]!.AsArray()));
    }

    [Fact]
    public async Task A_labelled_pod_without_the_annotation_takes_the_template_of_its_DaemonSet()
    {
        var lookup = Cluster();
        lookup.DaemonSets["monitoring/node-agent"] = "agents";
        var body = JsonNode.Parse(Fixture("daemonset-pod-create.json"))!;
        body["request"]!["object"]!["metadata"]!.AsObject().Remove("annotations");
        var r = await FlexAdmission.ReviewAsync(Encoding.UTF8.GetBytes(body.ToJsonString()), lookup, default);
        Assert.Equal(FlexOutcome.Mutated, r.Outcome);
        Assert.Contains("daemonset monitoring/node-agent", lookup.Calls);
        var patch = DecodedPatch(Response(r));
        // No annotations map yet: the patch creates it before adding to it.
        var first = patch.Select(o => (string?)o!["path"]).ToList();
        Assert.True(first.IndexOf("/metadata/annotations") < first.IndexOf("/metadata/annotations/flexdaemonsets.xai~1applied"));
    }

    [Fact]
    public async Task An_update_is_not_concerned()
    {
        var body = JsonNode.Parse(Fixture("daemonset-pod-create.json"))!;
        body["request"]!["operation"] = "UPDATE";
        var lookup = Cluster();
        var r = await FlexAdmission.ReviewAsync(Encoding.UTF8.GetBytes(body.ToJsonString()), lookup, default);
        Assert.Equal(FlexOutcome.NotConcerned, r.Outcome);
        Assert.Empty(lookup.Calls);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"kind\":\"AdmissionReview\"}")]
    [InlineData("{\"request\":{}}")]
    public async Task A_malformed_review_is_rejected(string body) =>
        await Assert.ThrowsAsync<FlexAdmission.BadReviewException>(() => FlexAdmission.ReviewAsync(Encoding.UTF8.GetBytes(body), Cluster(), default));

    [Fact]
    public void Several_different_nodes_in_the_affinity_name_no_single_node()
    {
        var pod = JsonNode.Parse("""
            {"spec":{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[
              {"matchFields":[{"key":"metadata.name","operator":"In","values":["a"]}]},
              {"matchFields":[{"key":"metadata.name","operator":"In","values":["b"]}]}]}}}}}
            """)!.AsObject();
        Assert.Null(FlexAdmission.NodeOf(pod));
    }

    [Fact]
    public void Template_spec_is_read_from_the_custom_resource()
    {
        var spec = FlexTemplateSpec.FromJson(JsonNode.Parse("""{"cpuPercentage":10,"memoryPercentage":15,"storagePercentage":5,"minCPU":"100m","minMemory":"128Mi"}"""), "t");
        Assert.Equal(new FlexTemplateSpec(10, 15, 5, "100m", "128Mi"), spec);
        var e = Assert.Throws<ClydeException>(() => FlexTemplateSpec.FromJson(JsonNode.Parse("""{"cpuPercentage":10}"""), "t"));
        Assert.Equal(FlexErrorIds.InvalidTemplate, e.ErrorId);
    }

    [Fact]
    public void Certificates_cover_the_host_and_are_reused_until_near_expiry()
    {
        var set = FlexCertificateSet.Issue(["127.0.0.1"], TimeSpan.FromDays(365));
        var now = DateTimeOffset.UtcNow;
        Assert.True(FlexCertificateSet.IsReusable(set.CaPem, set.CertificatePem, set.KeyPem, ["127.0.0.1"], TimeSpan.FromDays(30), now, out _));
        Assert.False(FlexCertificateSet.IsReusable(set.CaPem, set.CertificatePem, set.KeyPem, ["webhook.example"], TimeSpan.FromDays(30), now, out _));
        Assert.False(FlexCertificateSet.IsReusable(set.CaPem, set.CertificatePem, set.KeyPem, ["127.0.0.1"], TimeSpan.FromDays(30), now.AddDays(340), out _));
        var other = FlexCertificateSet.Issue(["127.0.0.1"], TimeSpan.FromDays(365));
        Assert.False(FlexCertificateSet.IsReusable(other.CaPem, set.CertificatePem, set.KeyPem, ["127.0.0.1"], TimeSpan.FromDays(30), now, out _));
    }
}
