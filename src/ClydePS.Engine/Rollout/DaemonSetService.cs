using ClydePS.Engine.Kube;
using k8s;
using k8s.Models;

namespace ClydePS.Engine.Rollout;

/// <summary>
/// A DaemonSet ready to apply, built from a request or loaded from a file and already validated. The cmdlets hold it
/// without seeing client model types; engine code reaches the object through <see cref="Manifest"/>.
/// </summary>
public sealed class PreparedDaemonSet
{
    internal PreparedDaemonSet(V1DaemonSet manifest) => Manifest = manifest;

    internal V1DaemonSet Manifest { get; }

    public string Name => Manifest.Metadata.Name;
    public string Namespace => Manifest.Metadata.NamespaceProperty ?? "default";
    public string Image => DaemonSetManifest.ImageOf(Manifest);

    /// <summary>Where its pods may run and what they pull (for seeding).</summary>
    public WorkloadPlacementInfo Placement => DaemonSetManifest.Placement(Manifest);

    /// <summary>The label selector of its pods (<c>spec.selector.matchLabels</c> as <c>k=v,...</c>).</summary>
    public string PodSelector => string.Join(",", (Manifest.Spec?.Selector?.MatchLabels ?? new Dictionary<string, string>())
        .OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));

    /// <summary>The manifest as YAML.</summary>
    public string ToYaml() => KubernetesYaml.Serialize(Manifest);
}

/// <summary>The plain-typed entry points <c>New-ClydeDaemonSet</c> calls.</summary>
public static class DaemonSetService
{
    /// <summary>Builds and validates a minimal DaemonSet (see <see cref="DaemonSetManifest.Build"/>).</summary>
    public static PreparedDaemonSet Prepare(DaemonSetRequest request) => new(DaemonSetManifest.Build(request));

    /// <summary>Loads a DaemonSet file, applies the overrides and validates it (see <see cref="DaemonSetManifest.Load"/>).</summary>
    public static PreparedDaemonSet Prepare(string path, DaemonSetOverrides overrides, string defaultNamespace)
    {
        var ds = DaemonSetManifest.Load(path);
        DaemonSetManifest.ApplyOverrides(ds, overrides);
        if (string.IsNullOrEmpty(ds.Metadata.NamespaceProperty))
        {
            ds.Metadata.NamespaceProperty = defaultNamespace;
        }

        DaemonSetManifest.ValidateNamespace(ds.Metadata.NamespaceProperty);
        return new PreparedDaemonSet(ds);
    }

    public static Task<ApplyOutcome> PlanAsync(ClusterGateway gw, PreparedDaemonSet ds, CancellationToken ct) =>
        DaemonSetApplier.PlanAsync(gw, ds.Manifest, ct);

    /// <summary>Applies the DaemonSet and describes the result (counts from its status as the server returned it).</summary>
    public static async Task<(ClydeDaemonSet DaemonSet, string? Note)> ApplyAsync(ClusterGateway gw, PreparedDaemonSet ds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ds);
        var result = await DaemonSetApplier.ApplyAsync(gw, ds.Manifest, ct).ConfigureAwait(false);
        return (Describe(result.DaemonSet, result.Outcome, result.WasManagedByClydePS, null, null), result.Note);
    }

    /// <summary>Reads the DaemonSet again, for its counts after a wait.</summary>
    public static async Task<ClydeDaemonSet> DescribeAsync(ClusterGateway gw, string ns, string name, ApplyOutcome outcome, bool managed,
        TimeSpan? duration, bool? complete, CancellationToken ct)
    {
        var ds = await gw.CallAsync("get DaemonSet", $"{ns}/{name}",
            (c, t) => c.AppsV1.ReadNamespacedDaemonSetAsync(name, ns, cancellationToken: t), ct).ConfigureAwait(false);
        return Describe(ds, outcome, managed, duration, complete);
    }

    internal static ClydeDaemonSet Describe(V1DaemonSet ds, ApplyOutcome outcome, bool managed, TimeSpan? duration, bool? complete) => new()
    {
        Name = ds.Metadata.Name,
        Namespace = ds.Metadata.NamespaceProperty,
        Image = DaemonSetManifest.ImageOf(ds),
        Outcome = outcome,
        ManagedByClydePS = managed,
        Desired = ds.Status?.DesiredNumberScheduled ?? 0,
        Ready = ds.Status?.NumberReady ?? 0,
        Available = ds.Status?.NumberAvailable ?? 0,
        Updated = ds.Status?.UpdatedNumberScheduled ?? 0,
        Duration = duration,
        Complete = complete,
        Generation = ds.Metadata.Generation ?? 0,
        ResourceVersion = ds.Metadata.ResourceVersion,
    };
}
