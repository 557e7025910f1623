using System.Text.Json.Nodes;

namespace ClydePS.Engine.Flex;

/// <summary>
/// The spec of a <c>FlexDaemonsetTemplate</c> (flexdaemonsets.xai/v1alpha1, cluster-scoped): the share of a node's allocatable
/// CPU, memory and ephemeral storage a pod gets, in whole percent (1-100), and optional minimum quantities.
/// </summary>
public sealed record FlexTemplateSpec(int CpuPercentage, int MemoryPercentage, int StoragePercentage,
    string? MinCpu = null, string? MinMemory = null, string? MinStorage = null)
{
    /// <summary>Rejects what the CRD's schema rejects: percentages outside 1-100, minimums that are not quantities.</summary>
    public void Validate()
    {
        CheckPercent(CpuPercentage, "cpuPercentage");
        CheckPercent(MemoryPercentage, "memoryPercentage");
        CheckPercent(StoragePercentage, "storagePercentage");
        if (MinCpu is not null) FlexQuantity.Parse(MinCpu, "minCPU");
        if (MinMemory is not null) FlexQuantity.Parse(MinMemory, "minMemory");
        if (MinStorage is not null) FlexQuantity.Parse(MinStorage, "minStorage");
    }

    static void CheckPercent(int value, string field)
    {
        if (value is < 1 or > 100)
            throw new ClydeException(ClydeErrorKind.InvalidArgument, FlexErrorIds.InvalidPercentage,
                $"{field} must be a whole percentage from 1 to 100, not {value}.", value);
    }

    /// <summary>The spec as the custom resource's JSON <c>spec</c>.</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["cpuPercentage"] = CpuPercentage,
            ["memoryPercentage"] = MemoryPercentage,
            ["storagePercentage"] = StoragePercentage,
        };
        if (MinCpu is not null) o["minCPU"] = MinCpu;
        if (MinMemory is not null) o["minMemory"] = MinMemory;
        if (MinStorage is not null) o["minStorage"] = MinStorage;
        return o;
    }

    /// <summary>Reads a custom resource's <c>spec</c>; throws ClydeFlexInvalidTemplate when fields are missing or wrong.</summary>
    public static FlexTemplateSpec FromJson(JsonNode? spec, string name)
    {
        try
        {
            if (spec is not JsonObject o) throw new FormatException("it has no spec");
            var t = new FlexTemplateSpec(
                Percent(o, "cpuPercentage"), Percent(o, "memoryPercentage"), Percent(o, "storagePercentage"),
                Text(o, "minCPU"), Text(o, "minMemory"), Text(o, "minStorage"));
            t.Validate();
            return t;
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or ClydeException)
        {
            throw new ClydeException(ClydeErrorKind.Invalid, FlexErrorIds.InvalidTemplate,
                $"FlexDaemonsetTemplate '{name}' is not usable: {e.Message}", name, e);
        }
    }

    static int Percent(JsonObject o, string field)
    {
        if (o[field] is not JsonValue v) throw new FormatException($"spec.{field} is missing");
        if (v.TryGetValue<int>(out var i)) return i;
        if (v.TryGetValue<long>(out var l) && l is >= int.MinValue and <= int.MaxValue) return (int)l;
        if (v.TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue) return (int)d;
        throw new FormatException($"spec.{field} is not an integer");
    }

    static string? Text(JsonObject o, string field) => o[field] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v => v.ToJsonString(),
        _ => throw new FormatException($"spec.{field} is not a quantity"),
    };
}
