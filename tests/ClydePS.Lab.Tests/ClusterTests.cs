using System.Net;
using System.Text.Json.Nodes;
using ClydePS.Lab;
using ClydePS.Lab.Cluster;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Tests;

public sealed class ClusterTests
{
    const string Yaml = """
        seed: 42
        nodeGroups:
        - name: workers
          count: 10
          namePattern: "worker-{0:00}"
          publicRatio: 0.3
          zones: [eu-west-1a, eu-west-1b]
          cpu: "8"
          memory: 32Gi
          notReady: 2
          unschedulable: 1
          controlPlane: 1
          taints:
          - {key: dedicated, value: gpu, effect: NoSchedule}
          images:
          - names: ["docker.io/library/busybox:1.36"]
            sizeBytes: 2200000
        - name: arm
          count: 2
          architecture: arm64
          public: true
          ipv6: true
        nodes:
        - name: edge-1
          externalIPs: [198.51.100.7]
          internalIPs: [192.168.1.10]
          ready: false
          zone: on-prem-a
          labels: {site: lab}
        """;

    const string Json = """
        {
          "seed": 42,
          "nodeGroups": [
            {"name": "workers", "count": 10, "namePattern": "worker-{0:00}", "publicRatio": 0.3, "zones": ["eu-west-1a", "eu-west-1b"],
             "cpu": "8", "memory": "32Gi", "notReady": 2, "unschedulable": 1, "controlPlane": 1,
             "taints": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}],
             "images": [{"names": ["docker.io/library/busybox:1.36"], "sizeBytes": 2200000}]},
            {"name": "arm", "count": 2, "architecture": "arm64", "public": true, "ipv6": true}
          ],
          "nodes": [
            {"name": "edge-1", "externalIPs": ["198.51.100.7"], "internalIPs": ["192.168.1.10"], "ready": false, "zone": "on-prem-a", "labels": {"site": "lab"}}
          ]
        }
        """;

    static readonly DateTime Created = new(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    static string Serialize(List<V1Node> nodes) => string.Join("\n", nodes.Select(n => KubernetesJson.Serialize(n)));

    [Fact]
    public void Yaml_and_json_cluster_files_describe_the_same_cluster()
    {
        var a = NodeFactory.Build(ClusterFile.ParseYaml(Yaml), Created);
        var b = NodeFactory.Build(ClusterFile.ParseJson(Json), Created);
        Assert.Equal(13, a.Count);
        Assert.Equal(Serialize(a), Serialize(b));
    }

    [Fact]
    public void Files_load_by_extension_and_reject_unknown_fields()
    {
        var dir = Directory.CreateTempSubdirectory("clyde-lab-test-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "c.yaml"), Yaml);
            File.WriteAllText(Path.Combine(dir.FullName, "c.json"), Json);
            Assert.Equal(3, ClusterFile.Load(Path.Combine(dir.FullName, "c.yaml")).NodeGroups.Count + ClusterFile.Load(Path.Combine(dir.FullName, "c.yaml")).Nodes.Count);
            Assert.Equal(42, ClusterFile.Load(Path.Combine(dir.FullName, "c.json")).Seed);
        }
        finally { dir.Delete(true); }
        Assert.Throws<LabOptionsException>(() => ClusterFile.ParseYaml("nodeGroups:\n- count: 1\n  bogus: 2\n"));
        Assert.Throws<LabOptionsException>(() => ClusterFile.ParseJson("""{"nodeGroups":[{"count":1,"bogus":2}]}"""));
        Assert.Throws<LabOptionsException>(() => NodeFactory.Build(ClusterFile.ParseYaml("nodeGroups:\n- count: 2\n  notReady: 3\n"), Created));
        Assert.Throws<LabOptionsException>(() => NodeFactory.Build(ClusterFile.ParseYaml("nodeGroups:\n- count: 1\n  cpu: lots\n"), Created));
        Assert.Throws<LabOptionsException>(() => NodeFactory.Build(ClusterFile.ParseYaml("nodeGroups:\n- count: 1\n  publicRatio: 2\n"), Created));
    }

    static bool IsReady(V1Node n) => n.Status.Conditions.Single(c => c.Type == "Ready").Status == "True";
    static string? Address(V1Node n, string type) => n.Status.Addresses.FirstOrDefault(a => a.Type == type)?.Address;

    [Fact]
    public void Shapes_follow_the_spec()
    {
        var nodes = NodeFactory.Build(ClusterFile.ParseYaml(Yaml), Created);
        var workers = nodes.Where(n => n.Metadata.Name.StartsWith("worker-")).ToList();
        Assert.Equal(10, workers.Count);
        Assert.Equal("worker-00", workers[0].Metadata.Name);
        Assert.Equal(3, workers.Count(n => Address(n, "ExternalIP") is not null));
        Assert.All(workers, n => Assert.StartsWith("10.", Address(n, "InternalIP")));
        var notReady = workers.Where(n => !IsReady(n)).ToList();
        Assert.Equal(2, notReady.Count);
        Assert.All(notReady, n =>
        {
            Assert.Equal("NodeStatusUnknown", n.Status.Conditions.Single(c => c.Type == "Ready").Reason);
            Assert.Equal("Unknown", n.Status.Conditions.Single(c => c.Type == "Ready").Status);
            Assert.Contains(n.Spec.Taints, t => t.Key == "node.kubernetes.io/unreachable" && t.Effect == "NoExecute");
            Assert.Contains(n.Spec.Taints, t => t.Key == "node.kubernetes.io/unreachable" && t.Effect == "NoSchedule");
        });
        var cordoned = workers.Where(n => n.Spec.Unschedulable == true).ToList();
        Assert.Single(cordoned);
        Assert.Contains(cordoned[0].Spec.Taints, t => t.Key == "node.kubernetes.io/unschedulable" && t.Effect == "NoSchedule");
        Assert.DoesNotContain(cordoned[0], notReady);
        var cp = workers[0];
        Assert.True(cp.Metadata.Labels.ContainsKey("node-role.kubernetes.io/control-plane"));
        Assert.Contains(cp.Spec.Taints, t => t.Key == "node-role.kubernetes.io/control-plane" && t.Effect == "NoSchedule");
        Assert.True(IsReady(cp));
        Assert.Equal(["eu-west-1a", "eu-west-1b", "eu-west-1a"], workers.Take(3).Select(n => n.Metadata.Labels["topology.kubernetes.io/zone"]));
        Assert.Equal("eu-west-1", workers[0].Metadata.Labels["topology.kubernetes.io/region"]);
        Assert.All(workers, n => Assert.Contains(n.Spec.Taints, t => t.Key == "dedicated" && t.Value == "gpu"));
        Assert.All(workers, n => Assert.Equal("8", n.Status.Capacity["cpu"].ToString()));
        Assert.All(workers, n => Assert.Equal("docker.io/library/busybox:1.36", n.Status.Images.Single().Names[0]));
        var w = workers[1];
        Assert.Equal(w.Metadata.Name, w.Metadata.Labels["kubernetes.io/hostname"]);
        Assert.Equal("linux", w.Metadata.Labels["kubernetes.io/os"]);
        Assert.Equal("amd64", w.Metadata.Labels["kubernetes.io/arch"]);
        Assert.Equal("n2-standard-8", w.Metadata.Labels["node.kubernetes.io/instance-type"]);
        Assert.StartsWith("v1.32.", w.Status.NodeInfo.KubeletVersion);
        Assert.StartsWith("containerd://1.7.", w.Status.NodeInfo.ContainerRuntimeVersion);
        Assert.Equal(["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"], w.Status.Conditions.Select(c => c.Type));

        var arm = nodes.Where(n => n.Metadata.Name.StartsWith("arm-")).ToList();
        Assert.Equal(2, arm.Count);
        Assert.All(arm, n =>
        {
            Assert.Equal("arm64", n.Status.NodeInfo.Architecture);
            Assert.Contains(':', Address(n, "ExternalIP"));
            Assert.Contains(':', Address(n, "InternalIP"));
        });

        var edge = nodes.Single(n => n.Metadata.Name == "edge-1");
        Assert.Equal("198.51.100.7", Address(edge, "ExternalIP"));
        Assert.Equal("192.168.1.10", Address(edge, "InternalIP"));
        Assert.False(IsReady(edge));
        Assert.Equal("lab", edge.Metadata.Labels["site"]);
        Assert.Equal("on-prem-a", edge.Metadata.Labels["topology.kubernetes.io/zone"]);
    }

    [Fact]
    public void A_seed_fixes_the_cluster()
    {
        var a = NodeFactory.Build(ClusterSpec.FromCounts(50, 0.5, 7), Created);
        var b = NodeFactory.Build(ClusterSpec.FromCounts(50, 0.5, 7), Created);
        var c = NodeFactory.Build(ClusterSpec.FromCounts(50, 0.5, 8), Created);
        Assert.Equal(Serialize(a), Serialize(b));
        Assert.NotEqual(Serialize(a), Serialize(c));
        Assert.Equal(25, a.Count(n => Address(n, "ExternalIP") is not null));
        Assert.Equal(50, a.Select(n => Address(n, "InternalIP")).Distinct().Count());
    }

    [Fact]
    public async Task Lab_started_from_a_cluster_file()
    {
        var file = Path.Combine(Path.GetTempPath(), $"clyde-lab-cluster-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, Yaml);
        try
        {
            await using var lab = await TestLab.StartAsync(new LabOptions { ClusterFile = file });
            Assert.Equal(13, lab.Host.NodeCount);
            Assert.Equal(10, lab.Host.ReadyNodeCount);
            var (_, list, _) = await lab.GetAsync("/api/v1/nodes");
            Assert.Equal(13, list!["items"]!.AsArray().Count);
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public async Task Five_thousand_nodes_list_completely()
    {
        await using var lab = await TestLab.StartAsync(new LabOptions { Nodes = 5000, PublicRatio = 0.5 });
        var (code, list, _) = await lab.GetAsync("/api/v1/nodes");
        Assert.Equal(HttpStatusCode.OK, code);
        var items = list!["items"]!.AsArray();
        Assert.Equal(5000, items.Count);
        Assert.Equal(5000, items.Select(i => (string)i!["metadata"]!["name"]!).Distinct().Count());
        Assert.Equal(2500, items.Count(i => i!["status"]!["addresses"]!.AsArray().Any(a => (string)a!["type"]! == "ExternalIP")));
        using var client = lab.Client();
        var all = new List<V1Node>();
        string? cont = null;
        do
        {
            var page = await client.CoreV1.ListNodeAsync(limit: 500, continueParameter: cont);
            all.AddRange(page.Items);
            cont = page.Metadata.ContinueProperty;
        } while (!string.IsNullOrEmpty(cont));
        Assert.Equal(5000, all.Count);
        var (_, table, _) = await lab.GetAsync("/api/v1/nodes", "application/json;as=Table;v=v1;g=meta.k8s.io");
        Assert.Equal(5000, table!["rows"]!.AsArray().Count);
    }
}
