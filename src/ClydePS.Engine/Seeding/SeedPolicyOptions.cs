using ClydePS.Engine.Probe;

namespace ClydePS.Engine.Seeding;

/// <summary>How seeding proceeds: classic doubling waves, clydectl's bandwidth-monitored expansion, or a pipelined distribution without wave barriers.</summary>
public enum SeedStrategy
{
    Doubling,
    Adaptive,
    Pipelined,
}

/// <summary>The knobs of a seeding policy; defaults are clydectl's (with the README's stop ratio 0.5).</summary>
public sealed record SeedPolicyOptions
{
    public SeedStrategy Strategy { get; init; } = SeedStrategy.Adaptive;

    /// <summary>Fraction of the eligible nodes that must be seeded before the workload is deployed, in (0, 1].</summary>
    public double StopRatio { get; init; } = 0.5;

    /// <summary>First wave size; null (or 0, as in clydectl) = max(2, floor(0.1 x eligible)), capped at the stop target.</summary>
    public int? InitialSeeds { get; init; }

    /// <summary>Adaptive on a public cluster: how many nodes to pre-seed from the registry before deploying.</summary>
    public int PublicSeeds { get; init; }

    public TimeSpan MonitorInterval { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan MonitorWindow { get; init; } = TimeSpan.FromSeconds(20);
    public HealthThresholds Thresholds { get; init; } = new();

    /// <summary>How many more windows an undecided window may be retried in a row before it counts as unhealthy.</summary>
    public int MaxWindowRetries { get; init; } = 3;

    /// <summary>The run aborts only when MORE than this many seed pulls failed.</summary>
    public int MaxFailedSeeds { get; init; } = 3;

    /// <summary>Adaptive: how many nodes run probe pods.</summary>
    public int ProbeNodes { get; init; } = 2;

    /// <summary>
    /// Pipelined: the share of eligible nodes it seeds before deploying (default 1: every node, since each start waits
    /// for a free uploader and the DaemonSet's pods would all start at once). Start-ClydeSeed sets it from -StopRatio when given.
    /// </summary>
    public double PipelinedStopRatio { get; init; } = 1;

    /// <summary>Pipelined: how many followers one holder of a layer feeds at a time (its upload fan-out).</summary>
    public int UploadFanOut { get; init; } = 1;

    /// <summary>Pipelined: a pull running longer than this many times the median completed pull is a straggler and is replaced.</summary>
    public double StragglerFactor { get; init; } = 3;

    /// <summary>Pipelined: no pull counts as a straggler before it has run this long.</summary>
    public TimeSpan StragglerMinimum { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a value no policy can work with.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Strategy))
        {
            throw new ArgumentOutOfRangeException(nameof(Strategy), Strategy, "Unknown seeding strategy.");
        }
        SeedTargets.CheckRatio(StopRatio);
        if (InitialSeeds is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(InitialSeeds), InitialSeeds, "InitialSeeds must not be negative.");
        }
        if (PublicSeeds < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(PublicSeeds), PublicSeeds, "PublicSeeds must not be negative.");
        }
        if (MonitorInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MonitorInterval), MonitorInterval, "MonitorInterval must be positive.");
        }
        if (MonitorWindow <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MonitorWindow), MonitorWindow, "MonitorWindow must be positive.");
        }
        if (Thresholds is null)
        {
            throw new ArgumentOutOfRangeException(nameof(Thresholds), "Thresholds must be set.");
        }
        if (MaxWindowRetries < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxWindowRetries), MaxWindowRetries, "MaxWindowRetries must not be negative.");
        }
        if (MaxFailedSeeds < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxFailedSeeds), MaxFailedSeeds, "MaxFailedSeeds must not be negative.");
        }
        if (ProbeNodes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ProbeNodes), ProbeNodes, "ProbeNodes must not be negative.");
        }
        SeedTargets.CheckRatio(PipelinedStopRatio);
        if (UploadFanOut < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(UploadFanOut), UploadFanOut, "UploadFanOut must be at least 1.");
        }
        if (double.IsNaN(StragglerFactor) || StragglerFactor <= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(StragglerFactor), StragglerFactor, "StragglerFactor must be more than 1.");
        }
        if (StragglerMinimum < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(StragglerMinimum), StragglerMinimum, "StragglerMinimum must not be negative.");
        }
    }
}

/// <summary>The stop target and the initial wave size (clydectl's planner).</summary>
public static class SeedTargets
{
    /// <summary>ceil(<paramref name="stopRatio"/> x <paramref name="eligible"/>), computed in decimal so 0.1 x 30 is 3, not 4.</summary>
    public static int StopTarget(int eligible, double stopRatio)
    {
        CheckRatio(stopRatio);
        ArgumentOutOfRangeException.ThrowIfNegative(eligible);
        var target = (int)Math.Ceiling((decimal)stopRatio * eligible);
        return Math.Min(target, eligible);
    }

    /// <summary>
    /// <paramref name="requested"/> when positive, else max(2, floor(0.1 x eligible)); capped at <paramref name="stopTarget"/>.
    /// A requested 0 means automatic, as clydectl's <c>--initial-seeds 0</c> does.
    /// </summary>
    public static int InitialSeeds(int eligible, int? requested, int stopTarget)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(eligible);
        ArgumentOutOfRangeException.ThrowIfNegative(stopTarget);
        if (requested is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(requested), requested, "The initial seed count must not be negative.");
        }
        var wanted = requested is > 0 ? requested.Value : Math.Max(2, eligible / 10);
        return Math.Min(wanted, stopTarget);
    }

    internal static void CheckRatio(double stopRatio)
    {
        if (double.IsNaN(stopRatio) || stopRatio <= 0 || stopRatio > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(stopRatio), stopRatio, "The stop ratio must be greater than 0 and at most 1.");
        }
    }
}
