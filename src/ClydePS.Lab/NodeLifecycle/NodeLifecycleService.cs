using ClydePS.Lab.Controllers;
using ClydePS.Lab.Faults;
using ClydePS.Lab.Resources;
using ClydePS.Lab.Resources.Core;
using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.NodeLifecycle;

/// <summary>
/// Node heartbeats and the node lifecycle controller, on one background loop (no thread per node):
/// <list type="bullet">
/// <item>every live node's kubelet renews its Lease in <c>kube-node-lease</c> every 10 s of Lab time
/// (holderIdentity = node, leaseDurationSeconds 40, owner reference to the Node);</item>
/// <item>a node whose lease is older than the 40 s grace period gets all its conditions <c>Unknown</c>
/// (reason NodeStatusUnknown, "Kubelet stopped posting node status.") and the
/// <c>node.kubernetes.io/unreachable</c> NoSchedule and NoExecute taints; when heartbeats resume the
/// kubelet reports Ready again and the taints go;</item>
/// <item>NoExecute taints evict the node's pods that do not tolerate them, immediately or after the
/// toleration's tolerationSeconds (counted from the taint's timeAdded);</item>
/// <item>pods bound to a node that no longer exists are deleted (pod GC).</item>
/// </list>
/// A <see cref="NodeFault"/> stops a node's heartbeats so that it turns NotReady at
/// NotReadyAfterSeconds after the fault was set (at the earliest the 40 s grace period after it), and
/// deletes it at DeleteAfterSeconds. Nodes that are NotReady in the cluster shape never heartbeat.
/// </summary>
public sealed class NodeLifecycleService : IStoreController, IAsyncDisposable
{
    public const string LeaseNamespace = "kube-node-lease";
    public static readonly TimeSpan RenewInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(40);
    public const string Unreachable = "node.kubernetes.io/unreachable";

    readonly LabHost _lab;
    readonly CancellationTokenSource _stop = new();
    readonly Dictionary<NodeFault, DateTime> _faultStart = new(ReferenceEqualityComparer.Instance);
    readonly HashSet<string> _deadAtStart = [];
    readonly HashSet<string> _known = [];
    Task? _loop;
    volatile bool _podGc = true;

    public NodeLifecycleService(LabHost lab) => _lab = lab;

    ResourceDefinition Nodes => _lab.Registry.Nodes();
    ResourceDefinition Leases => _lab.Registry.Leases();

    public void Start() => _loop = Task.Run(RunAsync);

    public void Resync() => _podGc = true;

    public void OnEvent(StoreEvent e)
    {
        if (e.Type == StoreEventType.Deleted && ReferenceEquals(e.Def, Nodes))
        {
            _podGc = true;
            if ((e.Object ?? e.Old)?.Name is { } gone) _lab.Kubelets?.NodeDeleted(gone); // its kubelet stops for good
        }
    }

    async Task RunAsync()
    {
        var token = _stop.Token;
        // one tick per second of Lab time, never more often than every 20 ms of wall time
        while (!token.IsCancellationRequested)
        {
            // big clusters at high time scales: bound the wall-clock cost (about 20 µs per node per tick)
            var wall = _lab.Clock.ToWall(TimeSpan.FromSeconds(1));
            var floor = TimeSpan.FromMilliseconds(Math.Max(20, _known.Count * 0.02));
            if (wall < floor) wall = floor;
            try { Tick(); }
            catch (ApiException) { }
            catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or ArgumentException or NullReferenceException)
            {
                Console.Error.WriteLine("clyde-lab: node lifecycle: " + e.Message);
            }
            try { await Task.Delay(wall, token); }
            catch (OperationCanceledException) { return; }
        }
    }

    static bool IsReady(V1Node n) => n.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    /// <summary>One pass: heartbeats, node health, faults, taint eviction, pod GC.</summary>
    public void Tick()
    {
        var now = _lab.Clock.UtcNow;
        // renewals every 10 s of Lab time, but never more than ~10,000 lease writes per wall second;
        // the grace period stretches with them (4 missed renewals, at least 40 s)
        var renewEvery = TimeSpan.FromSeconds(Math.Max(RenewInterval.TotalSeconds, _known.Count * 0.0001 * _lab.Clock.TimeScale));
        var grace = TimeSpan.FromSeconds(Math.Max(GracePeriod.TotalSeconds, 4 * renewEvery.TotalSeconds));
        var plan = _lab.Faults.Current;
        var faults = new Dictionary<string, NodeFault>();
        lock (_faultStart)
        {
            foreach (var f in plan.Nodes)
            {
                if (!_faultStart.ContainsKey(f)) _faultStart[f] = now;
                faults[f.Node] = f;
            }
        }
        var nodes = _lab.Store.List(Nodes, null).Items;
        var leases = _lab.Store.List(Leases, LeaseNamespace).Items.ToDictionary(l => l.Name, l => (V1Lease)l.Object);
        var nodeNames = new HashSet<string>();
        var noExecute = new List<V1Node>();
        foreach (var so in nodes)
        {
            var node = (V1Node)so.Object;
            var name = node.Metadata.Name;
            nodeNames.Add(name);
            if (_known.Add(name) && !IsReady(node)) _deadAtStart.Add(name);
            DateTime? faultAt = null;
            if (faults.TryGetValue(name, out var fault))
            {
                var start = _faultStart[fault];
                if (fault.DeleteAfterSeconds is double del && now >= start.AddSeconds(del))
                {
                    try { _lab.Store.Delete(Nodes, "", name); } catch (ApiException) { }
                    _lab.Kubelets?.NodeDeleted(name);
                    nodeNames.Remove(name);
                    _podGc = true;
                    continue;
                }
                faultAt = start.AddSeconds(Math.Max(0, fault.NotReadyAfterSeconds - grace.TotalSeconds));
            }
            var alive = !_deadAtStart.Contains(name) && (faultAt is null || now < faultAt);
            leases.TryGetValue(name, out var lease);
            if (alive && (lease?.Spec?.RenewTime is not { } renewed || now - renewed >= renewEvery))
                lease = Renew(node, lease, now);
            var lastHeartbeat = lease?.Spec?.RenewTime ?? node.Metadata.CreationTimestamp ?? now;
            var stale = now - lastHeartbeat > grace;
            if (stale && !_deadAtStart.Contains(name)) MarkUnknown(name, now);
            else if (!stale && alive) MarkReadyAgain(name, now);
            // the node's simulated kubelet runs exactly while it heartbeats
            _lab.Kubelets?.SetRunning(name, alive);
            if (node.Spec?.Taints?.Any(t => t.Effect == "NoExecute") == true) noExecute.Add(node);
        }
        // leases of deleted nodes go with them (their owner reference)
        foreach (var (name, _) in leases)
            if (!nodeNames.Contains(name))
                try { _lab.Store.Delete(Leases, LeaseNamespace, name); } catch (ApiException) { }
        // re-read the nodes that carry NoExecute taints (they may just have been tainted)
        noExecute.Clear();
        foreach (var name in nodeNames)
            if (_lab.Store.Get(Nodes, "", name)?.Object is V1Node n && n.Spec?.Taints?.Any(t => t.Effect == "NoExecute") == true) noExecute.Add(n);
        if (noExecute.Count > 0 || _podGc) EvictAndCollect(noExecute, nodeNames, now);
    }

    V1Lease Renew(V1Node node, V1Lease? lease, DateTime now)
    {
        var name = node.Metadata.Name;
        if (lease is null)
        {
            var created = new V1Lease
            {
                Metadata = new V1ObjectMeta
                {
                    Name = name, NamespaceProperty = LeaseNamespace,
                    OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "Node", Name = name, Uid = node.Metadata.Uid }],
                },
                Spec = new V1LeaseSpec { HolderIdentity = name, LeaseDurationSeconds = 40, RenewTime = now },
            };
            try { return (V1Lease)_lab.Rest.CreateObject(Leases, LeaseNamespace, created).Object; }
            catch (ApiException) { return created; }
        }
        var (result, _) = _lab.Store.Update(Leases, LeaseNamespace, name, cur =>
        {
            var l = (V1Lease)Leases.Clone(cur.Object);
            l.Spec ??= new V1LeaseSpec();
            l.Spec.RenewTime = now;
            l.Spec.HolderIdentity ??= name;
            l.Spec.LeaseDurationSeconds ??= 40;
            return l;
        });
        return (V1Lease)result.Object;
    }

    void MarkUnknown(string name, DateTime now)
    {
        var t = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
        _lab.Store.Update(Nodes, "", name, cur =>
        {
            var n = (V1Node)Nodes.Clone(cur.Object);
            n.Status ??= new V1NodeStatus();
            n.Status.Conditions ??= new List<V1NodeCondition>();
            foreach (var c in n.Status.Conditions)
            {
                if (c.Status == "Unknown") continue;
                c.Status = "Unknown";
                c.Reason = "NodeStatusUnknown";
                c.Message = "Kubelet stopped posting node status.";
                c.LastTransitionTime = t;
            }
            n.Spec ??= new V1NodeSpec();
            n.Spec.Taints ??= new List<V1Taint>();
            if (!n.Spec.Taints.Any(x => x.Key == Unreachable && x.Effect == "NoSchedule"))
                n.Spec.Taints.Add(new V1Taint { Key = Unreachable, Effect = "NoSchedule", TimeAdded = t });
            if (!n.Spec.Taints.Any(x => x.Key == Unreachable && x.Effect == "NoExecute"))
                n.Spec.Taints.Add(new V1Taint { Key = Unreachable, Effect = "NoExecute", TimeAdded = t });
            return n;
        });
    }

    static readonly Dictionary<string, (string Status, string Reason, string Message)> Healthy = new()
    {
        ["MemoryPressure"] = ("False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        ["DiskPressure"] = ("False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ["PIDPressure"] = ("False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ["Ready"] = ("True", "KubeletReady", "kubelet is posting ready status"),
    };

    void MarkReadyAgain(string name, DateTime now)
    {
        var cur0 = _lab.Store.Get(Nodes, "", name)?.Object as V1Node;
        if (cur0?.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "Unknown" && c.Reason == "NodeStatusUnknown") != true) return;
        var t = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
        _lab.Store.Update(Nodes, "", name, cur =>
        {
            var n = (V1Node)Nodes.Clone(cur.Object);
            foreach (var c in n.Status.Conditions)
            {
                if (!Healthy.TryGetValue(c.Type, out var h)) continue;
                (c.Status, c.Reason, c.Message) = h;
                c.LastTransitionTime = t;
                c.LastHeartbeatTime = t;
            }
            n.Spec.Taints = n.Spec.Taints?.Where(x => x.Key != Unreachable).ToList();
            if (n.Spec.Taints is { Count: 0 }) n.Spec.Taints = null;
            return n;
        });
    }

    /// <summary>v1helper.TolerationsTolerateTaint: effect (or empty), key and operator.</summary>
    public static bool Tolerates(V1Toleration t, V1Taint taint)
    {
        if (!string.IsNullOrEmpty(t.Effect) && t.Effect != taint.Effect) return false;
        if (!string.IsNullOrEmpty(t.Key) && t.Key != taint.Key) return false;
        return (t.OperatorProperty ?? "Equal") switch
        {
            "Exists" => true,
            "Equal" => (t.Value ?? "") == (taint.Value ?? "") && !string.IsNullOrEmpty(t.Key),
            _ => false,
        };
    }

    void EvictAndCollect(List<V1Node> tainted, HashSet<string> nodeNames, DateTime now)
    {
        var gc = _podGc;
        _podGc = false;
        var byNode = tainted.ToDictionary(n => n.Metadata.Name);
        var podsDef = _lab.Registry.Pods();
        foreach (var po in _lab.Store.List(podsDef, null).Items)
        {
            var pod = (V1Pod)po.Object;
            var nodeName = pod.Spec?.NodeName;
            if (string.IsNullOrEmpty(nodeName)) continue;
            if (gc && !nodeNames.Contains(nodeName))
            {
                try { _lab.Store.Delete(podsDef, po.Namespace, po.Name); } catch (ApiException) { }
                continue;
            }
            if (!byNode.TryGetValue(nodeName, out var node)) continue;
            if (pod.Metadata.DeletionTimestamp is not null) continue;
            var evictAt = DateTime.MinValue;
            var evict = false;
            foreach (var taint in node.Spec.Taints.Where(t => t.Effect == "NoExecute"))
            {
                var tols = (pod.Spec.Tolerations ?? []).Where(t => Tolerates(t, taint)).ToList();
                if (tols.Count == 0) { evict = true; evictAt = DateTime.MinValue; break; }
                var secs = tols.Where(t => t.TolerationSeconds is not null).Select(t => Math.Max(0, t.TolerationSeconds!.Value)).DefaultIfEmpty(-1).Min();
                if (secs < 0 || tols.Any(t => t.TolerationSeconds is null)) continue; // tolerated forever
                var at = (taint.TimeAdded ?? now).AddSeconds(secs);
                if (!evict || at < evictAt) { evict = true; evictAt = at; }
            }
            if (evict && now >= evictAt)
                try { _lab.Rest.DeleteObject(podsDef, po.Namespace, po.Name); } catch (ApiException) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_loop is not null) try { await _loop; } catch (OperationCanceledException) { }
    }
}
