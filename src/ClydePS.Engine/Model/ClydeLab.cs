namespace ClydePS;

/// <summary>A running Lab: a Kubernetes API emulator with simulated nodes, started by <c>Start-ClydeLab</c>.</summary>
public sealed class ClydeLab
{
    public string Url { get; init; } = "";
    public string KubeconfigPath { get; init; } = "";
    public int ProcessId { get; init; }
    public int NodeCount { get; init; }
    public int ReadyNodeCount { get; init; }
    public double TimeScale { get; init; } = 1;
    public bool Https { get; init; }
    public string StateDirectory { get; init; } = "";
    public bool Detached { get; init; }
    public DateTime StartTime { get; init; }

    /// <summary>True when ClydePS created the state folder, so stopping the Lab removes it whole.</summary>
    internal bool OwnsStateDirectory { get; init; }

    public override string ToString() => Url;
}
