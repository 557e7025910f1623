using ClydePS.Engine.Seeding;

namespace ClydePS.Engine.Tests.Seeding;

public sealed class EligibilityTests
{
    internal static NodeFacts Node(
        string name,
        bool ready = true,
        bool unschedulable = false,
        Dictionary<string, string>? labels = null,
        TaintFact[]? taints = null,
        string? arch = "amd64",
        string? os = "linux",
        NetworkClass net = NetworkClass.Private,
        string? zone = null,
        bool holds = false) =>
        new(name, ready, unschedulable, labels ?? new Dictionary<string, string>(), taints ?? [], arch, os, net, zone, holds);

    static WorkloadPlacement Tolerating(params TolerationFact[] t) => new(new Dictionary<string, string>(), t, []);

    static WorkloadPlacement Affinity(params NodeSelectorRequirementFact[][] terms) =>
        new(new Dictionary<string, string>(), [], terms.Select(t => (IReadOnlyList<NodeSelectorRequirementFact>)t).ToList());

    static NodeSelectorRequirementFact Req(string key, string op, params string[] values) => new(key, op, values);

    static EligibilityResult Eval(IReadOnlyList<NodeFacts> nodes, WorkloadPlacement? placement = null, string[]? platforms = null, string[]? filter = null, string? digest = null) =>
        Eligibility.Evaluate(nodes, placement ?? WorkloadPlacement.Anywhere, platforms ?? [], filter, digest);

    static bool IsEligible(NodeFacts node, WorkloadPlacement? placement = null, string[]? platforms = null) =>
        Eval([node], placement, platforms).Eligible.Count == 1;

    static readonly TaintFact GpuNoSchedule = new("gpu", "true", "NoSchedule");

    [Fact]
    public void UntoleratedNoScheduleAndNoExecuteTaintsBlockPreferNoScheduleDoesNot()
    {
        Assert.False(IsEligible(Node("a", taints: [GpuNoSchedule])));
        Assert.False(IsEligible(Node("a", taints: [new("dedicated", null, "NoExecute")])));
        Assert.True(IsEligible(Node("a", taints: [new("soft", "x", "PreferNoSchedule")])));
        var skipped = Assert.Single(Eval([Node("a", taints: [GpuNoSchedule])]).Skipped);
        Assert.Equal("taint gpu=true:NoSchedule not tolerated", skipped.Reason);
    }

    [Theory]
    [InlineData("gpu", "Equal", "true", "NoSchedule", true)]
    [InlineData("gpu", "", "true", "NoSchedule", true)] // empty operator means Equal
    [InlineData("gpu", "Equal", "false", "NoSchedule", false)]
    [InlineData("gpu", "Exists", null, "NoSchedule", true)]
    [InlineData("gpu", "Exists", null, null, true)] // empty effect matches every effect
    [InlineData("gpu", "Exists", null, "NoExecute", false)] // wrong effect
    [InlineData("other", "Exists", null, null, false)]
    [InlineData(null, "Exists", null, null, true)] // empty key + Exists tolerates everything
    [InlineData(null, "Exists", null, "NoExecute", false)] // ... of that effect only
    [InlineData("gpu", "Equal", "true", null, true)]
    public void TolerationsMatchAsKubernetesMatchesThem(string? key, string op, string? value, string? effect, bool tolerated) =>
        Assert.Equal(tolerated, IsEligible(Node("a", taints: [GpuNoSchedule]), Tolerating(new TolerationFact(key, op, value, effect))));

    [Fact]
    public void EveryBlockingTaintMustBeTolerated()
    {
        var node = Node("a", taints: [GpuNoSchedule, new("zone-outage", null, "NoExecute")]);
        Assert.False(IsEligible(node, Tolerating(new TolerationFact("gpu", "Exists", null, null))));
        Assert.True(IsEligible(node, Tolerating(new TolerationFact("gpu", "Exists", null, null), new TolerationFact("zone-outage", "Exists", null, "NoExecute"))));
    }

    [Fact]
    public void NodeSelectorNeedsEveryLabel()
    {
        var placement = new WorkloadPlacement(new Dictionary<string, string> { ["pool"] = "gpu", ["tier"] = "a" }, [], []);
        Assert.True(IsEligible(Node("a", labels: new() { ["pool"] = "gpu", ["tier"] = "a", ["x"] = "y" }), placement));
        Assert.False(IsEligible(Node("a", labels: new() { ["pool"] = "gpu" }), placement));
        var skipped = Assert.Single(Eval([Node("a", labels: new() { ["pool"] = "cpu", ["tier"] = "a" })], placement).Skipped);
        Assert.Equal("node selector pool=gpu does not match (pool=cpu)", skipped.Reason);
    }

    [Fact]
    public void RequiredAffinityOperators()
    {
        var node = Node("n1", labels: new() { ["pool"] = "gpu", ["cores"] = "64" });
        Assert.True(IsEligible(node, Affinity([Req("pool", "In", "gpu", "tpu")])));
        Assert.False(IsEligible(node, Affinity([Req("pool", "In", "cpu")])));
        Assert.True(IsEligible(node, Affinity([Req("pool", "NotIn", "cpu")])));
        Assert.False(IsEligible(node, Affinity([Req("pool", "NotIn", "gpu")])));
        Assert.True(IsEligible(node, Affinity([Req("missing", "NotIn", "x")]))); // no label: NotIn holds
        Assert.True(IsEligible(node, Affinity([Req("pool", "Exists")])));
        Assert.False(IsEligible(node, Affinity([Req("missing", "Exists")])));
        Assert.True(IsEligible(node, Affinity([Req("missing", "DoesNotExist")])));
        Assert.True(IsEligible(node, Affinity([Req("cores", "Gt", "32")])));
        Assert.False(IsEligible(node, Affinity([Req("cores", "Gt", "64")])));
        Assert.True(IsEligible(node, Affinity([Req("cores", "Lt", "65")])));
        Assert.False(IsEligible(node, Affinity([Req("pool", "Gt", "1")]))); // not a number
        Assert.False(IsEligible(node, Affinity([Req("missing", "Lt", "1")])));
        Assert.True(IsEligible(node, Affinity([Req("metadata.name", "In", "n1")]))); // matchFields
        Assert.False(IsEligible(node, Affinity([Req("metadata.name", "In", "n2")])));
    }

    [Fact]
    public void AffinityTermsAreAnOrOfAnds()
    {
        var node = Node("n1", labels: new() { ["pool"] = "gpu", ["zone"] = "a" });
        Assert.False(IsEligible(node, Affinity([Req("pool", "In", "gpu"), Req("zone", "In", "b")])));
        Assert.True(IsEligible(node, Affinity([Req("pool", "In", "cpu")], [Req("zone", "In", "a")])));
        Assert.False(IsEligible(node, Affinity(Array.Empty<NodeSelectorRequirementFact>()))); // an empty term matches nothing
        Assert.True(IsEligible(node, Affinity())); // no terms: no constraint
    }

    [Fact]
    public void CordonedNotReadyAndFilteredNodesAreSkippedWithReasons()
    {
        var result = Eval([Node("a"), Node("b", ready: false), Node("c", unschedulable: true), Node("d")], filter: ["a", "b", "c"]);
        Assert.Equal(["a"], result.Eligible.Select(n => n.Name));
        Assert.Equal(
            [new SkippedNode("b", "NotReady"), new SkippedNode("c", "cordoned (unschedulable)"), new SkippedNode("d", "not selected by -Node")],
            result.Skipped);
    }

    [Fact]
    public void ArchitectureAndOsMustBeProvidedByTheImage()
    {
        string[] amd64 = ["linux/amd64"];
        Assert.True(IsEligible(Node("a"), platforms: amd64));
        Assert.False(IsEligible(Node("a", arch: "arm64"), platforms: amd64));
        Assert.False(IsEligible(Node("a", os: "windows"), platforms: amd64));
        Assert.True(IsEligible(Node("a", arch: "arm64"), platforms: ["linux/amd64", "linux/arm64/v8"]));
        Assert.True(IsEligible(Node("a", arch: "aarch64"), platforms: ["linux/arm64"])); // normalized
        Assert.True(IsEligible(Node("a", arch: "s390x"), platforms: [])); // empty = any platform
        var skipped = Assert.Single(Eval([Node("a", arch: "arm64")], platforms: amd64).Skipped);
        Assert.Equal("platform linux/arm64 not provided by the image (linux/amd64)", skipped.Reason);
    }

    [Fact]
    public void NodesHoldingTheImageAreEligibleAndListedAsAlreadyHolding()
    {
        var result = Eval([Node("a", holds: true), Node("b")], digest: "sha256:ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12");
        Assert.Equal(["a", "b"], result.Eligible.Select(n => n.Name).Order());
        Assert.Equal([new SkippedNode("a", "already holds sha256:ab12cd34ef56...")], result.Skipped);
        Assert.Equal("already holds the image", Assert.Single(Eval([Node("a", holds: true)]).Skipped).Reason);
    }

    [Fact]
    public void PickOrderRoundRobinsOverZonesAndNetworkClassesDeterministically()
    {
        var nodes = new[]
        {
            Node("a3", zone: "a"), Node("a1", zone: "a"), Node("a2", zone: "a", net: NetworkClass.Public),
            Node("b2", zone: "b"), Node("b1", zone: "b"),
            Node("c1", zone: "c"),
            Node("x1"), // no zone: its own group, last
        };
        var order = Eval(nodes).Eligible.Select(n => n.Name).ToList();
        // zone a interleaves private a1, public a2, private a3
        Assert.Equal(["a1", "b1", "c1", "x1", "a2", "b2", "a3"], order);
        var shuffled = nodes.Reverse().ToArray();
        Assert.Equal(order, Eval(shuffled).Eligible.Select(n => n.Name));
        // the first wave of three spans three zones
        Assert.Equal(3, Eval(nodes).Eligible.Take(3).Select(n => n.Zone).Distinct().Count());
    }

    [Fact]
    public void ClusterClassIsTheClassOfTheEligibleNodes()
    {
        Assert.Equal(ClusterNetworkClass.Public, Eval([Node("a", net: NetworkClass.Public), Node("b", net: NetworkClass.Public)]).ClusterClass);
        Assert.Equal(ClusterNetworkClass.Mixed, Eval([Node("a", net: NetworkClass.Public), Node("b")]).ClusterClass);
        Assert.Equal(ClusterNetworkClass.Private, Eval([Node("a"), Node("b")]).ClusterClass);
        // a NotReady private node cannot flip a public cluster to Mixed
        Assert.Equal(ClusterNetworkClass.Public, Eval([Node("a", net: NetworkClass.Public), Node("b", ready: false)]).ClusterClass);
        Assert.Equal(ClusterNetworkClass.Empty, Eval([Node("a", ready: false)]).ClusterClass);
        Assert.Equal(ClusterNetworkClass.Empty, Eval([]).ClusterClass);
    }
}
