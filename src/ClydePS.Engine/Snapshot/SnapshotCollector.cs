using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ClydePS.Engine.Snapshot;

/// <summary>What to read and how; the delegates let tests replace the environment and program runs.</summary>
public sealed class SnapshotOptions
{
    /// <summary>The node's filesystem root; default "/".</summary>
    public string HostRoot { get; init; } = "/";

    public string ModuleVersion { get; init; } = "";

    /// <summary>Reads an environment variable (NODE_NAME); default the process environment.</summary>
    public Func<string, string?> GetEnvironment { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Runs a program (full path, arguments) and returns its standard output, or null when it cannot run.</summary>
    public Func<string, string[], string?> RunProgram { get; init; } = ProgramRunner.Run;

    public TimeProvider Clock { get; init; } = TimeProvider.System;
}

/// <summary>Runs small read-only programs (containerd --version, nvidia-smi) with a timeout.</summary>
public static class ProgramRunner
{
    public static string? Run(string path, string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
            }

            using var p = Process.Start(psi);
            if (p == null)
            {
                return null;
            }

            var output = p.StandardOutput.ReadToEndAsync();
            _ = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(10_000))
            {
                try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                throw new TimeoutException($"{path} did not finish within 10 s");
            }

            return p.ExitCode == 0 ? output.Result : throw new InvalidOperationException($"{path} exited with code {p.ExitCode}");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}

/// <summary>
/// Takes a node snapshot by reading files under a host root through .NET file APIs. Every collector catches its own
/// failures and records them in its measurement's Errors, so one unreadable file never fails the snapshot.
/// </summary>
public static class SnapshotCollector
{
    internal static readonly string[] Sysctls =
    [
        "kernel.pid_max", "kernel.threads-max", "fs.file-max", "fs.inotify.max_user_instances", "fs.inotify.max_user_watches",
        "net.core.somaxconn", "net.ipv4.ip_forward", "net.bridge.bridge-nf-call-iptables", "net.ipv4.ip_local_port_range",
        "vm.max_map_count", "vm.swappiness", "vm.overcommit_memory",
    ];

    private static readonly string[] ProgramDirs = ["usr/local/bin", "usr/bin", "bin", "usr/local/sbin", "usr/sbin", "sbin"];

    public static ClydeSnapshot Collect(SnapshotOptions options)
    {
        var root = Path.GetFullPath(string.IsNullOrEmpty(options.HostRoot) ? "/" : options.HostRoot);
        if (!Directory.Exists(root))
        {
            throw new ClydeException(ClydeErrorKind.NotFound, "ClydeSnapshotHostRootNotFound", $"The host root '{root}' does not exist.", root);
        }

        var ctx = new Ctx(root, options);
        // The container runtime goes first: Kubernetes reports its version.
        var os = Os(ctx);
        var hardware = Hardware(ctx);
        var runtime = ContainerRuntime(ctx);
        var kube = Kubernetes(ctx);
        var gpu = Gpu(ctx);
        var node = kube["node"]?.Data.GetValueOrDefault("name") ?? "";
        return new ClydeSnapshot
        {
            Timestamp = options.Clock.GetUtcNow(),
            ModuleVersion = options.ModuleVersion,
            SourceNode = node,
            HostRoot = root,
            Measurements = [os, hardware, runtime, kube, gpu],
        };
    }

    private sealed class Ctx(string root, SnapshotOptions options)
    {
        public string Root { get; } = root;
        public SnapshotOptions Options { get; } = options;
        public bool IsLocal { get; } = root == "/";
        public string? ContainerdVersion { get; set; }

        public string HostPath(string relative) => Path.Combine(Root, relative.TrimStart('/'));

        public string? ReadIfExists(string relative)
        {
            var p = HostPath(relative);
            return File.Exists(p) || Directory.Exists(p) ? File.ReadAllText(p) : null;
        }

        /// <summary>A program under the host root's usual folders, else null.</summary>
        public string? FindProgram(string name) =>
            ProgramDirs.Select(d => HostPath(Path.Combine(d, name))).FirstOrDefault(File.Exists);
    }

    /// <summary>Builds a measurement, running each part separately so a failing part becomes an error entry.</summary>
    private sealed class Builder(string type)
    {
        private readonly List<ClydeSnapshotSubtype> subtypes = [];
        private readonly List<string> errors = [];

        public void Part(string what, Action<Builder> body)
        {
            try
            {
                body(this);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                errors.Add($"{what}: {e.Message}");
            }
        }

        public void Add(string subtype, IDictionary<string, string> data)
        {
            var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var kv in data)
            {
                sorted[kv.Key] = kv.Value;
            }

            subtypes.Add(new ClydeSnapshotSubtype { Subtype = subtype, Data = sorted });
        }

        public void Error(string text) => errors.Add(text);

        public ClydeSnapshotMeasurement Build() => new() { Type = type, Subtypes = subtypes.ToList(), Errors = errors.ToList() };
    }

    private static ClydeSnapshotMeasurement Os(Ctx ctx)
    {
        var b = new Builder("OS");
        b.Part("os-release", m =>
        {
            var text = ctx.ReadIfExists("etc/os-release") ?? ctx.ReadIfExists("usr/lib/os-release");
            if (text == null)
            {
                m.Error("os-release: neither /etc/os-release nor /usr/lib/os-release exists");
                return;
            }

            m.Add("release", ParseOsRelease(text));
        });
        b.Part("kernel", m =>
        {
            var data = new Dictionary<string, string>();
            if (ctx.ReadIfExists("proc/sys/kernel/osrelease") is { } rel)
            {
                data["release"] = rel.Trim();
            }

            if (ctx.ReadIfExists("proc/sys/kernel/version") is { } ver)
            {
                data["version"] = ver.Trim();
            }

            if (ctx.ReadIfExists("proc/sys/kernel/ostype") is { } os)
            {
                data["type"] = os.Trim();
            }

            if (data.Count == 0)
            {
                m.Error("kernel: /proc/sys/kernel/osrelease is not readable");
                return;
            }

            m.Add("kernel", data);
        });
        b.Part("cmdline", m =>
        {
            if (ctx.ReadIfExists("proc/cmdline") is { } cmd)
            {
                m.Add("cmdline", ParseCmdline(cmd));
            }
        });
        b.Part("sysctl", m =>
        {
            var data = new Dictionary<string, string>();
            foreach (var key in Sysctls)
            {
                try
                {
                    if (ctx.ReadIfExists("proc/sys/" + key.Replace('.', '/')) is { } v)
                    {
                        data[key] = Regex.Replace(v.Trim(), @"\s+", " ");
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    m.Error($"sysctl {key}: {e.Message}");
                }
            }

            if (data.Count > 0)
            {
                m.Add("sysctl", data);
            }
        });
        return b.Build();
    }

    private static ClydeSnapshotMeasurement Hardware(Ctx ctx)
    {
        var b = new Builder("Hardware");
        b.Part("cpuinfo", m =>
        {
            var text = ctx.ReadIfExists("proc/cpuinfo");
            if (text == null)
            {
                m.Error("cpuinfo: /proc/cpuinfo does not exist");
                return;
            }

            var lines = text.Split('\n');
            int count = lines.Count(l => Regex.IsMatch(l, @"^processor\s*:"));
            var data = new Dictionary<string, string> { ["count"] = count.ToString(CultureInfo.InvariantCulture) };
            var model = lines.FirstOrDefault(l => Regex.IsMatch(l, @"^(model name|Model|cpu model)\s*:"));
            if (model != null)
            {
                data["model"] = model[(model.IndexOf(':') + 1)..].Trim();
            }

            m.Add("cpu", data);
        });
        b.Part("meminfo", m =>
        {
            var text = ctx.ReadIfExists("proc/meminfo");
            if (text == null)
            {
                m.Error("meminfo: /proc/meminfo does not exist");
                return;
            }

            var data = new Dictionary<string, string>();
            foreach (Match x in Regex.Matches(text, @"^(MemTotal|MemAvailable|SwapTotal):\s*(\d+)\s*kB", RegexOptions.Multiline))
            {
                long bytes = long.Parse(x.Groups[2].Value, CultureInfo.InvariantCulture) * 1024;
                string key = x.Groups[1].Value switch { "MemTotal" => "totalBytes", "MemAvailable" => "availableBytes", _ => "swapBytes" };
                data[key] = bytes.ToString(CultureInfo.InvariantCulture);
            }

            if (!data.ContainsKey("totalBytes"))
            {
                m.Error("meminfo: no MemTotal line");
            }

            m.Add("memory", data);
        });
        return b.Build();
    }

    private static ClydeSnapshotMeasurement ContainerRuntime(Ctx ctx)
    {
        var b = new Builder("ContainerRuntime");
        b.Part("containerd", m =>
        {
            var data = new Dictionary<string, string>();
            var program = ctx.FindProgram("containerd");
            data["installed"] = program != null ? "true" : "false";
            if (program != null)
            {
                // "containerd github.com/containerd/containerd v1.7.2 <commit>"
                var output = ctx.Options.RunProgram(program, ["--version"]);
                var v = output == null ? null : Regex.Match(output, @"\sv?(\d+\.\d+[^\s]*)");
                if (v is { Success: true })
                {
                    data["version"] = v.Groups[1].Value;
                    ctx.ContainerdVersion = v.Groups[1].Value;
                }
            }

            m.Add("containerd", data);
        });
        b.Part("config.toml", m =>
        {
            if (ctx.ReadIfExists("etc/containerd/config.toml") is not { } toml)
            {
                return;
            }

            var data = new Dictionary<string, string>();
            var mirrors = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
            string section = "";
            foreach (var raw in toml.Split('\n'))
            {
                var line = raw.Trim();
                if (line.StartsWith('#') || line.Length == 0)
                {
                    continue;
                }

                if (line.StartsWith('['))
                {
                    section = line.Trim('[', ']', ' ');
                    continue;
                }

                var kv = SplitKeyValue(line);
                if (kv == null)
                {
                    continue;
                }

                var (key, value) = kv.Value;
                if (section == "" && key == "version")
                {
                    data["version"] = Unquote(value);
                }
                else if (key == "config_path" && section.Contains("registry", StringComparison.Ordinal))
                {
                    data["registryConfigPath"] = Unquote(value);
                }
                else if (key == "sandbox_image")
                {
                    data["sandboxImage"] = Unquote(value);
                }
                else if (key == "endpoint" && Regex.Match(section, @"registry\.mirrors\.""?([^""]+)""?$") is { Success: true } reg)
                {
                    mirrors[reg.Groups[1].Value] = Regex.Matches(value, @"""([^""]*)""").Select(x => x.Groups[1].Value).ToList();
                }
            }

            m.Add("config", data);
            foreach (var (registry, endpoints) in mirrors)
            {
                var md = new Dictionary<string, string> { ["source"] = "/etc/containerd/config.toml" };
                for (int i = 0; i < endpoints.Count; i++)
                {
                    md[$"mirror.{i + 1}"] = endpoints[i];
                }

                m.Add("mirror:" + registry, md);
            }
        });
        b.Part("certs.d", m =>
        {
            var dir = ctx.HostPath("etc/containerd/certs.d");
            if (!Directory.Exists(dir))
            {
                return;
            }

            foreach (var hostDir in Directory.GetDirectories(dir).Order(StringComparer.Ordinal))
            {
                var file = Path.Combine(hostDir, "hosts.toml");
                var registry = Path.GetFileName(hostDir);
                if (!File.Exists(file) && !Directory.Exists(file))
                {
                    continue;
                }

                try
                {
                    m.Add("mirror:" + registry, ParseHostsToml(File.ReadAllText(file), $"/etc/containerd/certs.d/{registry}/hosts.toml"));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    m.Error($"certs.d/{registry}/hosts.toml: {e.Message}");
                }
            }
        });
        return b.Build();
    }

    private static ClydeSnapshotMeasurement Kubernetes(Ctx ctx)
    {
        var b = new Builder("Kubernetes");
        b.Part("node", m =>
        {
            var data = new Dictionary<string, string>();
            var name = ctx.Options.GetEnvironment("NODE_NAME");
            if (string.IsNullOrWhiteSpace(name))
            {
                name = ctx.ReadIfExists("etc/hostname")?.Trim();
            }

            if (string.IsNullOrWhiteSpace(name) && ctx.IsLocal)
            {
                name = Environment.MachineName;
            }

            data["name"] = name ?? "";
            var kubelet = ctx.FindProgram("kubelet");
            if (kubelet != null && ctx.Options.RunProgram(kubelet, ["--version"]) is { } kv &&
                Regex.Match(kv, @"v(\d+\.\d+\S*)") is { Success: true } v)
            {
                data["kubeletVersion"] = "v" + v.Groups[1].Value;
            }

            if (ctx.ContainerdVersion != null)
            {
                data["containerRuntimeVersion"] = "containerd://" + ctx.ContainerdVersion;
            }

            if (ctx.ReadIfExists("var/lib/kubelet/config.yaml") is { } cfg)
            {
                data["kubeletConfig"] = "/var/lib/kubelet/config.yaml";
                if (Regex.Match(cfg, @"^containerRuntimeEndpoint:\s*(\S+)", RegexOptions.Multiline) is { Success: true } ep)
                {
                    data["containerRuntimeEndpoint"] = Unquote(ep.Groups[1].Value);
                }
            }

            m.Add("node", data);
        });
        return b.Build();
    }

    private static ClydeSnapshotMeasurement Gpu(Ctx ctx)
    {
        var b = new Builder("GPU");
        int count = 0;
        b.Part("nvidia-smi", m =>
        {
            var smi = ctx.FindProgram("nvidia-smi");
            if (smi == null)
            {
                return;
            }

            var output = ctx.Options.RunProgram(smi, ["--query-gpu=index,name,driver_version,memory.total,uuid", "--format=csv,noheader,nounits"]);
            if (output == null)
            {
                m.Error("nvidia-smi: could not be run");
                return;
            }

            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var f = line.Split(',', StringSplitOptions.TrimEntries);
                if (f.Length < 5)
                {
                    continue;
                }

                m.Add("gpu:" + f[0], new Dictionary<string, string> { ["name"] = f[1], ["driver"] = f[2], ["memoryMiB"] = f[3], ["uuid"] = f[4] });
                count++;
            }
        });
        b.Add("summary", new Dictionary<string, string>
        {
            ["gpu-count"] = count.ToString(CultureInfo.InvariantCulture),
            ["nvidia-smi"] = ctx.FindProgram("nvidia-smi") != null ? "present" : "absent",
        });
        return b.Build();
    }

    internal static Dictionary<string, string> ParseOsRelease(string text)
    {
        var data = new Dictionary<string, string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            int eq = line.IndexOf('=');
            if (line.StartsWith('#') || eq <= 0 || !Regex.IsMatch(line[..eq], "^[A-Za-z0-9_]+$"))
            {
                continue;
            }

            data[line[..eq]] = Unquote(line[(eq + 1)..]);
        }

        return data;
    }

    internal static Dictionary<string, string> ParseCmdline(string text)
    {
        var data = new Dictionary<string, string>();
        foreach (var token in text.Split((char[])[' ', '\n', '\t', '\0'], StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = token.IndexOf('=');
            string key = eq < 0 ? token : token[..eq];
            string value = eq < 0 ? "" : token[(eq + 1)..];
            data[key] = data.TryGetValue(key, out var prev) ? $"{prev} {value}" : value;
        }

        return data;
    }

    /// <summary>Reads containerd's hosts.toml: server and each [host."url"] with its capabilities.</summary>
    internal static Dictionary<string, string> ParseHostsToml(string text, string source)
    {
        var data = new Dictionary<string, string> { ["source"] = source };
        int host = 0;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || line.Length == 0)
            {
                continue;
            }

            if (Regex.Match(line, @"^\[\s*host\.""([^""]+)""\s*\]$") is { Success: true } h)
            {
                host++;
                data[$"mirror.{host}"] = h.Groups[1].Value;
                continue;
            }

            if (line.StartsWith('['))
            {
                continue;
            }

            if (SplitKeyValue(line) is not { } kv)
            {
                continue;
            }

            if (host == 0 && kv.Key == "server")
            {
                data["server"] = Unquote(kv.Value);
            }
            else if (host > 0 && kv.Key is "capabilities" or "skip_verify" or "override_path")
            {
                data[$"{kv.Key}.{host}"] = string.Join(",", Regex.Matches(kv.Value, @"""([^""]*)""").Select(x => x.Groups[1].Value)
                    .DefaultIfEmpty(kv.Value.Trim()));
            }
        }

        return data;
    }

    private static (string Key, string Value)? SplitKeyValue(string line)
    {
        int eq = line.IndexOf('=');
        return eq <= 0 ? null : (line[..eq].Trim().Trim('"'), line[(eq + 1)..].Trim());
    }

    private static string Unquote(string v)
    {
        v = v.Trim();
        return v.Length >= 2 && (v[0] == '"' || v[0] == '\'') && v[^1] == v[0] ? v[1..^1] : v;
    }
}
