using ClydePS.Lab.Controllers;
using ClydePS.Lab.Resources;
using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Scheduler;

/// <summary>
/// The default-scheduler: one loop over store events binding pending pods (no nodeName) to a node that passes the
/// real filters in their real order (NodeUnschedulable, TaintToleration, NodeAffinity incl. matchFields, then NodeResourcesFit:
/// pod count and the pod's CPU, memory and ephemeral-storage requests against the node's allocatable minus what its bound,
/// non-terminal pods request), choosing the least-loaded fitting node then by name. Writes Scheduled / FailedScheduling events.
/// </summary>
public sealed class LabScheduler
{
    readonly LabHost _lab;
    readonly ResourceDefinition _pods, _nodes;
    readonly Dictionary<string, V1Node> _nodeCache = new(StringComparer.Ordinal);
    readonly Dictionary<string, int> _load = new(StringComparer.Ordinal);
    readonly SortedSet<(int Load, string Name)> _byLoad = new();
    readonly Dictionary<string, string> _podNode = new(StringComparer.Ordinal); // pod key -> node (counted)
    readonly Dictionary<string, PodRequests> _podRequests = new(StringComparer.Ordinal); // pod key -> what it requests (counted)
    readonly Dictionary<string, PodRequests> _requested = new(StringComparer.Ordinal);   // node -> sum of its pods' requests
    readonly SortedDictionary<string, V1Pod> _pending = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> _lastFailure = new(StringComparer.Ordinal);
    bool _nodesChanged;

    public LabScheduler(LabHost lab)
    {
        _lab = lab;
        _pods = lab.Registry.Pods();
        _nodes = lab.Registry.Nodes();
    }

    public async Task RunAsync(CancellationToken ct)
    {
        using var watcher = _lab.Store.Subscribe(null, null, 4_000_000);
        foreach (var n in _lab.Store.List(_nodes, null).Items) NodeChanged((V1Node)n.Object);
        foreach (var p in _lab.Store.List(_pods, null).Items) PodChanged(p.Key, (V1Pod)p.Object, false);
        var reader = watcher.Reader;
        var retry = DateTime.UtcNow;
        while (!ct.IsCancellationRequested)
        {
            ScheduleAll(ct);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(TimeSpan.FromMilliseconds(_pending.Count > 0 ? 500 : 5000));
            try { if (!await reader.WaitToReadAsync(wait.Token)) return; }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { _nodesChanged = true; continue; }
            while (reader.TryRead(out var e))
            {
                if (ReferenceEquals(e.Def, _nodes))
                {
                    if (e.Type == StoreEventType.Deleted) NodeRemoved(e.Object!.Name);
                    else NodeChanged((V1Node)e.Object!.Object);
                    _nodesChanged = true;
                }
                else if (ReferenceEquals(e.Def, _pods) && e.Object is not null)
                    PodChanged(e.Object.Key, (V1Pod)e.Object.Object, e.Type == StoreEventType.Deleted);
            }
        }
    }

    void NodeChanged(V1Node n)
    {
        var name = n.Metadata.Name;
        _nodeCache[name] = n;
        if (!_load.ContainsKey(name))
        {
            _load[name] = 0;
            _byLoad.Add((0, name));
        }
    }

    void NodeRemoved(string name)
    {
        _nodeCache.Remove(name);
        if (_load.Remove(name, out var l)) _byLoad.Remove((l, name));
        _requested.Remove(name);
    }

    void AddLoad(string node, int delta)
    {
        if (!_load.TryGetValue(node, out var l)) return;
        _byLoad.Remove((l, node));
        _load[node] = l + delta;
        _byLoad.Add((l + delta, node));
    }

    void PodChanged(string key, V1Pod pod, bool deleted)
    {
        var terminal = pod.Status?.Phase is "Succeeded" or "Failed";
        var node = pod.Spec?.NodeName;
        if (deleted || terminal || string.IsNullOrEmpty(node))
        {
            if (_podNode.Remove(key, out var was))
            {
                AddLoad(was, -1);
                _nodesChanged = true; // room freed on a node: pods that did not fit are tried again, as the real queue does
                if (_podRequests.Remove(key, out var r) && _requested.TryGetValue(was, out var sum)) _requested[was] = sum - r;
            }
        }
        else if (!_podNode.ContainsKey(key))
        {
            _podNode[key] = node;
            AddLoad(node, 1);
            var r = PodRequests.Of(pod.Spec!);
            if (!r.IsZero)
            {
                _podRequests[key] = r;
                _requested[node] = _requested.GetValueOrDefault(node) + r;
            }
        }
        if (!deleted && string.IsNullOrEmpty(node) && pod.Metadata.DeletionTimestamp is null &&
            (pod.Spec?.SchedulerName ?? "default-scheduler") == "default-scheduler" && (pod.Spec?.SchedulingGates?.Count ?? 0) == 0)
            _pending[key] = pod;
        else
        {
            _pending.Remove(key);
            _lastFailure.Remove(key);
        }
    }

    void ScheduleAll(CancellationToken ct)
    {
        if (_pending.Count == 0) return;
        var batch = _pending.ToList();
        var anyFailedBefore = false;
        foreach (var (key, pod) in batch)
        {
            if (ct.IsCancellationRequested) return;
            if (_lastFailure.ContainsKey(key) && !_nodesChanged) { anyFailedBefore = true; continue; }
            var (node, failure) = Pick(pod);
            if (node is not null)
            {
                try
                {
                    var bound = Binding.Bind(_lab, pod.Metadata.NamespaceProperty, pod.Metadata.Name, node, pod.Metadata.Uid);
                    _pending.Remove(key);
                    _lastFailure.Remove(key);
                    PodChanged(key, (V1Pod)bound.Object, false);
                    _lab.Events.Record(bound.Object, "Normal", "Scheduled",
                        $"Successfully assigned {pod.Metadata.NamespaceProperty}/{pod.Metadata.Name} to {node}", "default-scheduler");
                }
                catch (ApiException) { _pending.Remove(key); }
            }
            else
            {
                if (_lastFailure.TryGetValue(key, out var prev) && prev == failure) continue;
                _lastFailure[key] = failure!;
                MarkUnschedulable(pod, failure!);
            }
        }
        _ = anyFailedBefore;
        _nodesChanged = false;
    }

    void MarkUnschedulable(V1Pod pod, string message)
    {
        try
        {
            var (stored, _) = _lab.Store.Update(_pods, pod.Metadata.NamespaceProperty, pod.Metadata.Name, cur =>
            {
                var p = (V1Pod)_pods.Clone(cur.Object);
                p.Status ??= new V1PodStatus();
                p.Status.Conditions ??= new List<V1PodCondition>();
                var c = p.Status.Conditions.FirstOrDefault(x => x.Type == "PodScheduled");
                if (c is null) p.Status.Conditions.Add(c = new V1PodCondition { Type = "PodScheduled" });
                if (c.Status != "False") c.LastTransitionTime = _lab.Clock.UtcNowSeconds;
                c.Status = "False";
                c.Reason = "Unschedulable";
                c.Message = message;
                return p;
            });
            _lab.Events.Record(stored.Object, "Warning", "FailedScheduling", message, "default-scheduler");
        }
        catch (ApiException) { }
    }

    /// <summary>The chosen node, or null and the FitError message.</summary>
    (string? Node, string? Failure) Pick(V1Pod pod)
    {
        var spec = pod.Spec;
        // DaemonSet pods name their node with matchFields metadata.name In [node]: check that one node only
        var direct = DirectNode(spec);
        IEnumerable<string> candidates = direct is not null ? [direct] : _byLoad.Select(x => x.Name);
        foreach (var name in candidates)
        {
            if (!_nodeCache.TryGetValue(name, out var node)) continue;
            if (Reject(spec, node) is null) return (name, null);
        }
        var reasons = new Dictionary<string, int>(StringComparer.Ordinal);
        var resolvable = 0; // nodes that failed only on resources: preemption would look there, and (all pods being of equal priority) find no victims
        foreach (var node in _nodeCache.Values)
        {
            var r = Reject(spec, node) ?? "node(s) didn't match Pod's node affinity/selector";
            if (r.StartsWith("Insufficient ", StringComparison.Ordinal) || r == "Too many pods") resolvable++;
            foreach (var one in r.Split('\n')) reasons[one] = reasons.GetValueOrDefault(one) + 1;
        }
        var total = _nodeCache.Count;
        var parts = reasons.Select(kv => $"{kv.Value} {kv.Key}").OrderBy(s => s, StringComparer.Ordinal);
        var preemption = new List<string>();
        if (resolvable > 0) preemption.Add($"{resolvable} No preemption victims found for incoming pod");
        if (total - resolvable > 0) preemption.Add($"{total - resolvable} Preemption is not helpful for scheduling");
        preemption.Sort(StringComparer.Ordinal);
        var msg = total == 0
            ? "no nodes available to schedule pods"
            : $"0/{total} nodes are available: {string.Join(", ", parts)}. preemption: 0/{total} nodes are available: {string.Join(", ", preemption)}.";
        return (null, msg);
    }

    static string? DirectNode(V1PodSpec spec)
    {
        var terms = spec.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms;
        if (terms is not { Count: 1 }) return null;
        var f = terms[0].MatchFields;
        if (f is not { Count: 1 } || f[0].Key != "metadata.name" || f[0].OperatorProperty != "In" || f[0].Values is not { Count: 1 }) return null;
        return f[0].Values[0];
    }

    string? Reject(V1PodSpec spec, V1Node node)
    {
        if (node.Spec?.Unschedulable == true &&
            !Owners.Tolerates(spec.Tolerations, new V1Taint { Key = "node.kubernetes.io/unschedulable", Effect = "NoSchedule" }))
            return "node(s) were unschedulable";
        if (Owners.UntoleratedTaint(spec, node) is { } t) return $"node(s) had untolerated taint {{{t.Key}: {t.Value}}}";
        if (!Owners.NodeMatchesSelectorAndAffinity(spec, node)) return "node(s) didn't match Pod's node affinity/selector";
        return ResourcesFit(spec, node);
    }

    /// <summary>
    /// NodeResourcesFit: "Too many pods" first, then one "Insufficient &lt;resource&gt;" per resource that does not fit (the real
    /// plugin reports every insufficient resource; the FitError counts each reason once per node; several are returned one per line).
    /// </summary>
    string? ResourcesFit(V1PodSpec spec, V1Node node)
    {
        var allocatable = node.Status?.Allocatable;
        var maxPods = allocatable is not null && allocatable.TryGetValue("pods", out var q) ? (int)q.ToInt64() : 110;
        if (_load.GetValueOrDefault(node.Metadata.Name) >= maxPods) return "Too many pods";
        var want = PodRequests.Of(spec);
        if (want.IsZero || allocatable is null) return null;
        var used = _requested.GetValueOrDefault(node.Metadata.Name);
        var missing = new List<string>();
        if (want.MilliCpu > 0 && allocatable.TryGetValue("cpu", out var cpu) && used.MilliCpu + want.MilliCpu > Milli(cpu)) missing.Add("cpu");
        if (want.Memory > 0 && allocatable.TryGetValue("memory", out var mem) && used.Memory + want.Memory > mem.ToDecimal()) missing.Add("memory");
        if (want.EphemeralStorage > 0 && allocatable.TryGetValue("ephemeral-storage", out var eph) &&
            used.EphemeralStorage + want.EphemeralStorage > eph.ToDecimal()) missing.Add("ephemeral-storage");
        return missing.Count == 0 ? null : string.Join("\n", missing.Select(m => "Insufficient " + m));
    }

    static decimal Milli(ResourceQuantity q) => Math.Ceiling(q.ToDecimal() * 1000m);

    /// <summary>
    /// What a pod asks the scheduler for, as the real scheduler computes it: the sum of its app containers' requests (and
    /// restartable init containers, the sidecars), or the largest single init container's if that is more, plus the pod's
    /// overhead. Requests default from limits at admission, so only requests are read here.
    /// </summary>
    readonly record struct PodRequests(decimal MilliCpu, decimal Memory, decimal EphemeralStorage)
    {
        public bool IsZero => MilliCpu == 0 && Memory == 0 && EphemeralStorage == 0;

        public static PodRequests operator +(PodRequests a, PodRequests b) =>
            new(a.MilliCpu + b.MilliCpu, a.Memory + b.Memory, a.EphemeralStorage + b.EphemeralStorage);

        public static PodRequests operator -(PodRequests a, PodRequests b) =>
            new(a.MilliCpu - b.MilliCpu, a.Memory - b.Memory, a.EphemeralStorage - b.EphemeralStorage);

        static PodRequests Max(PodRequests a, PodRequests b) =>
            new(Math.Max(a.MilliCpu, b.MilliCpu), Math.Max(a.Memory, b.Memory), Math.Max(a.EphemeralStorage, b.EphemeralStorage));

        static PodRequests OfContainer(V1Container c) => Of(c.Resources?.Requests);

        static PodRequests Of(IDictionary<string, ResourceQuantity>? r) => r is null ? default : new(
            r.TryGetValue("cpu", out var cpu) ? Milli(cpu) : 0,
            r.TryGetValue("memory", out var mem) ? mem.ToDecimal() : 0,
            r.TryGetValue("ephemeral-storage", out var eph) ? eph.ToDecimal() : 0);

        public static PodRequests Of(V1PodSpec spec)
        {
            PodRequests apps = default, sidecars = default, init = default;
            foreach (var c in spec.Containers ?? []) apps += OfContainer(c);
            foreach (var c in spec.InitContainers ?? [])
            {
                var r = OfContainer(c);
                // an init container that restarts (a sidecar) keeps running: it adds to everything started after it
                if (c.RestartPolicy == "Always") { init = Max(init, sidecars + r); sidecars += r; }
                else init = Max(init, sidecars + r);
            }
            return Max(apps + sidecars, init) + Of(spec.Overhead);
        }
    }
}
