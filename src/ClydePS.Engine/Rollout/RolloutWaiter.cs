using System.Globalization;
using ClydePS.Engine.Kube;
using k8s;
using k8s.Models;

namespace ClydePS.Engine.Rollout;

/// <summary>One step of a rollout, for progress reporting.</summary>
public sealed record RolloutProgress(RolloutKind Kind, string Namespace, string Name, string Message, int Desired, int Updated, int Ready, int Available, bool Complete);

/// <summary>How a wait ended (a timeout or a failed Job throws instead).</summary>
public sealed record RolloutOutcome(ClydeRolloutStatus Status)
{
    public bool Complete => Status.Complete;
    public TimeSpan Duration => Status.Duration;
}

/// <summary>
/// Waits for a DaemonSet, StatefulSet or Job to finish rolling out, driven by one watch of that object (a field selector on
/// <c>metadata.name</c>; no polling of pods), deciding completion with <see cref="RolloutStatusViewer"/>. Timeouts run in
/// the cluster's clock (<see cref="ClusterGateway.LabTime"/>). On timeout it lists the workload's pods once, by its
/// selector, and names the nodes and pods behind with their waiting reasons.
/// </summary>
public static class RolloutWaiter
{
    public static async Task<RolloutOutcome> WaitAsync(ClusterGateway gw, RolloutKind kind, string ns, string name, TimeSpan timeout,
        Action<RolloutProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gw);
        if (timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, RolloutErrorIds.InvalidTimeout, $"The timeout ({timeout}) must be positive.", timeout);
        }

        long started = gw.LabTime.GetTimestamp();
        return kind switch
        {
            RolloutKind.DaemonSet => await WaitCoreAsync<V1DaemonSet, V1DaemonSetList>(gw, kind, ns, name, timeout, progress, started,
                (c, r, t) => c.AppsV1.ListNamespacedDaemonSetWithHttpMessagesAsync(ns, fieldSelector: Field(name), continueParameter: r.Continue, limit: r.Limit,
                    watch: r.Watch, resourceVersion: r.ResourceVersion, allowWatchBookmarks: r.AllowWatchBookmarks, timeoutSeconds: r.TimeoutSeconds, cancellationToken: t),
                (c, t) => c.AppsV1.ReadNamespacedDaemonSetAsync(name, ns, cancellationToken: t),
                RolloutStatusViewer.DaemonSet, d => d.Spec?.Selector, ct).ConfigureAwait(false),
            RolloutKind.StatefulSet => await WaitCoreAsync<V1StatefulSet, V1StatefulSetList>(gw, kind, ns, name, timeout, progress, started,
                (c, r, t) => c.AppsV1.ListNamespacedStatefulSetWithHttpMessagesAsync(ns, fieldSelector: Field(name), continueParameter: r.Continue, limit: r.Limit,
                    watch: r.Watch, resourceVersion: r.ResourceVersion, allowWatchBookmarks: r.AllowWatchBookmarks, timeoutSeconds: r.TimeoutSeconds, cancellationToken: t),
                (c, t) => c.AppsV1.ReadNamespacedStatefulSetAsync(name, ns, cancellationToken: t),
                RolloutStatusViewer.StatefulSet, s => s.Spec?.Selector, ct).ConfigureAwait(false),
            RolloutKind.Job => await WaitCoreAsync<V1Job, V1JobList>(gw, kind, ns, name, timeout, progress, started,
                (c, r, t) => c.BatchV1.ListNamespacedJobWithHttpMessagesAsync(ns, fieldSelector: Field(name), continueParameter: r.Continue, limit: r.Limit,
                    watch: r.Watch, resourceVersion: r.ResourceVersion, allowWatchBookmarks: r.AllowWatchBookmarks, timeoutSeconds: r.TimeoutSeconds, cancellationToken: t),
                (c, t) => c.BatchV1.ReadNamespacedJobAsync(name, ns, cancellationToken: t),
                RolloutStatusViewer.Job, j => j.Spec?.Selector, ct).ConfigureAwait(false),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    private static string Field(string name) => $"metadata.name={name}";

    private static async Task<RolloutOutcome> WaitCoreAsync<T, TList>(ClusterGateway gw, RolloutKind kind, string ns, string name, TimeSpan timeout,
        Action<RolloutProgress>? progress, long started, ListCall<TList> listOrWatch, Func<IKubernetes, CancellationToken, Task<T>> read,
        Func<T, RolloutState> evaluate, Func<T, V1LabelSelector?> selectorOf, CancellationToken ct)
        where T : class, IKubernetesObject<V1ObjectMeta>
        where TList : IItems<T>, IMetadata<V1ListMeta>
    {
        string target = $"{ns}/{name}";
        string what = KindWord(kind);

        // One read first: a missing workload is a clear NotFound, not a silent wait.
        T current;
        try
        {
            current = await gw.CallAsync($"get {what}", target, read, ct).ConfigureAwait(false);
        }
        catch (ClydeException e) when (e.StatusCode == 404)
        {
            throw new ClydeException(ClydeErrorKind.NotFound, RolloutErrorIds.WorkloadNotFound,
                $"{kind} '{name}' was not found in namespace '{ns}'. Check the name and -Namespace (kubectl get {kind.ToString().ToLowerInvariant()}s -n {ns}), or pass -Kind for a StatefulSet or Job.", target, e);
        }

        RolloutState state = evaluate(current);
        Report(progress, kind, ns, name, state);
        if (state.Failure is null && !state.Done)
        {
            using var deadline = timeout == Timeout.InfiniteTimeSpan ? new CancellationTokenSource() : new CancellationTokenSource(timeout, gw.LabTime);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
            try
            {
                await foreach (var (type, obj) in gw.WatchAsync<T, TList>($"watch {what}", target, listOrWatch, linked.Token).ConfigureAwait(false))
                {
                    if (obj.Metadata?.Name != name)
                    {
                        continue;
                    }

                    if (type == WatchEventType.Deleted)
                    {
                        throw new ClydeException(ClydeErrorKind.NotFound, RolloutErrorIds.WorkloadDeleted,
                            $"{kind} '{name}' in namespace '{ns}' was deleted while waiting for its rollout.", target);
                    }

                    current = obj;
                    state = evaluate(current);
                    Report(progress, kind, ns, name, state);
                    if (state.Done || state.Failure is not null)
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                TimeSpan waited = gw.LabTime.GetElapsedTime(started);
                IReadOnlyList<string> behind = await BehindAsync(gw, kind, ns, current, selectorOf(current), ct).ConfigureAwait(false);
                string list = behind.Count == 0 ? "" : " Behind: " + string.Join("; ", behind.Take(20)) + (behind.Count > 20 ? $"; and {behind.Count - 20} more" : "") + ".";
                var status = new ClydeRolloutStatus
                {
                    Kind = kind,
                    Name = name,
                    Namespace = ns,
                    Complete = false,
                    Desired = state.Desired,
                    Updated = state.Updated,
                    Ready = state.Ready,
                    Available = state.Available,
                    Message = state.Message,
                    Duration = waited,
                    Behind = behind.ToArray(),
                };
                throw new ClydeException(ClydeErrorKind.Timeout, RolloutErrorIds.RolloutTimeout,
                    $"The rollout of {kind} {ns}/{name} did not complete within {Seconds(timeout)}: {state.Message.TrimEnd('.', ' ')}.{list}", status);
            }
        }

        if (state.Failure is not null)
        {
            throw new ClydeException(ClydeErrorKind.Unknown, RolloutErrorIds.JobFailed, $"Job {ns}/{name} failed: {state.Failure}.", target);
        }

        return new RolloutOutcome(new ClydeRolloutStatus
        {
            Kind = kind,
            Name = name,
            Namespace = ns,
            Complete = state.Done,
            Desired = state.Desired,
            Updated = state.Updated,
            Ready = state.Ready,
            Available = state.Available,
            Message = state.Message,
            Duration = gw.LabTime.GetElapsedTime(started),
        });
    }

    private static void Report(Action<RolloutProgress>? progress, RolloutKind kind, string ns, string name, RolloutState s) =>
        progress?.Invoke(new RolloutProgress(kind, ns, name, s.Message, s.Desired, s.Updated, s.Ready, s.Available, s.Done));

    /// <summary>
    /// The pods behind (not ready, or not succeeded for a Job) with their reasons, as <c>node/pod: reason</c>, and for a
    /// DaemonSet the nodes that should run a pod and have none yet. One pod list by selector (plus one node list for a DaemonSet).
    /// </summary>
    internal static async Task<IReadOnlyList<string>> BehindAsync(ClusterGateway gw, RolloutKind kind, string ns, object workload, V1LabelSelector? selector,
        CancellationToken ct)
    {
        var behind = new List<string>();
        try
        {
            string? labelSelector = ToSelectorString(selector);
            if (labelSelector is null)
            {
                return behind;
            }

            var pods = (await gw.ListAsync<V1Pod, V1PodList>("list the workload's pods", ns,
                (c, r, t) => c.CoreV1.ListNamespacedPodWithHttpMessagesAsync(ns, labelSelector: labelSelector, continueParameter: r.Continue, limit: r.Limit,
                    cancellationToken: t), ct).ConfigureAwait(false)).Items;
            foreach (var pod in pods.OrderBy(p => p.Spec?.NodeName ?? "", StringComparer.Ordinal).ThenBy(p => p.Metadata.Name, StringComparer.Ordinal))
            {
                if (PodReason(kind, pod) is { } reason)
                {
                    string node = pod.Spec?.NodeName ?? TargetNode(pod) ?? "(unscheduled)";
                    behind.Add($"{node}/{pod.Metadata.Name}: {reason}");
                }
            }

            if (workload is V1DaemonSet ds)
            {
                var placement = DaemonSetManifest.Placement(ds);
                var withPod = pods.Select(p => p.Spec?.NodeName ?? TargetNode(p)).Where(n => n is not null).ToHashSet(StringComparer.Ordinal);
                var nodes = await gw.ListNodesAsync(null, ct).ConfigureAwait(false);
                foreach (var node in nodes.OrderBy(n => n.Metadata.Name, StringComparer.Ordinal))
                {
                    string n = node.Metadata.Name;
                    var taints = (node.Spec?.Taints ?? []).Select(t => string.IsNullOrEmpty(t.Value) ? $"{t.Key}:{t.Effect}" : $"{t.Key}={t.Value}:{t.Effect}");
                    if (!withPod.Contains(n) && placement.CanRunOn(n, (IReadOnlyDictionary<string, string>?)node.Metadata.Labels?.AsReadOnly() ?? new Dictionary<string, string>(), taints))
                    {
                        behind.Add($"{n}: no pod yet");
                    }
                }
            }
        }
        catch (ClydeException)
        {
            // The diagnosis is a courtesy; the timeout is reported either way.
        }

        return behind;
    }

    /// <summary>Why a pod holds the rollout back, or null when it does not.</summary>
    internal static string? PodReason(RolloutKind kind, V1Pod pod)
    {
        var status = pod.Status;
        if (kind == RolloutKind.Job && status?.Phase == "Succeeded")
        {
            return null;
        }

        bool ready = status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;
        if (kind != RolloutKind.Job && ready && pod.Metadata?.DeletionTimestamp is null)
        {
            return null;
        }

        foreach (var c in (status?.InitContainerStatuses ?? []).Concat(status?.ContainerStatuses ?? []))
        {
            if (c.State?.Waiting is { Reason: { Length: > 0 } wr } w)
            {
                return string.IsNullOrEmpty(w.Message) ? wr : $"{wr} ({w.Message})";
            }

            if (c.State?.Terminated is { } t && t.ExitCode != 0)
            {
                return $"{t.Reason ?? "Terminated"} (exit code {t.ExitCode})";
            }
        }

        if (pod.Metadata?.DeletionTimestamp is not null)
        {
            return "Terminating";
        }

        if (status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled" && c.Status == "False") is { } unscheduled)
        {
            return string.IsNullOrEmpty(unscheduled.Message) ? unscheduled.Reason ?? "Unschedulable" : $"{unscheduled.Reason} ({unscheduled.Message})";
        }

        if (status?.Phase is "Failed")
        {
            return string.IsNullOrEmpty(status.Reason) ? "Failed" : $"{status.Reason} ({status.Message})";
        }

        return status?.Phase is null or "Pending" ? "Pending"
            : kind == RolloutKind.Job ? $"{status.Phase}, not finished"
            : $"{status.Phase}, not ready";
    }

    /// <summary>The node a DaemonSet pod is meant for (its <c>matchFields metadata.name</c> affinity) before it is bound.</summary>
    private static string? TargetNode(V1Pod pod) =>
        pod.Spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms?
            .SelectMany(t => t.MatchFields ?? []).FirstOrDefault(f => f.Key == "metadata.name" && f.OperatorProperty == "In")?.Values?.FirstOrDefault();

    /// <summary>A label selector in the query string form (<c>a=b,c in (d,e),!f</c>); null when it selects nothing.</summary>
    public static string? ToSelectorString(V1LabelSelector? selector)
    {
        if (selector is null)
        {
            return null;
        }

        var parts = new List<string>();
        foreach (var (k, v) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            parts.Add($"{k}={v}");
        }

        foreach (var e in selector.MatchExpressions ?? [])
        {
            string values = string.Join(",", e.Values ?? []);
            parts.Add(e.OperatorProperty switch
            {
                "In" => $"{e.Key} in ({values})",
                "NotIn" => $"{e.Key} notin ({values})",
                "Exists" => e.Key,
                "DoesNotExist" => "!" + e.Key,
                _ => e.Key,
            });
        }

        return parts.Count == 0 ? null : string.Join(",", parts);
    }

    private static string KindWord(RolloutKind kind) => kind switch
    {
        RolloutKind.DaemonSet => "DaemonSet",
        RolloutKind.StatefulSet => "StatefulSet",
        _ => "Job",
    };

    private static string Seconds(TimeSpan t) => t.TotalSeconds < 120
        ? t.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + " s"
        : t.TotalMinutes.ToString("0.#", CultureInfo.InvariantCulture) + " min";
}
