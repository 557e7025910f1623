namespace ClydePS.Engine.Flex;

/// <summary>What one pod gets on one node: per resource, the amount (requests = limits), or null when omitted.</summary>
public sealed record FlexAllocation(long? CpuMillicores, long? MemoryBytes, long? StorageBytes)
{
    public string? Cpu => CpuMillicores is { } m ? FlexQuantity.FormatMillicores(m) : null;
    public string? Memory => MemoryBytes is { } b ? FlexQuantity.FormatBytes(b) : null;
    public string? EphemeralStorage => StorageBytes is { } b ? FlexQuantity.FormatBytes(b) : null;

    /// <summary>The amounts as a resource list (<c>cpu</c>, <c>memory</c>, <c>ephemeral-storage</c>); omitted resources are absent.</summary>
    public IReadOnlyDictionary<string, string> ToResourceList() => ToResourceList(CpuMillicores, MemoryBytes, StorageBytes);

    internal static IReadOnlyDictionary<string, string> ToResourceList(long? cpu, long? mem, long? storage)
    {
        var d = new Dictionary<string, string>();
        if (cpu is { } c) d["cpu"] = FlexQuantity.FormatMillicores(c);
        if (mem is { } m) d["memory"] = FlexQuantity.FormatBytes(m);
        if (storage is { } s) d["ephemeral-storage"] = FlexQuantity.FormatBytes(s);
        return d;
    }

    public override string ToString() =>
        string.Join(",", ToResourceList().Select(kv => kv.Key + "=" + kv.Value));
}

/// <summary>One container's share of a pod's allocation.</summary>
public sealed record FlexContainerShare(string Name, bool Init, long? CpuMillicores, long? MemoryBytes, long? StorageBytes)
{
    public IReadOnlyDictionary<string, string> ToResourceList() => FlexAllocation.ToResourceList(CpuMillicores, MemoryBytes, StorageBytes);
}

/// <summary>A container of the pod being shared out: its name, whether it is an init container, and whether it is a
/// sidecar (an init container with <c>restartPolicy: Always</c>, which keeps running beside the app containers).</summary>
public sealed record FlexContainer(string Name, bool Init = false, bool Sidecar = false);

/// <summary>
/// The flex calculation. Per resource, from the node's <c>status.allocatable</c>: CPU in millicores, memory and
/// ephemeral storage in bytes, times the template's percentage / 100, truncated; below the template's minimum it is the
/// minimum; a resource the node does not report gets the minimum, or is omitted (the container keeps what it declares)
/// when the template has none. Requests equal limits.
/// <para>
/// The amount is the <b>pod's</b>, as the seed describes it (the original gave every container the full amount, so a pod
/// with three containers took three times its share). It is shared out like this: the app containers and sidecars (init
/// containers with <c>restartPolicy: Always</c>) split it evenly in whole millicores / bytes, the first of them getting
/// the remainder, so their sum is exactly the pod amount; each ordinary init container (which runs alone, before the app
/// containers) gets the pod amount minus what the sidecars started before it hold. The scheduler's effective request of
/// the pod is then exactly the pod amount.
/// </para>
/// </summary>
public static class FlexCalculator
{
    /// <summary>The pod's amount on a node with the given allocatable quantities (resource name -> quantity text).</summary>
    public static FlexAllocation Calculate(FlexTemplateSpec template, IReadOnlyDictionary<string, string>? allocatable)
    {
        ArgumentNullException.ThrowIfNull(template);
        template.Validate();
        allocatable ??= new Dictionary<string, string>();
        long? cpu = One(allocatable, "cpu", template.CpuPercentage, template.MinCpu, FlexQuantity.ToMillicores);
        long? mem = One(allocatable, "memory", template.MemoryPercentage, template.MinMemory, FlexQuantity.ToBytes);
        long? storage = One(allocatable, "ephemeral-storage", template.StoragePercentage, template.MinStorage, FlexQuantity.ToBytes);
        return new FlexAllocation(cpu, mem, storage);
    }

    static long? One(IReadOnlyDictionary<string, string> allocatable, string resource, int percent, string? min, Func<decimal, long> units)
    {
        long? minimum = min is null ? null : units(FlexQuantity.Parse(min, "minimum " + resource));
        if (!allocatable.TryGetValue(resource, out var text) || !FlexQuantity.TryParse(text, out var quantity) || quantity < 0)
            return minimum;
        // Truncated share of the node's amount in its base unit (millicores / bytes). Node amounts are whole units;
        // the share is computed in decimal so that huge values (exbibytes) do not overflow.
        decimal whole = units(quantity);
        long share = (long)decimal.Truncate(whole * percent / 100m);
        return minimum is { } m && share < m ? m : share;
    }

    /// <summary>Shares the pod's amount among its containers (see the class remarks).</summary>
    public static IReadOnlyList<FlexContainerShare> Share(FlexAllocation pod, IReadOnlyList<FlexContainer> containers)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(containers);
        var sharers = containers.Where(c => !c.Init || c.Sidecar).ToList();
        int n = Math.Max(1, sharers.Count);
        long? Part(long? total, int index) => total is { } t ? t / n + (index == 0 ? t % n : 0) : null;

        var shares = new Dictionary<FlexContainer, FlexContainerShare>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < sharers.Count; i++)
        {
            var c = sharers[i];
            shares[c] = new FlexContainerShare(c.Name, c.Init, Part(pod.CpuMillicores, i), Part(pod.MemoryBytes, i), Part(pod.StorageBytes, i));
        }

        var result = new List<FlexContainerShare>(containers.Count);
        long sideCpu = 0, sideMem = 0, sideStorage = 0;
        foreach (var c in containers)
        {
            if (shares.TryGetValue(c, out var s))
            {
                if (c.Init)
                {
                    sideCpu += s.CpuMillicores ?? 0;
                    sideMem += s.MemoryBytes ?? 0;
                    sideStorage += s.StorageBytes ?? 0;
                }
                result.Add(s);
                continue;
            }
            result.Add(new FlexContainerShare(c.Name, true,
                pod.CpuMillicores is { } pc ? Math.Max(0, pc - sideCpu) : null,
                pod.MemoryBytes is { } pm ? Math.Max(0, pm - sideMem) : null,
                pod.StorageBytes is { } ps ? Math.Max(0, ps - sideStorage) : null));
        }
        return result;
    }
}
