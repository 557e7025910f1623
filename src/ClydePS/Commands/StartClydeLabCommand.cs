using System.Management.Automation;
using ClydePS.Engine.Lab;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>Starts a Lab: a Kubernetes API emulator with simulated nodes, in its own process.</summary>
[Cmdlet(VerbsLifecycle.Start, "ClydeLab", SupportsShouldProcess = true)]
[OutputType(typeof(ClydeLab))]
public sealed class StartClydeLabCommand : ClydeCmdletBase
{
    [Parameter]
    [Alias("Nodes")]
    [ValidateRange(0, 100_000)]
    public int NodeCount { get; set; } = 3;

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double PublicRatio { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ClusterFile { get; set; }

    [Parameter]
    public int Seed { get; set; }

    [Parameter]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    [Parameter]
    public SwitchParameter Https { get; set; }

    [Parameter]
    [ValidateRange(0.001, 10_000.0)]
    public double TimeScale { get; set; } = 1;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    [Parameter]
    public SwitchParameter Detach { get; set; }

    [Parameter]
    [Duration]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Faults injected from the start: a hashtable shaped like the Lab's fault plan, or a path to its JSON.</summary>
    [Parameter]
    [ValidateNotNull]
    public object? Fault { get; set; }

    /// <summary>Authorise every user but the Lab admin (service accounts, test users) by the RBAC objects stored in the Lab.</summary>
    [Parameter]
    public SwitchParameter EnforceRbac { get; set; }

    protected override void EndProcessing() => Guard(() =>
    {
        if (ClusterFile != null && (MyInvocation.BoundParameters.ContainsKey(nameof(NodeCount)) || MyInvocation.BoundParameters.ContainsKey(nameof(PublicRatio))))
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeLabConflictingShape",
                "-ClusterFile describes the whole cluster; leave out -NodeCount and -PublicRatio, or put the counts in the file's nodeGroups.",
                ClusterFile);
        }

        var options = new LabStartOptions
        {
            NodeCount = NodeCount,
            PublicRatio = PublicRatio,
            ClusterFile = ClusterFile == null ? null : ResolvePath(ClusterFile),
            Seed = MyInvocation.BoundParameters.ContainsKey(nameof(Seed)) ? Seed : null,
            Port = Port,
            Https = Https,
            TimeScale = TimeScale,
            StateDirectory = Path == null ? null : ResolvePath(Path),
            ParentProcessId = Detach ? null : Environment.ProcessId,
            StartTimeout = Timeout,
            FaultsJson = FaultJson(),
            AgentPwsh = CurrentPwsh(),
            EnforceRbac = EnforceRbac,
        };
        LabLauncher.Validate(options);

        string shape = options.ClusterFile != null ? $"cluster file {options.ClusterFile}" : $"{NodeCount} nodes, {PublicRatio:P0} public";
        if (!ShouldProcess($"Lab ({shape}{(Https ? ", HTTPS" : "")})", "Start"))
        {
            return;
        }

        string labDll = System.IO.Path.Combine(ModuleFolder, "Lab", "ClydePS.Lab.dll");
        WriteVerbose($"Starting {labDll} ({shape}).");
        ClydeLab lab = Run(ct => LabLauncher.StartAsync(labDll, options, ct));
        WriteVerbose($"Lab at {lab.Url}; kubeconfig {lab.KubeconfigPath}.");
        WriteObject(lab);
    });

    /// <summary>The pwsh this cmdlet runs in, so the Lab runs snapshot agent pods with it (under 'dotnet pwsh', its pwsh.dll).</summary>
    private string? CurrentPwsh()
    {
        string? process = Environment.ProcessPath;
        if (process is null)
        {
            return null;
        }

        if (System.IO.Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            string? home = SessionState.PSVariable.GetValue("PSHOME") as string;
            string? dll = home is null ? null : System.IO.Path.Combine(home, "pwsh.dll");
            return dll is not null && File.Exists(dll) ? dll : null;
        }

        return System.IO.Path.GetFileNameWithoutExtension(process).StartsWith("pwsh", StringComparison.OrdinalIgnoreCase) ? process : null;
    }

    private string? FaultJson()
    {
        object? value = Fault is PSObject pso ? pso.BaseObject : Fault;
        switch (value)
        {
            case null:
                return null;
            case string path when !path.TrimStart().StartsWith('{'):
                string resolved = ResolvePath(path);
                if (!File.Exists(resolved))
                {
                    throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeLabFaultFileNotFound", $"Fault file '{resolved}' does not exist.", path);
                }

                return File.ReadAllText(resolved);
            case string json:
                return json;
            default:
                // A hashtable or object: serialise it the way ConvertTo-Json would.
                using (var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace))
                {
                    ps.AddCommand("ConvertTo-Json").AddParameter("InputObject", value).AddParameter("Depth", 10).AddParameter("Compress");
                    return ps.Invoke<string>().FirstOrDefault();
                }
        }
    }

    private static string ModuleFolder => System.IO.Path.GetDirectoryName(typeof(StartClydeLabCommand).Assembly.Location)!;
}
