using System.Text.Json.Nodes;
using ClydePS.Engine.Mesh;
using ClydePS.Engine.Rollout;
using k8s;
using k8s.Models;

namespace ClydePS.Engine.Tests.Mesh;

public class MeshManifestTests
{
    static MeshRequest Request => new() { Name = "chat", Namespace = "apps", Image = "example.com/nexusd:1", ClusterId = "prod" };

    [Fact]
    public void ComputesThePeerListFromTheReplicaCount()
    {
        var m = MeshManifest.Build(Request with { Replicas = 2, MeshPort = 7000, AppPort = 7001 });
        Assert.Equal(["chat-0.chat-headless.apps.svc.cluster.local:7000", "chat-1.chat-headless.apps.svc.cluster.local:7000"], m.Peers);
        Assert.Equal(string.Join(",", m.Peers), m.ConfigMap.Data["PEERS"]);
        Assert.Equal("2", m.ConfigMap.Data["REPLICA_COUNT"]);
        Assert.Equal("prod", m.ConfigMap.Data["CLUSTER_ID"]);
        Assert.Equal("chat", MeshManifest.ConfigData(Request with { ClusterId = null })["CLUSTER_ID"]);
    }

    [Fact]
    public void LabelsEveryObjectAndBuildsAnOrderedStatefulSet()
    {
        var m = MeshManifest.Build(Request);
        foreach (var meta in new[] { m.NamespaceObject.Metadata, m.ConfigMap.Metadata, m.Headless.Metadata, m.StatefulSet.Metadata, m.External!.Metadata, m.StatefulSet.Spec.Template.Metadata })
        {
            Assert.Equal("ClydePS", meta.Labels["app.kubernetes.io/managed-by"]);
            Assert.Equal("chat", meta.Labels["clydeps.io/mesh"]);
        }

        Assert.Equal("None", m.Headless.Spec.ClusterIP);
        Assert.True(m.Headless.Spec.PublishNotReadyAddresses);
        Assert.Equal("LoadBalancer", m.External.Spec.Type);
        var sts = m.StatefulSet.Spec;
        Assert.Equal("OrderedReady", sts.PodManagementPolicy);
        Assert.Equal("chat-headless", sts.ServiceName);
        Assert.Contains("nslookup chat-0.chat-headless.apps.svc.cluster.local", Assert.Single(sts.Template.Spec.InitContainers).Command[2]);
        var c = Assert.Single(sts.Template.Spec.Containers);
        Assert.Equal(["POD_NAME", "PEERS", "REPLICA_COUNT", "CLUSTER_ID", "MESH_PORT", "APP_PORT", "LOG_LEVEL"], c.Env.Select(e => e.Name));
        Assert.Equal(5671, c.LivenessProbe.TcpSocket.Port.Value is string s ? int.Parse(s) : 0);
        Assert.Null(MeshManifest.Build(Request with { PeerWait = "None" }).StatefulSet.Spec.Template.Spec.InitContainers);
        Assert.Null(MeshManifest.Build(Request with { ExternalService = "None" }).External);
    }

    [Fact]
    public void ThePeerConfigurationHashChangesWithThePeerListOnly()
    {
        static string Hash(MeshRequest r) => MeshManifest.Build(r).StatefulSet.Spec.Template.Metadata.Annotations[MeshManifest.PeerConfigHashAnnotation];
        Assert.Equal(Hash(Request), Hash(Request));
        Assert.NotEqual(Hash(Request), Hash(Request with { Replicas = 5 }));
        Assert.NotEqual(Hash(Request), Hash(Request with { MeshPort = 6000 }));
        Assert.Equal(Hash(Request), Hash(Request with { Image = "example.com/nexusd:2" }));
    }

    [Fact]
    public void SettingsRoundTrip()
    {
        var r = Request with
        {
            Replicas = 4, Args = ["--peers", "$(PEERS)"], ExternalService = "NodePort", PeerWait = "None", LogLevel = "DEBUG",
            Requests = new Dictionary<string, string> { ["cpu"] = "1" },
        };
        var back = MeshManifest.FromSettings("chat", "apps", MeshManifest.SettingsJson(r));
        Assert.Equal(MeshManifest.SettingsJson(r), MeshManifest.SettingsJson(back));
        Assert.Equal(4, back.Replicas);
        Assert.Equal(["--peers", "$(PEERS)"], back.Args!);
        Assert.Equal("1", back.Requests!["cpu"]);
        Assert.Equal("512Mi", back.Limits!["memory"]);
    }

    [Theory]
    [InlineData("Bad_Name", 3, 5671, 5672, "ClydeInvalidName")]
    [InlineData("1chat", 3, 5671, 5672, "ClydeInvalidName")]
    [InlineData("chat", 0, 5671, 5672, "ClydeInvalidReplicas")]
    [InlineData("chat", 3, 0, 5672, "ClydeInvalidPort")]
    [InlineData("chat", 3, 5671, 65536, "ClydeInvalidPort")]
    [InlineData("chat", 3, 5000, 5000, "ClydeInvalidPort")]
    public void RejectsBadInput(string name, int replicas, int meshPort, int appPort, string id)
    {
        var e = Assert.Throws<ClydeException>(() => MeshManifest.Build(Request with { Name = name, Replicas = replicas, MeshPort = meshPort, AppPort = appPort }));
        Assert.Equal(id, e.ErrorId);
        Assert.Equal(ClydeErrorKind.InvalidArgument, e.Kind);
        Assert.Equal("ClydeInvalidMeshSetting", Assert.Throws<ClydeException>(() => MeshManifest.Build(Request with { ExternalService = "Ingress" })).ErrorId);
        Assert.Equal("ClydeInvalidMeshSetting", Assert.Throws<ClydeException>(() => MeshManifest.Build(Request with { Limits = new Dictionary<string, string> { ["cpu"] = "lots" } })).ErrorId);
    }

    [Fact]
    public void AManifestCarriesTheHashesAnApplyWouldRecord()
    {
        var m = MeshManifest.Build(Request);
        string yaml = MeshService.ToYaml(m, includeNamespace: true);
        var docs = yaml.Split("---\n");
        Assert.Equal(5, docs.Length);
        var sts = KubernetesYaml.Deserialize<V1StatefulSet>(docs[3]);
        Assert.Equal(OwnedFieldsApplier.OwnedHash(MeshService.StatefulSetKind, m.StatefulSet), sts.Metadata.Annotations[OwnedFieldsApplier.AppliedHashAnnotation]);
        Assert.Equal(4, MeshService.ToYaml(MeshManifest.Build(Request with { ExternalService = "None" }), includeNamespace: true).Split("---\n").Length);
    }

    [Fact]
    public void ServerDefaultsDoNotCountAsChanges()
    {
        var m = MeshManifest.Build(Request);
        var kind = MeshService.ServiceKind;
        var stored = OwnedFieldsApplier.WithHash(kind, m.External!);
        var node = JsonNode.Parse(KubernetesJson.Serialize(stored))!;
        node["spec"]!["clusterIP"] = "10.96.4.2";
        node["spec"]!["ports"]![0]!["nodePort"] = 31234;
        node["spec"]!["sessionAffinity"] = "None";
        var live = KubernetesJson.Deserialize<V1Service>(node.ToJsonString());
        Assert.False(OwnedFieldsApplier.NeedsUpdate(kind, live, m.External!));
        Assert.True(OwnedFieldsApplier.NeedsUpdate(kind, live, MeshManifest.Build(Request with { AppPort = 9000 }).External!));
    }
}
