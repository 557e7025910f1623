using System.Text.Json;
using System.Text.Json.Serialization;

namespace ClydePS.Lab.Faults;

/// <summary>
/// The faults the Lab injects, set at start (<c>--faults FILE</c>, <c>Start-ClydeLab -Fault</c>) and changed
/// while running through <c>/clydelab/v1/faults</c>. Every fault is deterministic (counts, or rates drawn
/// from the Lab's seeded random) and targetable by verb/resource, node, image or pod. Each part of the Lab
/// reads the slice it owns: the API pipeline <see cref="Api"/> and <see cref="WatchCutAfterSeconds"/>, node
/// lifecycle <see cref="Nodes"/>, the image puller <see cref="Pulls"/> and <see cref="Registry"/>, the
/// kubelet <see cref="Pods"/>.
/// </summary>
public sealed class FaultPlan
{
    public List<ApiFault> Api { get; set; } = [];

    /// <summary>Watch streams end after this many (Lab) seconds, as a load balancer or apiserver restart would.</summary>
    public double? WatchCutAfterSeconds { get; set; }

    public List<NodeFault> Nodes { get; set; } = [];
    public List<PullFault> Pulls { get; set; } = [];
    public List<PodFault> Pods { get; set; } = [];
    public RegistryFault? Registry { get; set; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static FaultPlan Parse(string json) =>
        JsonSerializer.Deserialize<FaultPlan>(json, Json) ?? new FaultPlan();

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>Answer matching API requests with an error (or delay them). Count = the next N matches; Rate = a share of them.</summary>
public sealed class ApiFault
{
    /// <summary>get, list, watch, create, update, patch, delete; null = any.</summary>
    public string? Verb { get; set; }

    /// <summary>Plural resource (pods, nodes, daemonsets, ...); null = any.</summary>
    public string? Resource { get; set; }

    public string? Namespace { get; set; }

    /// <summary>429 (with Retry-After), 500, 503, 504; 0 = no error (latency only).</summary>
    public int Code { get; set; } = 500;

    public int RetryAfterSeconds { get; set; } = 1;
    public int? Count { get; set; }
    public double? Rate { get; set; }
    public int LatencyMs { get; set; }
}

/// <summary>A node that stops reporting (NotReady, then unreachable taints) and is optionally deleted.</summary>
public sealed class NodeFault
{
    public string Node { get; set; } = "";
    public double NotReadyAfterSeconds { get; set; }
    public double? DeleteAfterSeconds { get; set; }
}

/// <summary>Image pulls that fail: for an image (reference or repository), on a node, or both; always or at a rate.</summary>
public sealed class PullFault
{
    public string? Image { get; set; }
    public string? Node { get; set; }
    public double Rate { get; set; } = 1;

    /// <summary>The message kubelet reports, e.g. "rpc error: code = Unknown desc = failed to pull ...: i/o timeout".</summary>
    public string? Message { get; set; }
}

public enum PodFaultMode
{
    /// <summary>The container exits with <see cref="PodFault.ExitCode"/> (restarts follow restartPolicy).</summary>
    Fail,

    /// <summary>The container starts and never exits nor becomes ready.</summary>
    Hang,

    /// <summary>The container runs but its readiness never turns true.</summary>
    NeverReady,
}

/// <summary>A pod (by namespace/name, or a name prefix ending in '*') whose container misbehaves.</summary>
public sealed class PodFault
{
    public string? Namespace { get; set; }
    public string Pod { get; set; } = "";
    public string? Container { get; set; }
    public PodFaultMode Mode { get; set; } = PodFaultMode.Fail;
    public int ExitCode { get; set; } = 1;
}

/// <summary>The registry degraded: bandwidth divided by SlowdownFactor, added first-byte jitter, dropped transfers.</summary>
public sealed class RegistryFault
{
    public double SlowdownFactor { get; set; } = 1;
    public double JitterMs { get; set; }
    public double DropRate { get; set; }
}

/// <summary>The current plan, swapped atomically; readers take a snapshot per decision.</summary>
public sealed class FaultState
{
    private FaultPlan plan = new();

    public FaultPlan Current => Volatile.Read(ref plan);

    public void Set(FaultPlan next) => Volatile.Write(ref plan, next ?? new FaultPlan());
}
