using ClydePS.Engine.Snapshot;
using ClydePS.Lab.Cluster;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Tests;

/// <summary>
/// The Lab's snapshot agent role: the agent's entrypoint runs as a local process (here a stand-in pwsh that prints what it
/// got) with the container's args mapped onto the node's host root folder, the pod's environment, and a kubeconfig of its
/// own service account; without pwsh the container fails to start.
/// </summary>
public class AgentRoleTests
{
    static V1Pod AgentPod(string name, string node)
    {
        var options = new SnapshotAgentOptions { Namespace = "default", Image = "example.com/agent:1", RunId = "r1", ServiceAccountName = "default" };
        var template = SnapshotAgentPod.Job(options).Spec.Template;
        template.Spec.NodeName = node;
        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Labels = template.Metadata.Labels },
            Spec = template.Spec,
        };
    }

    static async Task<V1Pod> WaitDoneAsync(Kubernetes client, string name)
    {
        V1Pod pod = null!;
        await Wait.Until(async () =>
        {
            pod = await client.CoreV1.ReadNamespacedPodAsync(name, "default");
            return pod.Status?.Phase is "Succeeded" or "Failed";
        }, $"pod {name} finishes", 60);
        return pod;
    }

    static LabOptions Options(string pwsh, string module) => new()
    {
        AgentPwsh = pwsh,
        AgentModule = module,
        Cluster = new ClusterSpec { Seed = 3, NodeGroups = [new NodeGroupSpec { Count = 1 }] },
    };

    [Fact]
    public async Task RunsTheEntrypointWithMappedPathsTheNodeEnvironmentAndItsOwnCredentials()
    {
        if (OperatingSystem.IsWindows()) return;
        var dir = Directory.CreateTempSubdirectory("clyde-agent-role-").FullName;
        try
        {
            var module = Path.Combine(dir, "module");
            Directory.CreateDirectory(Path.Combine(module, "agent"));
            File.WriteAllText(Path.Combine(module, "agent", "entrypoint.ps1"), "# stand-in\n");
            var pwsh = Path.Combine(dir, "pwsh");
            File.WriteAllText(pwsh, """
                #!/bin/sh
                for a in "$@"; do echo "arg: $a"; done
                echo "NODE_NAME=$NODE_NAME"
                echo "HOME=$HOME"
                grep -q 'token:' "$KUBECONFIG" && echo "kubeconfig has a token"
                grep 'namespace:' "$KUBECONFIG"
                exit 7
                """.Replace("\r", ""));
            File.SetUnixFileMode(pwsh, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            await using var lab = await TestLab.StartAsync(Options(pwsh, module), simulate: true);
            using var client = lab.Client();
            await Wait.Until(async () => (await client.CoreV1.ListNamespacedServiceAccountAsync("default")).Items.Count > 0, "the default service account", 30);
            await client.CoreV1.CreateNamespacedPodAsync(AgentPod("agent-a", "node-000"), "default");
            var done = await WaitDoneAsync(client, "agent-a");

            Assert.Equal("Failed", done.Status.Phase);
            Assert.Equal(7, Assert.Single(done.Status.ContainerStatuses).State.Terminated.ExitCode);
            using var logStream = await client.CoreV1.ReadNamespacedPodLogAsync("agent-a", "default");
            var log = (await new StreamReader(logStream).ReadToEndAsync()).Split('\n');
            var hostRoot = Path.Combine(lab.Host.StateDir, "hosts", "node-000");
            Assert.Contains($"arg: {Path.Combine(module, "agent", "entrypoint.ps1")}", log);
            Assert.Contains("arg: -NonInteractive", log);
            Assert.Contains($"arg: {hostRoot}", log);
            Assert.Contains("arg: cm://default/clydeps-snapshot-r1", log);
            Assert.Contains("NODE_NAME=node-000", log);
            Assert.Contains(log, l => l.StartsWith("HOME=" + lab.Host.StateDir, StringComparison.Ordinal) && l.EndsWith("/volumes/tmp", StringComparison.Ordinal));
            Assert.Contains("kubeconfig has a token", log);
            Assert.Contains("    namespace: default", log);

            Assert.Contains("PRETTY_NAME=\"Ubuntu 22.04.5 LTS\"", File.ReadAllText(Path.Combine(hostRoot, "etc/os-release")));
            Assert.Equal("node-000\n", File.ReadAllText(Path.Combine(hostRoot, "etc/hostname")));
            Assert.Contains($"[host.\"{lab.Host.Url}\"]", File.ReadAllText(Path.Combine(hostRoot, "etc/containerd/certs.d/docker.io/hosts.toml")));
            Assert.False(File.Exists(Path.Combine(hostRoot, "usr/bin/nvidia-smi")));
            // The per-pod folder (kubeconfig, emptyDirs) is gone once the process ended.
            Assert.False(Directory.Exists(Path.Combine(lab.Host.StateDir, "agents")) && Directory.EnumerateFileSystemEntries(Path.Combine(lab.Host.StateDir, "agents")).Any());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task WithoutPwshTheAgentContainerCannotStart()
    {
        await using var lab = await TestLab.StartAsync(Options("/nonexistent/pwsh", "/nonexistent/module"), simulate: true);
        using var client = lab.Client();
        await client.CoreV1.CreateNamespacedPodAsync(AgentPod("agent-b", "node-000"), "default");
        var done = await WaitDoneAsync(client, "agent-b");
        var term = Assert.Single(done.Status.ContainerStatuses).State.Terminated;
        Assert.Equal("StartError", term.Reason);
        Assert.Contains("exec: \"pwsh\": executable file not found", term.Message);
    }
}
