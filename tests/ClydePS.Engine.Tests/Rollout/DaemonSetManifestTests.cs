using ClydePS.Engine.Rollout;
using ClydePS.Engine.Tests.Kube;
using k8s;
using k8s.Models;

namespace ClydePS.Engine.Tests.Rollout;

public class DaemonSetManifestTests
{
    static DaemonSetRequest Request => new()
    {
        Name = "app",
        Namespace = "work",
        Image = "example.com/llm/server:v1",
        NodeSelector = new Dictionary<string, string> { ["pool"] = "gpu" },
        Tolerations = [TolerationSpec.Parse("dedicated=gpu:NoSchedule"), TolerationSpec.Parse("maintenance")],
        ImagePullSecrets = ["regcred"],
        MaxUnavailable = "25%",
    };

    [Fact]
    public void BuildsAMinimalLabelledDaemonSet()
    {
        var ds = DaemonSetManifest.Build(Request);
        Assert.Equal("apps/v1", ds.ApiVersion);
        Assert.Equal("DaemonSet", ds.Kind);
        Assert.Equal("app", ds.Metadata.Name);
        Assert.Equal("work", ds.Metadata.NamespaceProperty);
        Assert.Equal(new Dictionary<string, string> { ["app"] = "app" }, ds.Spec.Selector.MatchLabels);
        foreach (var labels in new[] { ds.Metadata.Labels, ds.Spec.Template.Metadata.Labels })
        {
            Assert.Equal("app", labels["app"]);
            Assert.Equal("ClydePS", labels["app.kubernetes.io/managed-by"]);
            Assert.Equal("app", labels["clydeps.io/daemonset"]);
            Assert.DoesNotContain(labels.Keys, k => k == "clydeps.io/run");
        }

        var c = Assert.Single(ds.Spec.Template.Spec.Containers);
        Assert.Equal("app", c.Name);
        Assert.Equal("example.com/llm/server:v1", c.Image);
        Assert.Equal("gpu", ds.Spec.Template.Spec.NodeSelector["pool"]);
        Assert.Equal(2, ds.Spec.Template.Spec.Tolerations.Count);
        Assert.Equal("Exists", ds.Spec.Template.Spec.Tolerations[1].OperatorProperty);
        Assert.Equal("regcred", Assert.Single(ds.Spec.Template.Spec.ImagePullSecrets).Name);
        Assert.Equal("RollingUpdate", ds.Spec.UpdateStrategy.Type);
        Assert.Equal("25%", ds.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable.Value);

        // The same request builds the same object (nothing per run), so re-running changes nothing.
        Assert.Equal(KubernetesJson.Serialize(ds), KubernetesJson.Serialize(DaemonSetManifest.Build(Request)));
        Assert.Equal(DaemonSetApplier.OwnedHash(ds), DaemonSetApplier.OwnedHash(DaemonSetManifest.Build(Request)));
    }

    [Theory]
    [InlineData("Bad_Name", null, null, "ClydeInvalidName")]
    [InlineData("app", "not a ref!!", null, "ClydeInvalidImageReference")]
    [InlineData("app", null, "-1", "ClydeInvalidMaxUnavailable")]
    [InlineData("app", null, "101%", "ClydeInvalidMaxUnavailable")]
    [InlineData("app", null, "0", "ClydeInvalidMaxUnavailable")]
    [InlineData("app", null, "lots", "ClydeInvalidMaxUnavailable")]
    public void RejectsBadInput(string name, string? image, string? maxUnavailable, string errorId)
    {
        var e = Assert.Throws<ClydeException>(() => DaemonSetManifest.Build(Request with { Name = name, Image = image ?? "busybox:1.36", MaxUnavailable = maxUnavailable }));
        Assert.Equal(errorId, e.ErrorId);
        Assert.Equal(ClydeErrorKind.InvalidArgument, e.Kind);
    }

    [Theory]
    [InlineData("key=value:NoSchedule", "key", "Equal", "value", "NoSchedule")]
    [InlineData("key=value", "key", "Equal", "value", null)]
    [InlineData("key:noexecute", "key", "Exists", null, "NoExecute")]
    [InlineData("example.com/key", "example.com/key", "Exists", null, null)]
    [InlineData("*", null, "Exists", null, null)]
    [InlineData("*:NoSchedule", null, "Exists", null, "NoSchedule")]
    public void ParsesTolerations(string text, string? key, string op, string? value, string? effect) =>
        Assert.Equal(new TolerationSpec(key, op, value, effect), TolerationSpec.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("key=value:Sometimes")]
    [InlineData("bad key")]
    public void RejectsBadTolerations(string text) =>
        Assert.Equal(RolloutErrorIds.InvalidToleration, Assert.Throws<ClydeException>(() => TolerationSpec.Parse(text)).ErrorId);

    [Fact]
    public void TolerationMatchingFollowsTheScheduler()
    {
        Assert.True(TolerationSpec.Parse("a=b:NoSchedule").Tolerates("a", "b", "NoSchedule"));
        Assert.False(TolerationSpec.Parse("a=b:NoSchedule").Tolerates("a", "c", "NoSchedule"));
        Assert.False(TolerationSpec.Parse("a=b:NoSchedule").Tolerates("a", "b", "NoExecute"));
        Assert.True(TolerationSpec.Parse("a").Tolerates("a", "anything", "NoExecute"));
        Assert.True(TolerationSpec.Parse("*").Tolerates("x", null, "NoSchedule"));
    }

    [Fact]
    public void LoadsOneDaemonSetAndAppliesOverrides()
    {
        using var dir = new TempDir();
        var path = dir.Write("ds.yaml", """
            apiVersion: apps/v1
            kind: DaemonSet
            metadata:
              name: agent
              namespace: tools
              labels: {team: infra}
            spec:
              selector: {matchLabels: {name: agent}}
              template:
                metadata: {labels: {name: agent}}
                spec:
                  tolerations: [{key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}]
                  affinity:
                    nodeAffinity:
                      requiredDuringSchedulingIgnoredDuringExecution:
                        nodeSelectorTerms:
                        - matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [amd64]}]
                  containers:
                  - {name: sidecar, image: "busybox:1.36"}
                  - {name: main, image: "example.com/agent:1"}
            """);
        var ds = DaemonSetManifest.Load(path);
        Assert.Equal("agent", ds.Metadata.Name);
        Assert.Equal("infra", ds.Metadata.Labels["team"]);
        Assert.Equal("ClydePS", ds.Metadata.Labels["app.kubernetes.io/managed-by"]);
        Assert.Equal("agent", ds.Metadata.Labels["clydeps.io/daemonset"]);
        Assert.Equal(new Dictionary<string, string> { ["name"] = "agent" }, ds.Spec.Selector.MatchLabels);

        DaemonSetManifest.ApplyOverrides(ds, new DaemonSetOverrides
        {
            Namespace = "prod",
            Image = "example.com/agent:2",
            Container = "main",
            NodeSelector = new Dictionary<string, string> { ["pool"] = "a" },
            Tolerations = [TolerationSpec.Parse("dedicated=gpu:NoSchedule"), TolerationSpec.Parse("spot:NoExecute")],
            ImagePullSecrets = ["regcred"],
            MaxUnavailable = "2",
        });
        Assert.Equal("prod", ds.Metadata.NamespaceProperty);
        Assert.Equal("busybox:1.36", ds.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal("example.com/agent:2", ds.Spec.Template.Spec.Containers[1].Image);
        Assert.Equal(2, ds.Spec.Template.Spec.Tolerations.Count); // the duplicate is skipped
        Assert.Equal("2", ds.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable.Value);

        var placement = DaemonSetManifest.Placement(ds);
        Assert.Equal("prod", placement.Namespace);
        Assert.Equal("busybox:1.36", placement.Image);
        Assert.Equal("a", placement.NodeSelector["pool"]);
        Assert.Equal(["regcred"], placement.ImagePullSecrets);
        var term = Assert.Single(placement.RequiredNodeAffinity);
        Assert.Equal(("kubernetes.io/arch", "In", false), (term.Single().Key, term.Single().Operator, term.Single().Field));
        Assert.Equal(["amd64"], term.Single().Values);
        var amd = new Dictionary<string, string> { ["pool"] = "a", ["kubernetes.io/arch"] = "amd64" };
        Assert.True(placement.CanRunOn("n1", amd, ["dedicated=gpu:NoSchedule", "node.kubernetes.io/unschedulable:NoSchedule"]));
        Assert.False(placement.CanRunOn("n1", amd, ["other:NoSchedule"]));
        Assert.True(placement.CanRunOn("n1", amd, ["other:PreferNoSchedule"]));
        Assert.False(placement.CanRunOn("n1", new Dictionary<string, string> { ["pool"] = "a", ["kubernetes.io/arch"] = "arm64" }, []));
        Assert.False(placement.CanRunOn("n1", new Dictionary<string, string> { ["kubernetes.io/arch"] = "amd64" }, []));

        // Image override of the first container by default; an unknown container is a clear error.
        DaemonSetManifest.ApplyOverrides(ds, new DaemonSetOverrides { Image = "busybox:1.37" });
        Assert.Equal("busybox:1.37", ds.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal(RolloutErrorIds.ContainerNotFound,
            Assert.Throws<ClydeException>(() => DaemonSetManifest.ApplyOverrides(ds, new DaemonSetOverrides { Image = "x:1", Container = "nope" })).ErrorId);
    }

    [Fact]
    public void LoadsJsonToo()
    {
        using var dir = new TempDir();
        var ds = DaemonSetManifest.Build(Request);
        var path = dir.Write("ds.json", KubernetesJson.Serialize(ds));
        var loaded = DaemonSetManifest.Load(path);
        Assert.Equal("example.com/llm/server:v1", DaemonSetManifest.ImageOf(loaded));
    }

    [Theory]
    [InlineData("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "v1/ConfigMap")]
    [InlineData("", "no object")]
    [InlineData("{{{ not yaml", "not a Kubernetes manifest")]
    [InlineData("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: a}\nspec:\n  selector: {matchLabels: {a: a}}\n  template: {metadata: {labels: {a: a}}, spec: {containers: [{name: a, image: 'busybox:1'}]}}\n---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: b}\n", "exactly one")]
    [InlineData("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: a}\nspec:\n  selector: {matchLabels: {a: a}}\n  template: {metadata: {labels: {a: a}}, spec: {containers: []}}\n", "no containers")]
    public void RejectsFilesThatAreNotOneDaemonSet(string content, string expected)
    {
        using var dir = new TempDir();
        var e = Assert.Throws<ClydeException>(() => DaemonSetManifest.Load(dir.Write("x.yaml", content)));
        Assert.Equal(RolloutErrorIds.ManifestInvalid, e.ErrorId);
        Assert.Equal(ClydeErrorKind.InvalidArgument, e.Kind);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void MissingFileIsItsOwnError() =>
        Assert.Equal(RolloutErrorIds.ManifestNotFound, Assert.Throws<ClydeException>(() => DaemonSetManifest.Load("/nonexistent/ds.yaml")).ErrorId);
}
