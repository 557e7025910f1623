using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace ClydePS.Engine.Lab;

/// <summary>
/// Starts and stops Lab processes. The Lab prints one line <c>CLYDE-LAB-READY {json}</c> on stdout once it
/// answers; anything on stderr before that is kept to explain a failed start.
/// </summary>
public static class LabLauncher
{
    public const string ReadyPrefix = "CLYDE-LAB-READY ";
    private static readonly List<ClydeLab> Started = [];

    /// <summary>Labs started by this process that have not been stopped.</summary>
    public static IReadOnlyList<ClydeLab> StartedLabs
    {
        get
        {
            lock (Started)
            {
                return Started.ToArray();
            }
        }
    }

    public static void Validate(LabStartOptions options)
    {
        if (options.NodeCount < 0 || options.NodeCount > 100_000)
        {
            throw Invalid("ClydeLabInvalidNodeCount", $"NodeCount {options.NodeCount} is out of range; use 0 to 100000.", options.NodeCount);
        }

        if (double.IsNaN(options.PublicRatio) || options.PublicRatio < 0 || options.PublicRatio > 1)
        {
            throw Invalid("ClydeLabInvalidPublicRatio", $"PublicRatio {options.PublicRatio} must be between 0 and 1 (the share of nodes with a public ExternalIP).", options.PublicRatio);
        }

        if (options.Port < 0 || options.Port > 65535)
        {
            throw Invalid("ClydeLabInvalidPort", $"Port {options.Port} must be between 0 (any free port) and 65535.", options.Port);
        }

        if (double.IsNaN(options.TimeScale) || options.TimeScale <= 0 || options.TimeScale > 10_000)
        {
            throw Invalid("ClydeLabInvalidTimeScale", $"TimeScale {options.TimeScale} must be greater than 0 and at most 10000.", options.TimeScale);
        }

        if (options.ClusterFile != null && !File.Exists(options.ClusterFile))
        {
            throw Invalid("ClydeLabClusterFileNotFound", $"Cluster file '{options.ClusterFile}' does not exist.", options.ClusterFile);
        }
    }

    public static async Task<ClydeLab> StartAsync(string labAssemblyPath, LabStartOptions options, CancellationToken ct)
    {
        Validate(options);
        if (!File.Exists(labAssemblyPath))
        {
            throw new ClydeException(ClydeErrorKind.Configuration, "ClydeLabNotInstalled",
                $"The Lab is not in the module folder ('{labAssemblyPath}' is missing). Rebuild the module with './build.ps1 Build'.", labAssemblyPath);
        }

        bool ownsState = options.StateDirectory == null;
        string stateDirectory = options.StateDirectory ?? Path.Combine(Path.GetTempPath(), "clydeps-lab-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(stateDirectory);
        options = options with { StateDirectory = stateDirectory };
        if (options.FaultsJson != null)
        {
            await File.WriteAllTextAsync(Path.Combine(stateDirectory, "faults.json"), options.FaultsJson, ct).ConfigureAwait(false);
        }

        var startInfo = new ProcessStartInfo(DotnetHost.Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            CreateNoWindow = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        startInfo.ArgumentList.Add(labAssemblyPath);
        foreach (string arg in options.ToArguments())
        {
            startInfo.ArgumentList.Add(arg);
        }

        // The Lab's own logging must not pick up a caller's ASP.NET settings.
        startInfo.Environment.Remove("ASPNETCORE_URLS");
        startInfo.Environment["DOTNET_NOLOGO"] = "1";

        var process = new Process { StartInfo = startInfo };
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data != null)
            {
                lock (stderr)
                {
                    if (stderr.Length < 16_384)
                    {
                        stderr.AppendLine(e.Data);
                    }
                }
            }
        };

        if (!process.Start())
        {
            throw new ClydeException(ClydeErrorKind.Unavailable, "ClydeLabStartFailed", "The Lab process did not start.", labAssemblyPath);
        }

        process.BeginErrorReadLine();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.StartTimeout);
            ReadyLine ready = await ReadReadyLineAsync(process, timeout.Token, () => Snapshot(stderr)).ConfigureAwait(false);
            var lab = new ClydeLab
            {
                Url = ready.Url,
                KubeconfigPath = ready.Kubeconfig,
                ProcessId = process.Id,
                NodeCount = ready.Nodes,
                ReadyNodeCount = ready.ReadyNodes,
                TimeScale = ready.TimeScale,
                Https = ready.Https,
                StateDirectory = ready.StateDir ?? stateDirectory,
                Detached = options.ParentProcessId == null,
                StartTime = DateTime.Now,
                OwnsStateDirectory = ownsState,
            };
            lock (Started)
            {
                Started.Add(lab);
            }

            // Keep draining stdout so the Lab never blocks on a full pipe.
            _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
            return lab;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Kill(process);
            DeleteState(stateDirectory, ownsState);
            throw new ClydeException(ClydeErrorKind.Timeout, "ClydeLabStartTimeout",
                $"The Lab did not answer within {options.StartTimeout.TotalSeconds:0.#} s. {Tail(Snapshot(stderr))}".TrimEnd(), labAssemblyPath);
        }
        catch
        {
            Kill(process);
            DeleteState(stateDirectory, ownsState);
            throw;
        }
    }

    /// <summary>Stops a Lab and removes the files it wrote. Returns false when it had already exited.</summary>
    public static bool Stop(ClydeLab lab)
    {
        bool wasRunning = false;
        try
        {
            using Process process = Process.GetProcessById(lab.ProcessId);
            if (!process.HasExited && IsLabProcess(process))
            {
                wasRunning = true;
                Kill(process);
            }
        }
        catch (ArgumentException)
        {
            // Already gone.
        }

        DeleteState(lab.StateDirectory, lab.OwnsStateDirectory);
        lock (Started)
        {
            Started.RemoveAll(l => l.ProcessId == lab.ProcessId);
        }

        return wasRunning;
    }

    private static bool IsLabProcess(Process process)
    {
        try
        {
            string name = process.ProcessName;
            return name.StartsWith("dotnet", StringComparison.OrdinalIgnoreCase) || name.Contains("ClydePS.Lab", StringComparison.OrdinalIgnoreCase);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static async Task<ReadyLine> ReadReadyLineAsync(Process process, CancellationToken ct, Func<string> stderr)
    {
        while (true)
        {
            string? line = await process.StandardOutput.ReadLineAsync(ct).ConfigureAwait(false);
            if (line == null)
            {
                await process.WaitForExitAsync(ct).ConfigureAwait(false);
                throw new ClydeException(ClydeErrorKind.Unavailable, "ClydeLabStartFailed",
                    $"The Lab exited with code {process.ExitCode} before it was ready. {Tail(stderr())}".TrimEnd(), null);
            }

            if (line.StartsWith(ReadyPrefix, StringComparison.Ordinal))
            {
                return JsonSerializer.Deserialize<ReadyLine>(line[ReadyPrefix.Length..], ReadyLine.JsonOptions)
                    ?? throw new ClydeException(ClydeErrorKind.Unknown, "ClydeLabStartFailed", "The Lab's ready line was empty.", null);
            }
        }
    }

    private static string Snapshot(StringBuilder sb)
    {
        lock (sb)
        {
            return sb.ToString();
        }
    }

    private static string Tail(string text)
    {
        // The first line says what went wrong (the usage text that may follow is not the news).
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "" : "Lab output: " + lines[0] + (lines.Length > 1 && !lines[1].StartsWith("Usage", StringComparison.OrdinalIgnoreCase) ? " | " + lines[1] : "");
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
    }

    private static void DeleteState(string stateDirectory, bool ownsState)
    {
        try
        {
            if (ownsState)
            {
                if (Directory.Exists(stateDirectory))
                {
                    Directory.Delete(stateDirectory, recursive: true);
                }

                return;
            }

            // A folder the user chose: remove only what the Lab writes there.
            foreach (string name in LabFiles)
            {
                string path = Path.Combine(stateDirectory, name);
                if (File.Exists(path))
                {
                    File.Delete(path);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Files the Lab writes into its state folder.</summary>
    public static readonly string[] LabFiles = ["kubeconfig", "token", "faults.json", "ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key", "lab.json"];

    private static ClydeException Invalid(string id, string message, object? target) =>
        new(ClydeErrorKind.InvalidArgument, id, message, target);

    private sealed class ReadyLine
    {
        public static readonly JsonSerializerOptions JsonOptions = new() { PropertyNameCaseInsensitive = true };

        public string Url { get; set; } = "";
        public string Kubeconfig { get; set; } = "";
        public string? StateDir { get; set; }
        public int Pid { get; set; }
        public int Nodes { get; set; }
        public int ReadyNodes { get; set; }
        public bool Https { get; set; }
        public double TimeScale { get; set; } = 1;
    }
}

/// <summary>Finds the dotnet host that runs the Lab: the one running us when we are in dotnet, else DOTNET_ROOT or PATH.</summary>
internal static class DotnetHost
{
    public static string Path => Lazy.Value;

    private static readonly Lazy<string> Lazy = new(Find);

    private static string Find()
    {
        string exe = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "dotnet.exe" : "dotnet";
        string? processPath = Environment.ProcessPath;
        if (processPath != null && System.IO.Path.GetFileName(processPath).Equals(exe, StringComparison.OrdinalIgnoreCase))
        {
            return processPath;
        }

        foreach (string? root in new[] { Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") })
        {
            if (!string.IsNullOrEmpty(root) && File.Exists(root))
            {
                return root;
            }
        }

        // The runtime folder is <root>/shared/Microsoft.NETCore.App/<version>/.
        string runtimeDir = RuntimeEnvironment.GetRuntimeDirectory();
        string? fromRuntime = System.IO.Path.GetFullPath(System.IO.Path.Combine(runtimeDir, "..", "..", "..", exe));
        foreach (string? candidate in new[]
                 {
                     fromRuntime,
                     Combine(Environment.GetEnvironmentVariable("DOTNET_ROOT"), exe),
                 })
        {
            if (candidate != null && File.Exists(candidate))
            {
                return candidate;
            }
        }

        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = System.IO.Path.Combine(dir, exe);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return exe;
    }

    private static string? Combine(string? root, string exe) => string.IsNullOrEmpty(root) ? null : System.IO.Path.Combine(root, exe);
}
