using System.Text.RegularExpressions;
using ClydePS.Engine.Kube;
using k8s;
using k8s.Models;

namespace ClydePS.Engine.Seeding;

/// <summary>What Remove-ClydeLeftover looks for.</summary>
public sealed record LeftoverQuery
{
    /// <summary>One namespace; null for all namespaces.</summary>
    public string? Namespace { get; init; }

    /// <summary>Only the helpers of this run (<c>clydeps.io/run</c>); then seed pods held for a rollout are removed too.</summary>
    public string? Run { get; init; }

    /// <summary>Only helpers created at least this long ago (cluster time).</summary>
    public TimeSpan? OlderThan { get; init; }

    /// <summary>Remove seed pods held for a rollout too.</summary>
    public bool Force { get; init; }
}

/// <summary>One helper object found, and whether it is to be deleted (<see cref="Delete"/>) or kept, with the reason.</summary>
public sealed record LeftoverCandidate(
    string Kind,
    string Namespace,
    string Name,
    string Role,
    string Run,
    string? Node,
    string? Workload,
    DateTimeOffset? CreationTimestamp,
    TimeSpan? Age,
    bool Delete,
    string Reason)
{
    public ClydeLeftover ToResult(LeftoverAction action, string? reason = null) => new()
    {
        Kind = Kind,
        Namespace = Namespace,
        Name = Name,
        Role = Role,
        Run = Run,
        Node = Node,
        Workload = Workload,
        CreationTimestamp = CreationTimestamp,
        Age = Age,
        Action = action,
        Reason = reason ?? Reason,
    };
}

/// <summary>
/// Finds and deletes the short-lived helpers ClydePS created (ARCHITECTURE.md "Kubernetes names"): pods, DaemonSets, Jobs and
/// ConfigMaps labelled <c>app.kubernetes.io/managed-by=ClydePS</c> with a <c>clydeps.io/role</c> of seed, probe, prepull or agent
/// and a <c>clydeps.io/run</c>. One list per kind, selected by the API server; objects without both labels (a user's
/// DaemonSet, meshes, the webhook, RBAC) are never touched. A seed pod annotated <c>clydeps.io/workload=ns/name</c> is held
/// while that DaemonSet exists and has no Running pod on the seed pod's node yet (kubelet image GC treats images of
/// existing pods as in use), unless a run is named or <see cref="LeftoverQuery.Force"/> is set. A pre-pull holder pod (role
/// prepull, annotated <c>clydeps.io/hold=&lt;seeder label&gt;</c>) is kept while its node exists and still carries that seeder
/// label (same exceptions); Start-ClydePrePull itself removes holders of images dropped from its image list.
/// </summary>
public static partial class Leftovers
{
    /// <summary>The helper roles, in the order of the selector.</summary>
    public static readonly IReadOnlyList<string> Roles = ["agent", "prepull", "probe", "seed"];

    /// <summary>The kinds, in the order they are listed and deleted (owners before pods, so their pods go with them).</summary>
    public static readonly IReadOnlyList<string> Kinds = ["DaemonSet", "Job", "Pod", "ConfigMap"];

    /// <summary>Concurrent deletes.</summary>
    const int Parallelism = 8;

    [GeneratedRegex("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValue();

    /// <summary>The label selector of every helper (or of one run's helpers).</summary>
    public static string Selector(string? run) =>
        $"{NodeImages.ManagedByLabel}={NodeImages.ManagedByValue},{NodeImages.RoleLabel} in ({string.Join(",", Roles)}),{NodeImages.RunLabel}" +
        (run is null ? "" : "=" + run);

    /// <summary>Rejects a run id that cannot be a label value, before any request.</summary>
    public static void Validate(LeftoverQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Run is { } run && (run.Length is 0 or > 63 || !LabelValue().IsMatch(run)))
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeInvalidRunId",
                $"'{run}' is not a run id: run ids are label values (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit).", run);
        }
        if (query.OlderThan is { } age && age < TimeSpan.Zero)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeInvalidDuration", $"-OlderThan must not be negative ({age}).", age);
        }
    }

    /// <summary>
    /// Lists the helpers (one request per kind) and decides for each whether it goes: the candidates, DaemonSets first, then
    /// Jobs, pods and ConfigMaps, each sorted by namespace and name. Helpers younger than <see cref="LeftoverQuery.OlderThan"/>
    /// and pods controlled by a DaemonSet or Job (they go with their owner) are left out. Deciding whether seed pods are
    /// held costs one get of the DaemonSet and one list of its pods per distinct workload.
    /// </summary>
    public static async Task<IReadOnlyList<LeftoverCandidate>> FindAsync(ClusterGateway gateway, LeftoverQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        Validate(query);
        var selector = Selector(query.Run);
        var ns = query.Namespace;
        var now = gateway.LabTime.GetUtcNow();

        var daemonSets = await ListAsync<V1DaemonSet, V1DaemonSetList>(gateway, "list ClydePS DaemonSets", ns,
            (c, r, t) => ns is null
                ? c.AppsV1.ListDaemonSetForAllNamespacesWithHttpMessagesAsync(labelSelector: selector, continueParameter: r.Continue, limit: r.Limit, cancellationToken: t)
                : c.AppsV1.ListNamespacedDaemonSetWithHttpMessagesAsync(ns, labelSelector: selector, continueParameter: r.Continue, limit: r.Limit, cancellationToken: t), ct).ConfigureAwait(false);
        var jobs = await ListAsync<V1Job, V1JobList>(gateway, "list ClydePS Jobs", ns,
            (c, r, t) => ns is null
                ? c.BatchV1.ListJobForAllNamespacesWithHttpMessagesAsync(labelSelector: selector, continueParameter: r.Continue, limit: r.Limit, cancellationToken: t)
                : c.BatchV1.ListNamespacedJobWithHttpMessagesAsync(ns, labelSelector: selector, continueParameter: r.Continue, limit: r.Limit, cancellationToken: t), ct).ConfigureAwait(false);
        var pods = await ListAsync<V1Pod, V1PodList>(gateway, "list ClydePS pods", ns,
            (c, r, t) => ns is null
                ? c.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(labelSelector: selector, continueParameter: r.Continue, limit: r.Limit, cancellationToken: t)
                : c.CoreV1.ListNamespacedPodWithHttpMessagesAsync(ns, labelSelector: selector, continueParameter: r.Continue, limit: r.Limit, cancellationToken: t), ct).ConfigureAwait(false);
        var configMaps = await ListAsync<V1ConfigMap, V1ConfigMapList>(gateway, "list ClydePS ConfigMaps", ns,
            (c, r, t) => ns is null
                ? c.CoreV1.ListConfigMapForAllNamespacesWithHttpMessagesAsync(labelSelector: selector, continueParameter: r.Continue, limit: r.Limit, cancellationToken: t)
                : c.CoreV1.ListNamespacedConfigMapWithHttpMessagesAsync(ns, labelSelector: selector, continueParameter: r.Continue, limit: r.Limit, cancellationToken: t), ct).ConfigureAwait(false);

        bool Wanted(V1ObjectMeta m) => IsHelper(m, query.Run) && (query.OlderThan is not { } min || m.CreationTimestamp is not { } created
            || now - new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc)) >= min);

        var result = new List<LeftoverCandidate>();
        result.AddRange(Sorted(daemonSets.Where(d => Wanted(d.Metadata))).Select(d => Candidate("DaemonSet", d.Metadata, now, null, null, true, "temporary DaemonSet")));
        result.AddRange(Sorted(jobs.Where(j => Wanted(j.Metadata))).Select(j => Candidate("Job", j.Metadata, now, null, null, true, "helper Job (its pods go with it)")));

        var podList = Sorted(pods.Where(p => Wanted(p.Metadata) && !ControlledByWorkload(p))).ToArray();
        var holds = query.Run is null && !query.Force
            ? await HeldNodesAsync(gateway, podList.Where(p => Role(p.Metadata) == NodeImages.SeedRole).Select(Workload).OfType<string>().Distinct().ToArray(), ct).ConfigureAwait(false)
            : new Dictionary<string, WorkloadState>();
        // Pre-pull holders stay while their node still carries the seeder label they were made for (one node list, only when there are any).
        var holderLabels = query.Run is null && !query.Force
            ? podList.Where(p => Role(p.Metadata) == SeedPod.PrePullRole).Select(HoldLabel).OfType<string>().Distinct().ToArray()
            : [];
        var nodeLabels = holderLabels.Length == 0
            ? new Dictionary<string, IDictionary<string, string>>(StringComparer.Ordinal)
            : (await gateway.ListNodesAsync(null, ct).ConfigureAwait(false)).ToDictionary(n => n.Metadata.Name,
                n => n.Metadata.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (var pod in podList)
        {
            var node = NodeImages.PodNode(pod);
            if (Role(pod.Metadata) == SeedPod.PrePullRole && HoldLabel(pod) is { } hold)
            {
                var (keep, why) = HolderDecision(hold, node, NodeImage(pod), nodeLabels, query);
                result.Add(Candidate("Pod", pod.Metadata, now, string.IsNullOrEmpty(node) ? null : node, null, !keep, why));
                continue;
            }
            var workload = Role(pod.Metadata) == NodeImages.SeedRole ? Workload(pod) : null;
            var (delete, reason) = (Role(pod.Metadata), workload) switch
            {
                (NodeImages.SeedRole, { } w) when holds.TryGetValue(w, out var state) => state.Exists && !state.RunningOn.Contains(node)
                    ? (false, $"held for DaemonSet {w}: it has no Running pod on node {node} yet")
                    : (true, state.Exists ? $"DaemonSet {w} runs on node {node}: the seed pod is no longer needed" : $"DaemonSet {w} no longer exists"),
                (NodeImages.SeedRole, { } w) => (true, query.Run is not null ? $"run {query.Run} named: removed without checking whether DaemonSet {w} still needs it"
                    : $"-Force: removed without checking whether DaemonSet {w} still needs it"),
                (NodeImages.SeedRole, null) => (true, "seed pod not held for a workload"),
                (var role, _) => (true, $"{role} pod"),
            };
            result.Add(Candidate("Pod", pod.Metadata, now, string.IsNullOrEmpty(node) ? null : node, workload, delete, reason));
        }
        result.AddRange(Sorted(configMaps.Where(c => Wanted(c.Metadata))).Select(c => Candidate("ConfigMap", c.Metadata, now, null, null, true, "hand-back ConfigMap")));
        return result;
    }

    /// <summary>
    /// Deletes the candidates (propagation Background), <see cref="Parallelism"/> at a time. An object already gone counts as
    /// deleted; one that cannot be deleted is Kept with the error, which is also returned.
    /// </summary>
    public static async Task<IReadOnlyList<(ClydeLeftover Result, ClydeException? Error)>> DeleteAsync(ClusterGateway gateway,
        IReadOnlyList<LeftoverCandidate> candidates, Action<ClydeLeftover>? onDone, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(candidates);
        using var gate = new SemaphoreSlim(Parallelism);
        var tasks = candidates.Select(async c =>
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                (ClydeLeftover, ClydeException?) outcome;
                try
                {
                    await DeleteOneAsync(gateway, c, ct).ConfigureAwait(false);
                    outcome = (c.ToResult(LeftoverAction.Deleted), null);
                }
                catch (ClydeException e) when (e.StatusCode == 404)
                {
                    outcome = (c.ToResult(LeftoverAction.Deleted, c.Reason + "; already gone"), null);
                }
                catch (ClydeException e)
                {
                    outcome = (c.ToResult(LeftoverAction.Kept, "delete failed: " + e.Message), e);
                }
                onDone?.Invoke(outcome.Item1);
                return outcome;
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    static Task DeleteOneAsync(ClusterGateway gateway, LeftoverCandidate c, CancellationToken ct)
    {
        const string background = "Background";
        var target = $"{c.Namespace}/{c.Name}";
        return c.Kind switch
        {
            "DaemonSet" => gateway.CallAsync("delete DaemonSet", target,
                (k, t) => k.AppsV1.DeleteNamespacedDaemonSetAsync(c.Name, c.Namespace, propagationPolicy: background, cancellationToken: t), ct),
            "Job" => gateway.CallAsync("delete Job", target,
                (k, t) => k.BatchV1.DeleteNamespacedJobAsync(c.Name, c.Namespace, propagationPolicy: background, cancellationToken: t), ct),
            "Pod" => gateway.CallAsync("delete pod", target,
                (k, t) => k.CoreV1.DeleteNamespacedPodAsync(c.Name, c.Namespace, propagationPolicy: background, cancellationToken: t), ct),
            "ConfigMap" => gateway.CallAsync("delete ConfigMap", target,
                (k, t) => k.CoreV1.DeleteNamespacedConfigMapAsync(c.Name, c.Namespace, propagationPolicy: background, cancellationToken: t), ct),
            _ => throw new ArgumentException($"Unknown kind {c.Kind}.", nameof(c)),
        };
    }

    /// <summary>True when the labels make the object a ClydePS helper (checked again here, whatever the server selected).</summary>
    public static bool IsHelper(V1ObjectMeta? meta, string? run = null)
    {
        var labels = meta?.Labels;
        return labels is not null
            && labels.TryGetValue(NodeImages.ManagedByLabel, out var by) && by == NodeImages.ManagedByValue
            && labels.TryGetValue(NodeImages.RoleLabel, out var role) && Roles.Contains(role)
            && labels.TryGetValue(NodeImages.RunLabel, out var r) && !string.IsNullOrEmpty(r)
            && (run is null || r == run);
    }

    sealed record WorkloadState(bool Exists, HashSet<string> RunningOn);

    /// <summary>For each workload (<c>ns/name</c>): whether the DaemonSet exists and the nodes where one of its pods is Running.</summary>
    static async Task<Dictionary<string, WorkloadState>> HeldNodesAsync(ClusterGateway gateway, IReadOnlyList<string> workloads, CancellationToken ct)
    {
        var states = new Dictionary<string, WorkloadState>(StringComparer.Ordinal);
        foreach (var workload in workloads)
        {
            var slash = workload.IndexOf('/');
            if (slash <= 0 || slash == workload.Length - 1)
            {
                states[workload] = new WorkloadState(false, []);
                continue;
            }
            var (ns, name) = (workload[..slash], workload[(slash + 1)..]);
            V1DaemonSet ds;
            try
            {
                ds = await gateway.CallAsync("get DaemonSet", workload,
                    (c, t) => c.AppsV1.ReadNamespacedDaemonSetAsync(name, ns, cancellationToken: t), ct).ConfigureAwait(false);
            }
            catch (ClydeException e) when (e.StatusCode == 404)
            {
                states[workload] = new WorkloadState(false, []);
                continue;
            }
            if (ds.Metadata?.DeletionTimestamp is not null)
            {
                states[workload] = new WorkloadState(false, []);
                continue;
            }
            var matchLabels = ds.Spec?.Selector?.MatchLabels;
            var selector = matchLabels is { Count: > 0 } ? string.Join(",", matchLabels.Select(kv => $"{kv.Key}={kv.Value}")) : null;
            var pods = await ListAsync<V1Pod, V1PodList>(gateway, "list DaemonSet pods", workload,
                (c, r, t) => c.CoreV1.ListNamespacedPodWithHttpMessagesAsync(ns, labelSelector: selector, continueParameter: r.Continue, limit: r.Limit, cancellationToken: t),
                ct).ConfigureAwait(false);
            var running = pods
                .Where(p => p.Metadata?.OwnerReferences?.Any(o => o.Controller == true && o.Uid == ds.Metadata!.Uid) == true
                            && p.Status?.Phase == "Running" && p.Metadata.DeletionTimestamp is null && !string.IsNullOrEmpty(p.Spec?.NodeName))
                .Select(p => p.Spec.NodeName)
                .ToHashSet(StringComparer.Ordinal);
            states[workload] = new WorkloadState(true, running);
        }
        return states;
    }

    /// <summary>
    /// A pre-pull holder (annotation <c>clydeps.io/hold=&lt;seeder label&gt;</c>) is kept while its node exists and carries that
    /// label: Start-ClydePrePull removes holders of images dropped from its image list. A named run or -Force removes it.
    /// </summary>
    internal static (bool Keep, string Reason) HolderDecision(string holdLabel, string node, string image,
        IReadOnlyDictionary<string, IDictionary<string, string>> nodeLabels, LeftoverQuery query)
    {
        if (query.Run is not null)
        {
            return (false, $"run {query.Run} named: pre-pull holder of {image} removed; kubelet may now garbage-collect the image on {node}");
        }
        if (query.Force)
        {
            return (false, $"-Force: pre-pull holder of {image} removed; kubelet may now garbage-collect the image on {node}");
        }
        var eq = holdLabel.IndexOf('=');
        var (key, value) = eq > 0 ? (holdLabel[..eq], holdLabel[(eq + 1)..]) : (holdLabel, "true");
        if (!nodeLabels.TryGetValue(node, out var labels))
        {
            return (false, $"pre-pull holder of {image}: node {node} no longer exists");
        }
        return labels.TryGetValue(key, out var v) && v == value
            ? (true, $"pre-pull holder of {image}: node {node} is still a seeder ({holdLabel}); it keeps the image safe from kubelet's image garbage collection")
            : (false, $"pre-pull holder of {image}: node {node} is no longer a seeder ({holdLabel})");
    }

    static string? HoldLabel(V1Pod pod) =>
        pod.Metadata?.Annotations is { } a && a.TryGetValue(HoldAnnotation, out var h) && !string.IsNullOrWhiteSpace(h) ? h.Trim() : null;

    static string NodeImage(V1Pod pod) =>
        pod.Metadata?.Annotations is { } a && a.TryGetValue(NodeImages.ImageAnnotation, out var i) ? i : "?";

    /// <summary>The pre-pull holder marker (<c>ClydePS.Engine.Seeders.PrePullRunner.HoldAnnotation</c>).</summary>
    public const string HoldAnnotation = "clydeps.io/hold";

    static bool ControlledByWorkload(V1Pod pod) =>
        pod.Metadata?.OwnerReferences?.Any(o => o.Controller == true && o.Kind is "DaemonSet" or "Job") == true;

    static string? Workload(V1Pod pod) =>
        pod.Metadata?.Annotations is { } a && a.TryGetValue(NodeImages.WorkloadAnnotation, out var w) && !string.IsNullOrWhiteSpace(w) ? w.Trim() : null;

    static string Role(V1ObjectMeta meta) => meta.Labels?.TryGetValue(NodeImages.RoleLabel, out var r) == true ? r : "";

    static IEnumerable<T> Sorted<T>(IEnumerable<T> items) where T : IMetadata<V1ObjectMeta> =>
        items.OrderBy(i => i.Metadata?.NamespaceProperty, StringComparer.Ordinal).ThenBy(i => i.Metadata?.Name, StringComparer.Ordinal);

    static LeftoverCandidate Candidate(string kind, V1ObjectMeta meta, DateTimeOffset now, string? node, string? workload, bool delete, string reason)
    {
        DateTimeOffset? created = meta.CreationTimestamp is { } c ? new DateTimeOffset(DateTime.SpecifyKind(c, DateTimeKind.Utc)) : null;
        TimeSpan? age = created is { } at ? TimeSpan.FromSeconds(Math.Max(0, Math.Floor((now - at).TotalSeconds))) : null;
        return new LeftoverCandidate(kind, meta.NamespaceProperty ?? "", meta.Name ?? "", Role(meta),
            meta.Labels?.TryGetValue(NodeImages.RunLabel, out var run) == true ? run : "", node, workload, created, age, delete, reason);
    }

    static async Task<IReadOnlyList<T>> ListAsync<T, TList>(ClusterGateway gateway, string operation, object? target, ListCall<TList> call, CancellationToken ct)
        where TList : IItems<T>, IMetadata<V1ListMeta> =>
        (await gateway.ListAsync<T, TList>(operation, target, call, ct).ConfigureAwait(false)).Items;
}
