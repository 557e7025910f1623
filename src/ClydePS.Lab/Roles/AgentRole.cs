using System.Diagnostics;
using System.Globalization;
using System.Text;
using ClydePS.Engine.Snapshot;
using ClydePS.Lab.Kubelet;
using ClydePS.Lab.Resources;
using ClydePS.Lab.Resources.Core;
using k8s.Models;

namespace ClydePS.Lab.Roles;

/// <summary>
/// ClydePS's snapshot agent pods (role <c>clydeps.io/role=agent</c> running the exact command of
/// <see cref="SnapshotAgentPod.Command"/>) run for real: the Lab starts the module's <c>agent/entrypoint.ps1</c> as a local pwsh
/// process with the container's args, the pod's environment (values and the fieldRefs spec.nodeName, metadata.name,
/// metadata.namespace, spec.serviceAccountName), its own kubeconfig file pointing at the Lab with a fresh token of the pod's
/// service account (so two agents never share credentials, and RBAC applies to them as to the real pod), and a host root
/// folder laid out like the node's filesystem (os-release, kernel, CPUs and memory from the node's capacity, containerd's
/// <c>certs.d/docker.io/hosts.toml</c> with the Lab's registry mirror, a kubelet config; no <c>nvidia-smi</c>). Paths under
/// the container's hostPath mounts map into that folder; emptyDir mounts map to a folder per pod. The process's output is
/// the container log; its exit code the container's. Killing the container kills the process.
/// Pod faults (Fail, Hang) replace the program as for any container.
/// </summary>
public static class AgentRole
{
    public static ContainerProgram? Recognize(ProgramContext ctx)
    {
        if (ctx.Role != SnapshotAgentPod.Role || ctx.IsInit) return null;
        var command = SnapshotAgentPod.Command;
        if (ctx.Argv.Count < command.Count || !ctx.Argv.Take(command.Count).SequenceEqual(command)) return null;
        if (Pwsh(ctx.Lab) is not { } pwsh) return new StartErrorProgram(KnownPrograms.ExecNotFound("pwsh"));
        return new AgentProgram(pwsh, ctx.Argv.Skip(command.Count).ToList());
    }

    /// <summary>How to start pwsh: (file, leading args); null when the Lab has none.</summary>
    static (string File, string[] Prefix)? Pwsh(LabHost lab)
    {
        var configured = lab.Options.AgentPwsh;
        if (configured is not null)
        {
            if (!File.Exists(configured)) return null;
            return configured.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
                ? (Environment.ProcessPath ?? "dotnet", [configured])
                : (configured, []);
        }

        var exe = OperatingSystem.IsWindows() ? "pwsh.exe" : "pwsh";
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, exe);
            if (File.Exists(candidate)) return (candidate, []);
        }

        return null;
    }

    /// <summary>The module folder whose agent/entrypoint.ps1 runs.</summary>
    public static string ModuleFolder(LabHost lab) =>
        lab.Options.AgentModule ?? Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar, '/'))!;

    static readonly object HostGate = new();

    /// <summary>The node's host root folder (made on first use): a node's filesystem as the agent reads it.</summary>
    public static string HostRoot(LabHost lab, V1Node? node, string nodeName)
    {
        var root = Path.Combine(lab.StateDir, "hosts", nodeName);
        lock (HostGate)
        {
            if (Directory.Exists(root)) return root;
            var cpus = 4L;
            var memory = 16L << 30;
            if (node?.Status?.Capacity is { } cap)
            {
                if (cap.TryGetValue("cpu", out var c)) cpus = Math.Max(1, (long)Math.Ceiling(c.ToDouble()));
                if (cap.TryGetValue("memory", out var m)) memory = Math.Max(1L << 20, m.ToInt64());
            }

            var cpuinfo = new StringBuilder();
            for (var i = 0; i < cpus; i++) cpuinfo.Append(CultureInfo.InvariantCulture, $"processor\t: {i}\nmodel name\t: Clyde Lab virtual CPU\n\n");
            var files = new Dictionary<string, string>
            {
                ["etc/os-release"] = "NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.5 LTS (Jammy Jellyfish)\"\nID=ubuntu\nPRETTY_NAME=\"Ubuntu 22.04.5 LTS\"\n",
                ["etc/hostname"] = nodeName + "\n",
                ["proc/sys/kernel/osrelease"] = "6.8.0-1015-clydelab\n",
                ["proc/sys/kernel/ostype"] = "Linux\n",
                ["proc/sys/kernel/version"] = "#15-Ubuntu SMP Clyde Lab\n",
                ["proc/cmdline"] = "BOOT_IMAGE=/boot/vmlinuz-6.8.0-1015-clydelab root=/dev/sda1 ro console=ttyS0\n",
                ["proc/sys/vm/max_map_count"] = "262144\n",
                ["proc/sys/net/ipv4/ip_forward"] = "1\n",
                ["proc/cpuinfo"] = cpuinfo.ToString(),
                ["proc/meminfo"] = string.Create(CultureInfo.InvariantCulture, $"MemTotal:       {memory / 1024} kB\nMemAvailable:   {memory / 2048} kB\n"),
                ["etc/containerd/config.toml"] = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"/etc/containerd/certs.d\"\n",
                ["etc/containerd/certs.d/docker.io/hosts.toml"] =
                    $"server = \"https://registry-1.docker.io\"\n\n[host.\"{lab.RegistryMirrorUrl}\"]\n  capabilities = [\"pull\", \"resolve\"]\n",
                ["var/lib/kubelet/config.yaml"] = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncontainerRuntimeEndpoint: unix:///run/containerd/containerd.sock\n",
            };
            var staging = root + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
            foreach (var (rel, text) in files)
            {
                var path = Path.Combine(staging, rel);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, text);
            }

            Directory.Move(staging, root);
            return root;
        }
    }

    /// <summary>A kubeconfig for one agent: the Lab's URL (and CA), the service-account token, the pod's namespace.</summary>
    public static string Kubeconfig(LabHost lab, string token, string ns)
    {
        var sb = new StringBuilder();
        sb.Append("apiVersion: v1\nkind: Config\npreferences: {}\nclusters:\n- name: clyde-lab\n  cluster:\n");
        sb.Append(CultureInfo.InvariantCulture, $"    server: {lab.Url}\n");
        if (lab.Certificates is not null)
            sb.Append(CultureInfo.InvariantCulture, $"    certificate-authority-data: {Convert.ToBase64String(Encoding.UTF8.GetBytes(Auth.LabCertificates.CertificatePem(lab.Certificates.Ca)))}\n");
        sb.Append(CultureInfo.InvariantCulture, $"    extensions:\n    - name: {KubeconfigWriter.ExtensionName}\n      extension:\n");
        sb.Append(CultureInfo.InvariantCulture, $"        timeScale: {lab.Options.TimeScale.ToString("R", CultureInfo.InvariantCulture)}\n");
        sb.Append(CultureInfo.InvariantCulture, $"        registryMirror: {lab.RegistryMirrorUrl}\n        version: 1\n");
        sb.Append(CultureInfo.InvariantCulture, $"users:\n- name: agent\n  user:\n    token: {token}\n");
        sb.Append(CultureInfo.InvariantCulture, $"contexts:\n- name: agent\n  context:\n    cluster: clyde-lab\n    user: agent\n    namespace: {ns}\n");
        sb.Append("current-context: agent\n");
        return sb.ToString();
    }
}

/// <summary>One run of the real agent entrypoint as a local pwsh process.</summary>
public sealed class AgentProgram((string File, string[] Prefix) pwsh, IReadOnlyList<string> args) : ContainerProgram
{
    public override async Task<int> RunAsync(ProgramRun run)
    {
        var lab = run.Lab;
        var pod = run.Pod;
        var ns = pod.Metadata.NamespaceProperty;
        var nodeName = pod.Spec.NodeName;
        var node = lab.Store.Get(lab.Registry.Nodes(), "", nodeName)?.Object as V1Node;
        var work = Path.Combine(lab.StateDir, "agents", $"{ns}.{pod.Metadata.Name}.{Guid.NewGuid().ToString("N")[..6]}");
        Directory.CreateDirectory(work);
        try
        {
            var entrypoint = Path.Combine(AgentRole.ModuleFolder(lab), SnapshotAgentPod.EntrypointRelative);
            if (!File.Exists(entrypoint))
            {
                run.Log($"The argument '{SnapshotAgentPod.Entrypoint}' is not recognized as the name of a script file. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.");
                return 64;
            }

            // The pod's service account, and a token of it (as the kubelet mounts one).
            var saName = string.IsNullOrEmpty(pod.Spec.ServiceAccountName) ? "default" : pod.Spec.ServiceAccountName;
            var saDef = lab.Registry.ServiceAccounts();
            var sa = lab.Store.Get(saDef, ns, saName);
            if (sa is null)
            {
                run.Log($"error: the service account {ns}/{saName} does not exist");
                return 1;
            }

            var uid = sa.Object.Metadata.Uid;
            var token = lab.Tokens.IssueServiceAccount(ns, saName, uid, ["https://kubernetes.default.svc.cluster.local"], lab.Clock.UtcNow.AddHours(1),
                () => lab.Store.Get(saDef, ns, saName)?.Object.Metadata.Uid == uid);
            var kubeconfig = Path.Combine(work, "kubeconfig");
            KubeconfigWriter.WritePrivateFile(kubeconfig, AgentRole.Kubeconfig(lab, token, ns));

            var hostRoot = AgentRole.HostRoot(lab, node, nodeName);
            var start = new ProcessStartInfo(pwsh.File)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
                CreateNoWindow = true,
                StandardOutputEncoding = Encoding.UTF8,
                StandardErrorEncoding = Encoding.UTF8,
            };
            foreach (var a in pwsh.Prefix) start.ArgumentList.Add(a);
            foreach (var a in SnapshotAgentPod.Command.Skip(1).Take(SnapshotAgentPod.Command.Count - 2)) start.ArgumentList.Add(a);
            start.ArgumentList.Add(entrypoint);
            foreach (var a in args) start.ArgumentList.Add(MapPath(run, a, hostRoot, work));

            foreach (var name in new[] { "KUBECONFIG", "NODE_NAME", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "PSModulePath" })
                start.Environment.Remove(name);
            foreach (var e in run.Container.Env ?? [])
            {
                var value = e.Value ?? FieldValue(pod, e.ValueFrom?.FieldRef?.FieldPath);
                if (value is not null) start.Environment[e.Name] = MapPath(run, value, hostRoot, work);
            }

            start.Environment["KUBECONFIG"] = kubeconfig;

            using var process = new Process { StartInfo = start, EnableRaisingEvents = true };
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) run.Log(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) run.Log(e.Data); };
            if (!process.Start())
            {
                run.Log("failed to start pwsh");
                return 128;
            }

            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                await process.WaitForExitAsync(run.Stopping);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                throw;
            }

            process.WaitForExit(); // drain the output
            return process.ExitCode;
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    static string? FieldValue(V1Pod pod, string? path) => path switch
    {
        "spec.nodeName" => pod.Spec.NodeName,
        "metadata.name" => pod.Metadata.Name,
        "metadata.namespace" => pod.Metadata.NamespaceProperty,
        "spec.serviceAccountName" => pod.Spec.ServiceAccountName,
        "status.podIP" => pod.Status?.PodIP,
        "status.hostIP" => pod.Status?.HostIP,
        _ => null,
    };

    /// <summary>
    /// A path inside the container as the local process sees it: under a hostPath mount, inside the node's host root folder;
    /// under an emptyDir mount, inside the pod's own folder; anything else unchanged (so a path the container does not have
    /// is missing here too).
    /// </summary>
    static string MapPath(ProgramRun run, string value, string hostRoot, string work)
    {
        if (!value.StartsWith('/')) return value;
        foreach (var mount in (run.Container.VolumeMounts ?? []).OrderByDescending(m => m.MountPath.Length))
        {
            var mp = mount.MountPath.TrimEnd('/');
            if (value != mp && !value.StartsWith(mp + "/", StringComparison.Ordinal)) continue;
            var rest = value[mp.Length..].TrimStart('/');
            var volume = run.Pod.Spec.Volumes?.FirstOrDefault(v => v.Name == mount.Name);
            if (volume?.HostPath is { } hp)
            {
                var inHost = Path.Combine(hostRoot, hp.Path.TrimStart('/'), rest);
                return inHost.TrimEnd('/') is { Length: > 0 } t ? t : inHost;
            }

            if (volume?.EmptyDir is not null)
            {
                var dir = Path.Combine(work, "volumes", mount.Name);
                Directory.CreateDirectory(dir);
                return Path.Combine(dir, rest);
            }
        }

        // Not mounted: the container's own filesystem, which the Lab does not have.
        return Path.Combine(work, "container-fs", value.TrimStart('/'));
    }
}
