namespace ClydePS;

/// <summary>One group of measured values inside a snapshot measurement (for example the OS's os-release fields).</summary>
public sealed class ClydeSnapshotSubtype
{
    public string Subtype { get; init; } = "";

    /// <summary>The values, sorted by key.</summary>
    public IReadOnlyDictionary<string, string> Data { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>What one collector measured (type OS, Hardware, ContainerRuntime, Kubernetes or GPU), and why any part of it failed.</summary>
public sealed class ClydeSnapshotMeasurement
{
    public string Type { get; init; } = "";
    public IReadOnlyList<ClydeSnapshotSubtype> Subtypes { get; init; } = [];

    /// <summary>Why parts of this measurement could not be read; empty when everything was read.</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];

    /// <summary>The subtype with this name, else null.</summary>
    public ClydeSnapshotSubtype? this[string subtype] => Subtypes.FirstOrDefault(s => s.Subtype == subtype);
}

/// <summary>
/// A node snapshot taken by <c>Invoke-ClydeSnapshot</c>: document apiVersion <c>clydeps.io/v1alpha1</c>, kind
/// <c>Snapshot</c>, metadata and measurements by type. The summary properties are read from the measurements.
/// </summary>
public sealed class ClydeSnapshot
{
    public const string DocumentApiVersion = "clydeps.io/v1alpha1";
    public const string DocumentKind = "Snapshot";

    public string ApiVersion { get; init; } = DocumentApiVersion;
    public string Kind { get; init; } = DocumentKind;
    public DateTimeOffset Timestamp { get; init; }
    public string ModuleVersion { get; init; } = "";

    /// <summary>The node the snapshot describes (NODE_NAME, else the host name).</summary>
    public string SourceNode { get; init; } = "";

    /// <summary>The folder the node's filesystem was read under.</summary>
    public string HostRoot { get; init; } = "/";

    public IReadOnlyList<ClydeSnapshotMeasurement> Measurements { get; init; } = [];

    /// <summary>The measurement of this type, else null.</summary>
    public ClydeSnapshotMeasurement? Measurement(string type) => Measurements.FirstOrDefault(m => m.Type == type);

    private string? Value(string type, string subtype, string key) =>
        Measurement(type)?[subtype]?.Data.TryGetValue(key, out var v) == true ? v : null;

    /// <summary>os-release PRETTY_NAME (else NAME VERSION_ID).</summary>
    public string? OperatingSystem => Value("OS", "release", "PRETTY_NAME") ??
        (Value("OS", "release", "NAME") is { } n ? $"{n} {Value("OS", "release", "VERSION_ID")}".Trim() : null);

    public string? KernelVersion => Value("OS", "kernel", "release");

    public int? CpuCount => int.TryParse(Value("Hardware", "cpu", "count"), out var c) ? c : null;

    public long? MemoryBytes => long.TryParse(Value("Hardware", "memory", "totalBytes"), out var m) ? m : null;

    public string? ContainerdVersion => Value("ContainerRuntime", "containerd", "version");

    /// <summary>Every registry mirror configured for containerd, as "registry=mirror".</summary>
    public string[] RegistryMirrors => Measurement("ContainerRuntime")?.Subtypes
        .Where(s => s.Subtype.StartsWith("mirror:", StringComparison.Ordinal))
        .SelectMany(s => s.Data.Where(kv => kv.Key.StartsWith("mirror.", StringComparison.Ordinal))
            .Select(kv => $"{s.Subtype["mirror:".Length..]}={kv.Value}"))
        .ToArray() ?? [];

    public string? KubeletVersion => Value("Kubernetes", "node", "kubeletVersion");

    public int GpuCount => int.TryParse(Value("GPU", "summary", "gpu-count"), out var g) ? g : 0;

    /// <summary>Every collector error, as "Type: reason".</summary>
    public string[] Errors => Measurements.SelectMany(m => m.Errors.Select(e => $"{m.Type}: {e}")).ToArray();
}
