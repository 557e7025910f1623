using System.Text.Json.Nodes;
using ClydePS.Engine.Kube;
using ClydePS.Engine.Rollout;
using ClydePS.Engine.Seeding;
using k8s;
using k8s.Models;

namespace ClydePS.Engine.Snapshot;

/// <summary>What an agent run reports while it works: its phase (RBAC, Job, Waiting, Retrieving), messages, and the agent's log lines.</summary>
public sealed class SnapshotAgentCallbacks
{
    public Action<string, string>? Phase { get; init; }
    public Action<string>? Message { get; init; }
    public Action<string>? AgentLog { get; init; }
}

/// <summary>The outcome of one agent run.</summary>
public sealed record SnapshotAgentResult(ClydeSnapshot Snapshot, string JobName, string? Node, IReadOnlyList<string> RbacChanges);

/// <summary>
/// Agent mode of Invoke-ClydeSnapshot, as the original's later version does it: check every permission first
/// (SelfSubjectAccessReview; the missing ones listed), reconcile the RBAC (created if missing, updated if it drifted, left alone
/// if right), create the hand-back ConfigMap, recreate the Job (foreground delete of one with that name, wait until it is gone),
/// wait for it with <see cref="RolloutWaiter"/> (one watch that survives drops) while the agent's log streams, read the snapshot
/// back, and clean up: the Job and the hand-back ConfigMap always (after failure, timeout and Ctrl+C too, with a fresh token),
/// the RBAC only when asked. A failed or timed-out run's error carries the agent pod's status reason and log.
/// </summary>
public static class SnapshotAgentRunner
{
    /// <summary>Log lines of the agent kept for an error message.</summary>
    public const int LogLinesInError = 40;

    /// <summary>How long a Job of the same name may take to go away.</summary>
    public static readonly TimeSpan JobDeleteTimeout = TimeSpan.FromSeconds(30);

    public static async Task<SnapshotAgentResult> RunAsync(ClusterGateway gw, SnapshotAgentOptions o, SnapshotAgentCallbacks? cb, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gw);
        ArgumentNullException.ThrowIfNull(o);
        cb ??= new SnapshotAgentCallbacks();
        SnapshotAgentPod.Validate(o);
        string ns = o.Namespace;
        string job = o.EffectiveJobName;

        cb.Phase?.Invoke("Checking", "Checking permissions");
        try
        {
            await SeedWorkload.EnsureNamespaceAsync(gw, ns, ct).ConfigureAwait(false);
        }
        catch (ClydeException e) when (e.StatusCode == 403)
        {
            // A namespace-scoped user may not read namespaces; the access reviews below say what is missing.
        }

        await CheckPermissionsAsync(gw, o, ct).ConfigureAwait(false);

        cb.Phase?.Invoke("RBAC", "Reconciling the agent's RBAC");
        var changes = await ReconcileRbacAsync(gw, o, ct).ConfigureAwait(false);
        foreach (var c in changes)
        {
            cb.Message?.Invoke(c);
        }

        bool created = false;
        try
        {
            cb.Phase?.Invoke("Job", $"Creating Job {ns}/{job}");
            await gw.CallAsync("create ConfigMap", $"{ns}/{o.HandBackName}",
                (c, t) => c.CoreV1.CreateNamespacedConfigMapAsync(SnapshotAgentPod.HandBack(o), ns, cancellationToken: t), ct).ConfigureAwait(false);
            created = true;
            await RecreateJobAsync(gw, o, cb, ct).ConfigureAwait(false);

            cb.Phase?.Invoke("Waiting", $"Waiting for Job {ns}/{job}");
            var log = new AgentLog();
            using var following = CancellationTokenSource.CreateLinkedTokenSource(ct);
            Task follower = FollowAsync(gw, o, log, cb, following.Token);
            try
            {
                await RolloutWaiter.WaitAsync(gw, RolloutKind.Job, ns, job, o.Timeout,
                    p => cb.Phase?.Invoke("Waiting", p.Message.TrimEnd('.')), ct).ConfigureAwait(false);
            }
            catch (ClydeException e) when (e.ErrorId is RolloutErrorIds.RolloutTimeout or RolloutErrorIds.JobFailed or RolloutErrorIds.WorkloadDeleted)
            {
                await StopFollowingAsync(follower, following, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                throw await FailureAsync(gw, o, e, log, ct).ConfigureAwait(false);
            }

            // The log ends with the container; let the last lines arrive.
            await StopFollowingAsync(follower, following, TimeSpan.FromSeconds(5)).ConfigureAwait(false);

            cb.Phase?.Invoke("Retrieving", $"Reading ConfigMap {ns}/{o.HandBackName}");
            var cm = await gw.CallAsync("read ConfigMap", $"{ns}/{o.HandBackName}",
                (c, t) => c.CoreV1.ReadNamespacedConfigMapAsync(o.HandBackName, ns, cancellationToken: t), ct).ConfigureAwait(false);
            if (cm.Data is null || !cm.Data.TryGetValue("snapshot.json", out var json) || string.IsNullOrWhiteSpace(json))
            {
                throw new ClydeException(ClydeErrorKind.Unknown, SnapshotAgentErrorIds.NoSnapshot,
                    $"The snapshot agent Job {ns}/{job} completed but wrote no snapshot into ConfigMap {ns}/{o.HandBackName}.{LogText(log.Lines)}", $"{ns}/{job}");
            }

            ClydeSnapshot snapshot;
            try
            {
                snapshot = SnapshotDocument.FromJson(json);
            }
            catch (FormatException e)
            {
                throw new ClydeException(ClydeErrorKind.Unknown, SnapshotAgentErrorIds.NoSnapshot,
                    $"The snapshot the agent wrote into ConfigMap {ns}/{o.HandBackName} cannot be read: {e.Message}.", $"{ns}/{o.HandBackName}", e);
            }

            return new SnapshotAgentResult(snapshot, job, log.Node, changes);
        }
        finally
        {
            await CleanupAsync(gw, o, created, cb.Message).ConfigureAwait(false);
        }
    }

    // ---- permissions ----

    /// <summary>One SelfSubjectAccessReview per permission (in parallel); fails with the list of the missing ones.</summary>
    public static async Task CheckPermissionsAsync(ClusterGateway gw, SnapshotAgentOptions o, CancellationToken ct)
    {
        var needed = SnapshotAgentPod.RequiredPermissions(o);
        using var gate = new SemaphoreSlim(8);
        var answers = await Task.WhenAll(needed.Select(async p =>
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var review = new V1SelfSubjectAccessReview
                {
                    ApiVersion = "authorization.k8s.io/v1",
                    Kind = "SelfSubjectAccessReview",
                    Spec = new V1SelfSubjectAccessReviewSpec
                    {
                        ResourceAttributes = new V1ResourceAttributes
                        {
                            Verb = p.Verb, Group = p.Group, Resource = p.Resource, Subresource = p.Subresource.Length == 0 ? null : p.Subresource,
                            NamespaceProperty = p.Namespace,
                        },
                    },
                };
                var answer = await gw.CallAsync("create SelfSubjectAccessReview", p.ToString(),
                    (c, t) => c.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(review, cancellationToken: t), ct).ConfigureAwait(false);
                return (Permission: p, Allowed: answer.Status?.Allowed == true);
            }
            finally
            {
                gate.Release();
            }
        })).ConfigureAwait(false);
        var missing = answers.Where(a => !a.Allowed).Select(a => a.Permission).ToArray();
        if (missing.Length > 0)
        {
            throw new ClydeException(ClydeErrorKind.Forbidden, SnapshotAgentErrorIds.Forbidden,
                $"You lack {missing.Length} permission(s) the snapshot agent needs; nothing was created. Missing: " +
                string.Join("; ", missing.Select(m => m.ToString())) + ".", missing.Select(m => m.ToString()).ToArray());
        }
    }

    // ---- RBAC ----

    static readonly OwnedKind<V1ServiceAccount> ServiceAccountKind = new()
    {
        Kind = "ServiceAccount",
        Read = (c, name, ns, t) => c.CoreV1.ReadNamespacedServiceAccountAsync(name, ns, cancellationToken: t),
        Create = (c, o, ns, t) => c.CoreV1.CreateNamespacedServiceAccountAsync(o, ns, cancellationToken: t),
        Replace = (c, o, name, ns, t) => c.CoreV1.ReplaceNamespacedServiceAccountAsync(o, name, ns, cancellationToken: t),
        OwnedFields = (_, _, _) => { },
        CopyOwned = (_, _) => { },
    };

    static readonly OwnedKind<V1Role> RoleKind = new()
    {
        Kind = "Role",
        Read = (c, name, ns, t) => c.RbacAuthorizationV1.ReadNamespacedRoleAsync(name, ns, cancellationToken: t),
        Create = (c, o, ns, t) => c.RbacAuthorizationV1.CreateNamespacedRoleAsync(o, ns, cancellationToken: t),
        Replace = (c, o, name, ns, t) => c.RbacAuthorizationV1.ReplaceNamespacedRoleAsync(o, name, ns, cancellationToken: t),
        OwnedFields = (o, _, node) => node["rules"] = OwnedFieldsApplier.ToNode(o.Rules),
        CopyOwned = (update, desired) => update.Rules = desired.Rules.Select(OwnedFieldsApplier.Clone).ToList(),
    };

    static readonly OwnedKind<V1RoleBinding> RoleBindingKind = new()
    {
        Kind = "RoleBinding",
        Read = (c, name, ns, t) => c.RbacAuthorizationV1.ReadNamespacedRoleBindingAsync(name, ns, cancellationToken: t),
        Create = (c, o, ns, t) => c.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(o, ns, cancellationToken: t),
        Replace = (c, o, name, ns, t) => c.RbacAuthorizationV1.ReplaceNamespacedRoleBindingAsync(o, name, ns, cancellationToken: t),
        OwnedFields = (o, _, node) => Binding(node, o.RoleRef, o.Subjects),
        CopyOwned = (update, desired) => update.Subjects = desired.Subjects.Select(OwnedFieldsApplier.Clone).ToList(),
    };

    static readonly OwnedKind<V1ClusterRole> ClusterRoleKind = new()
    {
        Kind = "ClusterRole",
        Read = (c, name, _, t) => c.RbacAuthorizationV1.ReadClusterRoleAsync(name, cancellationToken: t),
        Create = (c, o, _, t) => c.RbacAuthorizationV1.CreateClusterRoleAsync(ClusterScoped(o), cancellationToken: t),
        Replace = (c, o, name, _, t) => c.RbacAuthorizationV1.ReplaceClusterRoleAsync(ClusterScoped(o), name, cancellationToken: t),
        OwnedFields = (o, _, node) => node["rules"] = OwnedFieldsApplier.ToNode(o.Rules),
        CopyOwned = (update, desired) => update.Rules = desired.Rules.Select(OwnedFieldsApplier.Clone).ToList(),
    };

    static readonly OwnedKind<V1ClusterRoleBinding> ClusterRoleBindingKind = new()
    {
        Kind = "ClusterRoleBinding",
        Read = (c, name, _, t) => c.RbacAuthorizationV1.ReadClusterRoleBindingAsync(name, cancellationToken: t),
        Create = (c, o, _, t) => c.RbacAuthorizationV1.CreateClusterRoleBindingAsync(ClusterScoped(o), cancellationToken: t),
        Replace = (c, o, name, _, t) => c.RbacAuthorizationV1.ReplaceClusterRoleBindingAsync(ClusterScoped(o), name, cancellationToken: t),
        OwnedFields = (o, _, node) => Binding(node, o.RoleRef, o.Subjects),
        CopyOwned = (update, desired) => update.Subjects = desired.Subjects.Select(OwnedFieldsApplier.Clone).ToList(),
    };

    static void Binding(JsonObject node, V1RoleRef? roleRef, IList<Rbacv1Subject>? subjects)
    {
        node["roleRef"] = OwnedFieldsApplier.ToNode(roleRef);
        node["subjects"] = OwnedFieldsApplier.ToNode(subjects);
    }

    static T ClusterScoped<T>(T o) where T : IKubernetesObject<V1ObjectMeta>
    {
        o.Metadata.NamespaceProperty = null;
        return o;
    }

    /// <summary>Creates, updates or leaves each RBAC object; returns what happened to each, e.g. "ServiceAccount clyde/x: created".</summary>
    public static async Task<IReadOnlyList<string>> ReconcileRbacAsync(ClusterGateway gw, SnapshotAgentOptions o, CancellationToken ct)
    {
        var result = new List<string>();
        string ns = o.Namespace;
        async Task Apply<T>(OwnedKind<T> kind, T desired, string display, bool clusterScoped) where T : class, IKubernetesObject<V1ObjectMeta>
        {
            ApplyOutcome outcome;
            try
            {
                outcome = (await OwnedFieldsApplier.ApplyAsync(gw, kind, desired, ct).ConfigureAwait(false)).Outcome;
            }
            catch (ClydeException e) when (e.StatusCode == 422 && desired is V1RoleBinding or V1ClusterRoleBinding)
            {
                // roleRef is immutable: a binding pointing elsewhere is replaced.
                await DeleteAsync(gw, kind.Kind, clusterScoped ? null : ns, desired.Metadata.Name, ct).ConfigureAwait(false);
                desired.Metadata.NamespaceProperty = clusterScoped ? null : ns;
                outcome = (await OwnedFieldsApplier.ApplyAsync(gw, kind, desired, ct).ConfigureAwait(false)).Outcome;
                outcome = outcome == ApplyOutcome.Created ? ApplyOutcome.Updated : outcome;
            }

            result.Add($"{kind.Kind} {display}: {outcome.ToString().ToLowerInvariant()}");
        }

        string cluster = SnapshotAgentPod.ClusterRoleName(o);
        await Apply(ServiceAccountKind, SnapshotAgentPod.ServiceAccount(o), $"{ns}/{o.ServiceAccountName}", false).ConfigureAwait(false);
        await Apply(RoleKind, SnapshotAgentPod.AgentRole(o), $"{ns}/{o.ServiceAccountName}", false).ConfigureAwait(false);
        await Apply(RoleBindingKind, SnapshotAgentPod.RoleBinding(o), $"{ns}/{o.ServiceAccountName}", false).ConfigureAwait(false);
        await Apply(ClusterRoleKind, SnapshotAgentPod.ClusterRole(o), cluster, true).ConfigureAwait(false);
        await Apply(ClusterRoleBindingKind, SnapshotAgentPod.ClusterRoleBinding(o), cluster, true).ConfigureAwait(false);
        return result;
    }

    static Task DeleteAsync(ClusterGateway gw, string kind, string? ns, string name, CancellationToken ct)
    {
        Func<IKubernetes, CancellationToken, Task> call = kind switch
        {
            "ServiceAccount" => (c, t) => c.CoreV1.DeleteNamespacedServiceAccountAsync(name, ns, cancellationToken: t),
            "Role" => (c, t) => c.RbacAuthorizationV1.DeleteNamespacedRoleAsync(name, ns, cancellationToken: t),
            "RoleBinding" => (c, t) => c.RbacAuthorizationV1.DeleteNamespacedRoleBindingAsync(name, ns, cancellationToken: t),
            "ClusterRole" => (c, t) => c.RbacAuthorizationV1.DeleteClusterRoleAsync(name, cancellationToken: t),
            "ClusterRoleBinding" => (c, t) => c.RbacAuthorizationV1.DeleteClusterRoleBindingAsync(name, cancellationToken: t),
            "ConfigMap" => (c, t) => c.CoreV1.DeleteNamespacedConfigMapAsync(name, ns, cancellationToken: t),
            "Job" => (c, t) => c.BatchV1.DeleteNamespacedJobAsync(name, ns, propagationPolicy: "Background", cancellationToken: t),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        return gw.CallAsync($"delete {kind}", ns is null ? name : $"{ns}/{name}", call, ct);
    }

    // ---- Job ----

    /// <summary>Deletes a Job of that name (foreground propagation) and waits until it is gone, then creates the Job anew.</summary>
    static async Task RecreateJobAsync(ClusterGateway gw, SnapshotAgentOptions o, SnapshotAgentCallbacks cb, CancellationToken ct)
    {
        string ns = o.Namespace;
        string name = o.EffectiveJobName;
        string target = $"{ns}/{name}";
        bool existed = true;
        try
        {
            await gw.CallAsync("delete Job", target,
                (c, t) => c.BatchV1.DeleteNamespacedJobAsync(name, ns, propagationPolicy: "Foreground", cancellationToken: t), ct).ConfigureAwait(false);
        }
        catch (ClydeException e) when (e.StatusCode == 404)
        {
            existed = false;
        }

        if (existed)
        {
            cb.Message?.Invoke($"Deleted the existing Job {target}; waiting until it is gone.");
            long started = gw.LabTime.GetTimestamp();
            while (true)
            {
                try
                {
                    await gw.CallAsync("get Job", target, (c, t) => c.BatchV1.ReadNamespacedJobAsync(name, ns, cancellationToken: t), ct).ConfigureAwait(false);
                }
                catch (ClydeException e) when (e.StatusCode == 404)
                {
                    break;
                }

                if (gw.LabTime.GetElapsedTime(started) > JobDeleteTimeout)
                {
                    throw new ClydeException(ClydeErrorKind.Timeout, SnapshotAgentErrorIds.JobNotDeleted,
                        $"The existing Job {target} was not gone within {JobDeleteTimeout.TotalSeconds:0} s of its deletion (a finalizer may hold it). Pass another -JobName, or leave -JobName out for a unique one.", target);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), gw.LabTime, ct).ConfigureAwait(false);
            }
        }

        await gw.CallAsync("create Job", target,
            (c, t) => c.BatchV1.CreateNamespacedJobAsync(SnapshotAgentPod.Job(o), ns, cancellationToken: t), ct).ConfigureAwait(false);
        cb.Message?.Invoke($"Created Job {target} (image {o.Image}, run {o.RunId}{(o.Privileged ? ", privileged" : "")}).");
    }

    // ---- the agent's log ----

    sealed class AgentLog
    {
        readonly object _gate = new();
        readonly Queue<string> _tail = new();
        public string? Pod { get; set; }
        public string? Node { get; set; }

        public void Add(string line)
        {
            lock (_gate)
            {
                _tail.Enqueue(line);
                while (_tail.Count > LogLinesInError)
                {
                    _tail.Dequeue();
                }
            }
        }

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_gate)
                {
                    return _tail.ToArray();
                }
            }
        }
    }

    static bool Started(V1Pod p) =>
        p.Status?.ContainerStatuses?.Any(s => s.State?.Running is not null || s.State?.Terminated is not null) == true;

    /// <summary>Waits (one pod watch) for the agent pod's container to start, then follows its log into Verbose.</summary>
    static async Task FollowAsync(ClusterGateway gw, SnapshotAgentOptions o, AgentLog log, SnapshotAgentCallbacks cb, CancellationToken ct)
    {
        string ns = o.Namespace;
        string selector = SnapshotAgentPod.Selector(o.RunId);
        try
        {
            await foreach (var (type, pod) in gw.WatchAsync<V1Pod, V1PodList>("watch agent pods", ns,
                (c, r, t) => c.CoreV1.ListNamespacedPodWithHttpMessagesAsync(ns, labelSelector: selector, continueParameter: r.Continue, limit: r.Limit,
                    watch: r.Watch, resourceVersion: r.ResourceVersion, allowWatchBookmarks: r.AllowWatchBookmarks, timeoutSeconds: r.TimeoutSeconds,
                    cancellationToken: t), ct).ConfigureAwait(false))
            {
                if (type == WatchEventType.Deleted || pod.Metadata?.Name is null)
                {
                    continue;
                }

                log.Pod = pod.Metadata.Name;
                log.Node = pod.Spec?.NodeName ?? log.Node;
                if (Started(pod))
                {
                    break;
                }
            }

            if (log.Pod is not { } name || ct.IsCancellationRequested)
            {
                return;
            }

            cb.Message?.Invoke($"Agent pod {ns}/{name} started on node {log.Node}.");
            await PodLogFollower.FollowAsync(gw, SnapshotAgentPod.Role, ns, name, SnapshotAgentPod.ContainerName, timestamps: false,
                line =>
                {
                    log.Add(line);
                    cb.AgentLog?.Invoke(line);
                    return true;
                },
                async (dropped, t) =>
                {
                    // A log that ended means the container ended; one that dropped is opened again.
                    if (dropped)
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(500), t).ConfigureAwait(false);
                    }

                    return dropped;
                }, maxOpens: 10, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (ClydeException e) when (!ct.IsCancellationRequested)
        {
            cb.Message?.Invoke($"Could not follow the agent's log: {e.Message}");
        }
    }

    static async Task StopFollowingAsync(Task follower, CancellationTokenSource following, TimeSpan grace)
    {
        await Task.WhenAny(follower, Task.Delay(grace)).ConfigureAwait(false);
        following.Cancel();
        try
        {
            await follower.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The error of a failed or timed-out run: the agent pod's status reason and its log (read now when none was streamed).</summary>
    static async Task<ClydeException> FailureAsync(ClusterGateway gw, SnapshotAgentOptions o, ClydeException cause, AgentLog log, CancellationToken ct)
    {
        string ns = o.Namespace;
        string job = o.EffectiveJobName;
        string selector = SnapshotAgentPod.Selector(o.RunId);
        string reason = "no agent pod was created";
        IReadOnlyList<string> lines = log.Lines;
        try
        {
            var pods = await gw.CallAsync("list agent pods", ns,
                (c, t) => c.CoreV1.ListNamespacedPodAsync(ns, labelSelector: selector, cancellationToken: t), ct).ConfigureAwait(false);
            if (pods.Items.OrderByDescending(p => p.Metadata.CreationTimestamp).FirstOrDefault() is { } pod)
            {
                reason = $"pod {pod.Metadata.Name}{(pod.Spec?.NodeName is { Length: > 0 } n ? " on node " + n : "")}: " + PodReason(pod);
                if (lines.Count == 0 && Started(pod))
                {
                    try
                    {
                        using var stream = await gw.CallAsync("read agent log", $"{ns}/{pod.Metadata.Name}",
                            (c, t) => c.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, ns, container: SnapshotAgentPod.ContainerName,
                                tailLines: LogLinesInError, cancellationToken: t), ct).ConfigureAwait(false);
                        using var reader = new StreamReader(stream);
                        lines = (await reader.ReadToEndAsync(ct).ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
                    }
                    catch (ClydeException)
                    {
                        // no log to show
                    }
                }
            }
        }
        catch (ClydeException e)
        {
            reason = $"its pod could not be listed ({e.Message})";
        }

        bool timeout = cause.ErrorId == RolloutErrorIds.RolloutTimeout;
        string head = timeout
            ? $"The snapshot agent Job {ns}/{job} did not complete within {o.Timeout}"
            : $"The snapshot agent Job {ns}/{job} failed";
        return new ClydeException(timeout ? ClydeErrorKind.Timeout : ClydeErrorKind.Unknown,
            timeout ? SnapshotAgentErrorIds.Timeout : SnapshotAgentErrorIds.Failed,
            $"{head}: {reason}.{LogText(lines)}", $"{ns}/{job}", cause);
    }

    /// <summary>Why a pod is where it is: a terminated container's reason and exit code, a waiting reason, or the pod's condition.</summary>
    public static string PodReason(V1Pod pod)
    {
        var cs = pod.Status?.ContainerStatuses?.FirstOrDefault(s => s.Name == SnapshotAgentPod.ContainerName) ?? pod.Status?.ContainerStatuses?.FirstOrDefault();
        if (cs?.State?.Terminated is { } term)
        {
            return $"container {cs.Name} terminated, reason {term.Reason ?? "Unknown"}, exit code {term.ExitCode}" +
                (string.IsNullOrEmpty(term.Message) ? "" : $" ({term.Message.Trim()})");
        }

        if (cs?.State?.Waiting is { } wait)
        {
            return $"container {cs.Name} waiting, reason {wait.Reason}" + (string.IsNullOrEmpty(wait.Message) ? "" : $" ({wait.Message.Trim()})");
        }

        if (cs?.State?.Running is not null)
        {
            return $"container {cs.Name} still running";
        }

        var unscheduled = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled" && c.Status == "False");
        if (unscheduled is not null)
        {
            return $"not scheduled, reason {unscheduled.Reason}" + (string.IsNullOrEmpty(unscheduled.Message) ? "" : $" ({unscheduled.Message})");
        }

        return $"phase {pod.Status?.Phase ?? "Pending"}" + (string.IsNullOrEmpty(pod.Status?.Reason) ? "" : $", reason {pod.Status.Reason}");
    }

    static string LogText(IReadOnlyList<string> lines) =>
        lines.Count == 0 ? " The agent wrote no log." : $" Agent log (last {lines.Count} lines):\n" + string.Join("\n", lines);

    // ---- cleanup ----

    /// <summary>
    /// Deletes the Job (its pod goes with it) and the hand-back ConfigMap always, the RBAC with -CleanupRbac; every delete is
    /// tried even when one fails, NotFound is fine, and a fresh token lets it run after Ctrl+C.
    /// </summary>
    static async Task CleanupAsync(ClusterGateway gw, SnapshotAgentOptions o, bool created, Action<string>? log)
    {
        using var cleanup = new CancellationTokenSource(HelperPods.CleanupTimeout);
        string ns = o.Namespace;
        var targets = new List<(string Kind, string? Ns, string Name)>();
        if (created)
        {
            targets.Add(("Job", ns, o.EffectiveJobName));
            targets.Add(("ConfigMap", ns, o.HandBackName));
        }

        if (o.CleanupRbac)
        {
            string cluster = SnapshotAgentPod.ClusterRoleName(o);
            targets.AddRange([("ClusterRoleBinding", null, cluster), ("ClusterRole", null, cluster), ("RoleBinding", ns, o.ServiceAccountName),
                ("Role", ns, o.ServiceAccountName), ("ServiceAccount", ns, o.ServiceAccountName)]);
        }

        foreach (var (kind, tns, name) in targets)
        {
            string display = tns is null ? name : $"{tns}/{name}";
            try
            {
                await DeleteAsync(gw, kind, tns, name, cleanup.Token).ConfigureAwait(false);
                log?.Invoke($"Deleted {kind} {display}.");
            }
            catch (ClydeException e) when (e.StatusCode == 404)
            {
            }
            catch (Exception e) when (e is ClydeException or OperationCanceledException)
            {
                log?.Invoke($"Could not delete {kind} {display}: {e.Message} Remove-ClydeLeftover -Run {o.RunId} (or kubectl delete) removes it.");
            }
        }
    }
}
