using System.Text.Json;
using ClydePS.Engine.Snapshot;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace ClydePS.Engine.Tests.Snapshot;

/// <summary>A host root folder laid out like a node: os-release, /proc files, containerd mirrors, no nvidia-smi, one broken file.</summary>
public sealed class HostRootFixture : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("clyde-hostroot-").FullName;

    public HostRootFixture()
    {
        Write("etc/os-release", "NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nPRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\n# comment\nID=ubuntu\n");
        Write("etc/hostname", "worker-7\n");
        Write("proc/sys/kernel/osrelease", "5.15.0-105-generic\n");
        Write("proc/sys/kernel/version", "#115-Ubuntu SMP\n");
        Write("proc/cmdline", "BOOT_IMAGE=/vmlinuz ro quiet console=tty0 console=ttyS0 nosmt\n");
        Write("proc/sys/vm/max_map_count", "262144\n");
        Write("proc/sys/net/ipv4/ip_local_port_range", "32768\t60999\n");
        Write("proc/cpuinfo", "processor\t: 0\nmodel name\t: Test CPU @ 2.0GHz\n\nprocessor\t: 1\nmodel name\t: Test CPU @ 2.0GHz\n");
        // Broken: /proc/meminfo is a folder, so reading it fails.
        Directory.CreateDirectory(Path.Combine(Root, "proc/meminfo"));
        Write("etc/containerd/certs.d/docker.io/hosts.toml",
            "server = \"https://registry-1.docker.io\"\n\n[host.\"http://127.0.0.1:5001\"]\n  capabilities = [\"pull\", \"resolve\"]\n");
        Write("etc/containerd/config.toml",
            "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"/etc/containerd/certs.d\"\n" +
            "[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"quay.io\"]\n  endpoint = [\"https://quay-mirror.local\"]\n");
        Write("usr/bin/containerd", "#!/bin/sh\n");
    }

    public void Write(string relative, string text)
    {
        var p = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        File.WriteAllText(p, text);
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

public class SnapshotCollectorTests : IClassFixture<HostRootFixture>
{
    private readonly HostRootFixture host;
    private readonly List<string> ran = [];

    public SnapshotCollectorTests(HostRootFixture host) => this.host = host;

    private ClydeSnapshot Take(Func<string, string?>? env = null) => SnapshotCollector.Collect(new SnapshotOptions
    {
        HostRoot = host.Root,
        ModuleVersion = "9.8.7",
        GetEnvironment = env ?? (_ => null),
        RunProgram = (path, args) =>
        {
            ran.Add(Path.GetFileName(path));
            return Path.GetFileName(path) == "containerd" ? "containerd github.com/containerd/containerd v1.7.13 7c3aca7\n" : null;
        },
    });

    [Fact]
    public void Reads_the_prepared_host_root()
    {
        var s = Take();
        Assert.Equal("clydeps.io/v1alpha1", s.ApiVersion);
        Assert.Equal("Snapshot", s.Kind);
        Assert.Equal("9.8.7", s.ModuleVersion);
        Assert.Equal("worker-7", s.SourceNode);
        Assert.Equal("Ubuntu 22.04.4 LTS", s.OperatingSystem);
        Assert.Equal("5.15.0-105-generic", s.KernelVersion);
        Assert.Equal(2, s.CpuCount);
        Assert.Equal("Test CPU @ 2.0GHz", s.Measurement("Hardware")!["cpu"]!.Data["model"]);

        var os = s.Measurement("OS")!;
        Assert.Equal("ubuntu", os["release"]!.Data["ID"]);
        Assert.Equal("tty0 ttyS0", os["cmdline"]!.Data["console"]);
        Assert.Equal("", os["cmdline"]!.Data["nosmt"]);
        Assert.Equal("262144", os["sysctl"]!.Data["vm.max_map_count"]);
        Assert.Equal("32768 60999", os["sysctl"]!.Data["net.ipv4.ip_local_port_range"]);
        Assert.Empty(os.Errors);
    }

    [Fact]
    public void Reports_containerd_version_and_mirrors()
    {
        var s = Take();
        Assert.Equal("1.7.13", s.ContainerdVersion);
        Assert.Equal("containerd://1.7.13", s.Measurement("Kubernetes")!["node"]!.Data["containerRuntimeVersion"]);
        var docker = s.Measurement("ContainerRuntime")!["mirror:docker.io"]!;
        Assert.Equal("https://registry-1.docker.io", docker.Data["server"]);
        Assert.Equal("http://127.0.0.1:5001", docker.Data["mirror.1"]);
        Assert.Equal("pull,resolve", docker.Data["capabilities.1"]);
        Assert.Equal("/etc/containerd/certs.d", s.Measurement("ContainerRuntime")!["config"]!.Data["registryConfigPath"]);
        Assert.Equal(["quay.io=https://quay-mirror.local", "docker.io=http://127.0.0.1:5001"], s.RegistryMirrors);
    }

    [Fact]
    public void A_broken_file_is_recorded_not_thrown()
    {
        var s = Take();
        var hw = s.Measurement("Hardware")!;
        var error = Assert.Single(hw.Errors);
        Assert.StartsWith("meminfo:", error);
        Assert.Null(s.MemoryBytes);
        Assert.Equal(2, s.CpuCount);   // the rest of the collector still ran
        Assert.Contains(s.Errors, e => e.StartsWith("Hardware: meminfo:", StringComparison.Ordinal));
    }

    [Fact]
    public void No_nvidia_smi_means_zero_gpus_and_nothing_run()
    {
        var s = Take();
        Assert.Equal(0, s.GpuCount);
        Assert.Equal("absent", s.Measurement("GPU")!["summary"]!.Data["nvidia-smi"]);
        Assert.DoesNotContain("nvidia-smi", ran);
    }

    [Fact]
    public void Nvidia_smi_rows_become_gpus()
    {
        host.Write("usr/local/bin/nvidia-smi", "#!/bin/sh\n");
        try
        {
            var s = SnapshotCollector.Collect(new SnapshotOptions
            {
                HostRoot = host.Root,
                GetEnvironment = _ => null,
                RunProgram = (p, _) => Path.GetFileName(p) == "nvidia-smi"
                    ? "0, NVIDIA A100-SXM4-40GB, 535.104.05, 40960, GPU-aaa\n1, NVIDIA A100-SXM4-40GB, 535.104.05, 40960, GPU-bbb\n"
                    : null,
            });
            Assert.Equal(2, s.GpuCount);
            Assert.Equal("GPU-bbb", s.Measurement("GPU")!["gpu:1"]!.Data["uuid"]);
        }
        finally
        {
            File.Delete(Path.Combine(host.Root, "usr/local/bin/nvidia-smi"));
        }
    }

    [Fact]
    public void Node_name_comes_from_NODE_NAME_first()
    {
        var s = Take(name => name == "NODE_NAME" ? "gpu-node-1" : null);
        Assert.Equal("gpu-node-1", s.SourceNode);
    }

    [Fact]
    public void Missing_host_root_is_NotFound()
    {
        var e = Assert.Throws<ClydeException>(() => SnapshotCollector.Collect(new SnapshotOptions { HostRoot = Path.Combine(host.Root, "nope") }));
        Assert.Equal("ClydeSnapshotHostRootNotFound", e.ErrorId);
    }

    [Fact]
    public void Yaml_and_json_documents_carry_the_same_content()
    {
        var s = Take();
        var json = JsonDocument.Parse(SnapshotDocument.ToJson(s)).RootElement;
        Assert.Equal("clydeps.io/v1alpha1", json.GetProperty("apiVersion").GetString());
        Assert.Equal("Snapshot", json.GetProperty("kind").GetString());
        Assert.Equal("worker-7", json.GetProperty("metadata").GetProperty("source-node").GetString());
        Assert.Equal("9.8.7", json.GetProperty("metadata").GetProperty("version").GetString());
        var types = json.GetProperty("measurements").EnumerateArray().Select(m => m.GetProperty("type").GetString()!).ToArray();
        Assert.Equal(["OS", "Hardware", "ContainerRuntime", "Kubernetes", "GPU"], types);
        var hw = json.GetProperty("measurements")[1];
        Assert.StartsWith("meminfo:", hw.GetProperty("errors")[0].GetString());

        var yaml = new YamlStream();
        yaml.Load(new StringReader(SnapshotDocument.ToYaml(s)));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        Assert.Equal("Snapshot", root["kind"].ToString());
        Assert.Equal("worker-7", ((YamlMappingNode)root["metadata"])["source-node"].ToString());
        var measurements = (YamlSequenceNode)root["measurements"];
        Assert.Equal(types, measurements.Select(m => ((YamlMappingNode)m)["type"].ToString()).ToArray());
    }

    [Theory]
    [InlineData("a.json", "json")]
    [InlineData("a.YAML", "yaml")]
    [InlineData("a.yml", "yaml")]
    [InlineData("a.txt", null)]
    public void Format_follows_the_extension(string path, string? format) =>
        Assert.Equal(format ?? "(none)", SnapshotDocument.FormatFromExtension(path) ?? "(none)");

    [Theory]
    [InlineData(null, "Pipeline")]
    [InlineData("-", "Pipeline")]
    [InlineData("./out.yaml", "File")]
    [InlineData("cm://clyde/node-snap.v1", "ConfigMap")]
    public void Output_targets_parse(string? output, string kind) => Assert.Equal(kind, SnapshotTarget.Parse(output).Kind);

    [Theory]
    [InlineData("cm://")]
    [InlineData("cm://ns")]
    [InlineData("cm://ns/")]
    [InlineData("cm:///name")]
    [InlineData("cm://ns/name/extra")]
    [InlineData("cm://Bad_NS/name")]
    [InlineData("cm://ns/Name")]
    public void Malformed_configmap_uris_are_InvalidArgument(string output)
    {
        var e = Assert.Throws<ClydeException>(() => SnapshotTarget.Parse(output));
        Assert.Equal(ClydeErrorKind.InvalidArgument, e.Kind);
        Assert.Equal(SnapshotTarget.BadUriErrorId, e.ErrorId);
    }
}
