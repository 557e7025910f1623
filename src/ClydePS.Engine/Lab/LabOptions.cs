namespace ClydePS.Engine.Lab;

/// <summary>How to start a Lab process; each property maps to one command-line option of ClydePS.Lab.</summary>
public sealed record LabStartOptions
{
    public int NodeCount { get; init; } = 3;
    public double PublicRatio { get; init; }
    public string? ClusterFile { get; init; }
    public int? Seed { get; init; }
    public int Port { get; init; }
    public bool Https { get; init; }
    public double TimeScale { get; init; } = 1;

    /// <summary>Folder for the kubeconfig, certificates and token; null makes a new temporary folder.</summary>
    public string? StateDirectory { get; init; }

    /// <summary>Process whose exit stops the Lab (the Lab's watchdog); null for a detached Lab.</summary>
    public int? ParentProcessId { get; init; }

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A fault plan (the Lab's FaultPlan JSON) applied from the start; null for none.</summary>
    public string? FaultsJson { get; init; }

    /// <summary>The pwsh (an executable, or pwsh.dll under the dotnet host) the Lab runs snapshot agent pods with; null for pwsh on PATH.</summary>
    public string? AgentPwsh { get; init; }

    /// <summary>Authorise users other than the Lab admin by RBAC (--rbac).</summary>
    public bool EnforceRbac { get; init; }

    public IReadOnlyList<string> ToArguments()
    {
        var args = new List<string>();
        if (ClusterFile == null)
        {
            // A cluster file describes the whole shape; counts are for the simple case only.
            args.AddRange(["--nodes", NodeCount.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            args.AddRange(["--public-ratio", PublicRatio.ToString("R", System.Globalization.CultureInfo.InvariantCulture)]);
        }

        args.AddRange(["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        args.AddRange(["--time-scale", TimeScale.ToString("R", System.Globalization.CultureInfo.InvariantCulture)]);
        if (ClusterFile != null)
        {
            args.AddRange(["--cluster-file", ClusterFile]);
        }

        if (Seed != null)
        {
            args.AddRange(["--seed", Seed.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        if (Https)
        {
            args.Add("--https");
        }
        else
        {
            // kubectl (client-go) sends no credentials over plain HTTP, so an HTTP Lab serves requests
            // without one, like the API server's old insecure port; a wrong credential is still refused.
            args.Add("--anonymous");
        }

        if (StateDirectory != null)
        {
            args.AddRange(["--state-dir", StateDirectory]);
        }

        if (FaultsJson != null && StateDirectory != null)
        {
            args.AddRange(["--faults", Path.Combine(StateDirectory, "faults.json")]);
        }

        if (EnforceRbac)
        {
            args.Add("--rbac");
        }

        if (AgentPwsh != null)
        {
            args.AddRange(["--agent-pwsh", AgentPwsh]);
        }

        if (ParentProcessId != null)
        {
            args.AddRange(["--parent-pid", ParentProcessId.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        return args;
    }
}
