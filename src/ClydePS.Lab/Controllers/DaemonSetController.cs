using System.Text.Json.Nodes;
using ClydePS.Lab.Resources;
using ClydePS.Lab.Resources.Workloads;
using ClydePS.Lab.Store;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Controllers;

/// <summary>
/// The DaemonSet controller: one pod per eligible node (nodeSelector, required affinity, NoSchedule/NoExecute taints
/// against the pod's tolerations plus the automatic ones), created with the matchFields node affinity; rolling update
/// honouring maxUnavailable; ControllerRevisions and the controller-revision-hash / pod-template-generation labels;
/// status exactly as the real controller computes it.
/// </summary>
public sealed class DaemonSetController : ControllerLoop
{
    readonly ResourceDefinition _ds, _nodes, _revisions;
    const string Component = "daemonset-controller";

    public DaemonSetController(LabHost lab) : base(lab)
    {
        _ds = lab.Registry.DaemonSets();
        _nodes = lab.Registry.Nodes();
        _revisions = lab.Registry.ControllerRevisions();
    }

    protected override ResourceDefinition OwnerDef => _ds;
    protected override IEnumerable<ResourceDefinition> DependentDefs => [PodsDef, _revisions];

    protected override void OnOtherEvent(StoreEvent e)
    {
        if (ReferenceEquals(e.Def, _nodes)) EnqueueAll();
    }

    static readonly (string Key, string Effect)[] AutoTolerations =
    [
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ];

    /// <summary>util.AddOrUpdateDaemonPodTolerations.</summary>
    public static void AddTolerations(V1PodSpec spec)
    {
        spec.Tolerations ??= new List<V1Toleration>();
        void Add(string key, string effect)
        {
            if (spec.Tolerations.Any(t => t.Key == key && t.Effect == effect && t.OperatorProperty == "Exists")) return;
            spec.Tolerations.Add(new V1Toleration { Key = key, OperatorProperty = "Exists", Effect = effect });
        }
        foreach (var (k, e) in AutoTolerations) Add(k, e);
        if (spec.HostNetwork == true) Add("node.kubernetes.io/network-unavailable", "NoSchedule");
    }

    static V1PodSpec SimulationSpec(V1DaemonSet ds, string node)
    {
        var spec = KubernetesJson.Deserialize<V1PodSpec>(KubernetesJson.Serialize(ds.Spec.Template.Spec));
        AddTolerations(spec);
        SetNodeAffinity(spec, node);
        return spec;
    }

    /// <summary>util.ReplaceDaemonSetPodNodeNameNodeAffinity.</summary>
    static void SetNodeAffinity(V1PodSpec spec, string node)
    {
        var term = new V1NodeSelectorTerm
        {
            MatchFields = [new V1NodeSelectorRequirement { Key = "metadata.name", OperatorProperty = "In", Values = [node] }],
        };
        spec.Affinity ??= new V1Affinity();
        spec.Affinity.NodeAffinity ??= new V1NodeAffinity();
        var req = spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution;
        if (req?.NodeSelectorTerms is not { Count: > 0 })
        {
            spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector { NodeSelectorTerms = [term] };
            return;
        }
        foreach (var t in req.NodeSelectorTerms) t.MatchFields = term.MatchFields;
    }

    public static bool ShouldRun(V1DaemonSet ds, V1Node node)
    {
        var spec = SimulationSpec(ds, node.Metadata.Name);
        return Owners.NodeMatchesSelectorAndAffinity(spec, node) && Owners.UntoleratedTaint(spec, node) is null;
    }

    (string Hash, long Revision) EnsureRevision(V1DaemonSet ds)
    {
        var hash = Owners.TemplateHash(ds.Spec.Template, ds.Status?.CollisionCount);
        var revName = $"{ds.Metadata.Name}-{hash}";
        var owned = Owned(ds.Metadata.Uid, _revisions).Select(r => (V1ControllerRevision)r.Object).ToList();
        var existing = owned.FirstOrDefault(r => r.Metadata.Name == revName);
        long max = owned.Count == 0 ? 0 : owned.Max(r => (long)r.Revision);
        if (existing is not null)
        {
            if (existing.Revision < max)
            {
                Lab.Store.Update(_revisions, ds.Metadata.NamespaceProperty, revName, cur =>
                {
                    var c = (V1ControllerRevision)_revisions.Clone(cur.Object);
                    c.Revision = max + 1;
                    return c;
                });
                return (hash, max + 1);
            }
            return (hash, existing.Revision ?? 0);
        }
        var template = JsonNode.Parse(KubernetesJson.Serialize(ds.Spec.Template))!.AsObject();
        template["$patch"] = "replace";
        var data = new JsonObject { ["spec"] = new JsonObject { ["template"] = template } };
        var labels = new Dictionary<string, string>(ds.Spec.Template.Metadata?.Labels ?? new Dictionary<string, string>())
        {
            ["controller-revision-hash"] = hash,
        };
        var rev = new V1ControllerRevision
        {
            Metadata = new V1ObjectMeta
            {
                Name = revName, NamespaceProperty = ds.Metadata.NamespaceProperty, Labels = labels,
                OwnerReferences = [Owners.ControllerRef(ds, "apps/v1", "DaemonSet")],
            },
            Data = KubernetesJson.Deserialize<object>(data.ToJsonString()),
            Revision = max + 1,
        };
        try { Lab.Rest.CreateObject(_revisions, ds.Metadata.NamespaceProperty, rev); }
        catch (ApiException e) when (e.Reason == "AlreadyExists") { }
        // history limit
        var limit = ds.Spec.RevisionHistoryLimit ?? 10;
        var old = owned.Where(r => r.Metadata.Name != revName).OrderBy(r => r.Revision).ToList();
        foreach (var r in old.Take(Math.Max(0, old.Count - limit)))
            try { Lab.Store.Delete(_revisions, r.Metadata.NamespaceProperty, r.Metadata.Name); } catch (ApiException) { }
        return (hash, max + 1);
    }

    protected override void Reconcile(string ns, string name)
    {
        var stored = Lab.Store.Get(_ds, ns, name);
        if (stored is null) return;
        var ds = (V1DaemonSet)stored.Object;
        if (ds.Metadata.DeletionTimestamp is not null) return;
        var (hash, _) = EnsureRevision(ds);
        var generation = ds.Metadata.Generation ?? 1;
        var nodes = Lab.Store.List(_nodes, null).Items.Select(n => (V1Node)n.Object).ToList();
        var pods = Owned(ds.Metadata.Uid).Select(p => (Stored: p, Pod: (V1Pod)p.Object)).ToList();
        var byNode = pods.Where(p => !string.IsNullOrEmpty(NodeOf(p.Pod))).GroupBy(p => NodeOf(p.Pod)!).ToDictionary(g => g.Key, g => g.ToList());
        var now = Lab.Clock.UtcNow;

        int desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
        var toCreate = new List<string>();
        var toDelete = new List<StoredObject>();
        var oldPodsOnNodes = new List<(string Node, StoredObject Pod, bool Available)>();
        var unavailable = 0;
        foreach (var node in nodes)
        {
            var nodeName = node.Metadata.Name;
            var should = ShouldRun(ds, node);
            byNode.TryGetValue(nodeName, out var onNode);
            var live = onNode?.Where(p => p.Pod.Metadata.DeletionTimestamp is null).ToList() ?? [];
            // failed pods are deleted (and recreated)
            foreach (var f in live.Where(p => p.Pod.Status?.Phase == "Failed").ToList())
            {
                toDelete.Add(f.Stored);
                live.Remove(f);
            }
            if (should)
            {
                desired++;
                if (live.Count == 0)
                {
                    if (onNode is null || onNode.Count == 0) toCreate.Add(nodeName);
                    unavailable++;
                    continue;
                }
                current++;
                var pod = live.OrderByDescending(p => IsUpdated(p.Pod, hash, generation)).First();
                foreach (var extra in live.Where(p => !ReferenceEquals(p.Pod, pod.Pod))) toDelete.Add(extra.Stored);
                var isReady = PodReady(pod.Pod);
                var isAvailable = isReady && Available(pod.Pod, ds.Spec.MinReadySeconds ?? 0, now);
                if (isReady) ready++;
                if (isAvailable) available++; else unavailable++;
                if (IsUpdated(pod.Pod, hash, generation)) updated++;
                else oldPodsOnNodes.Add((nodeName, pod.Stored, isAvailable));
            }
            else if (live.Count > 0)
            {
                misscheduled++;
                toDelete.AddRange(live.Select(p => p.Stored));
            }
        }

        // rolling update: delete old pods while the unavailable count stays within maxUnavailable
        if (ds.Spec.UpdateStrategy?.Type == "RollingUpdate" && oldPodsOnNodes.Count > 0)
        {
            var maxUnavailable = Math.Max(1, Owners.Scaled(ds.Spec.UpdateStrategy.RollingUpdate?.MaxUnavailable, desired, true));
            foreach (var old in oldPodsOnNodes.OrderBy(o => o.Available))
            {
                if (!old.Available) { toDelete.Add(old.Pod); continue; }
                if (unavailable >= maxUnavailable) break;
                toDelete.Add(old.Pod);
                unavailable++;
            }
        }

        foreach (var nodeName in toCreate)
        {
            var pod = NewPod(ds, "apps/v1", "DaemonSet", ds.Spec.Template, null, ds.Metadata.Name + "-");
            pod.Metadata.Labels["controller-revision-hash"] = hash;
            pod.Metadata.Labels["pod-template-generation"] = generation.ToString();
            AddTolerations(pod.Spec);
            SetNodeAffinity(pod.Spec, nodeName);
            CreatePod(ds, pod, Component);
        }
        foreach (var p in toDelete.DistinctBy(p => p.Key)) DeletePod(ds, p, Component);

        WriteStatus<V1DaemonSet>(_ds, ns, name, ds.Metadata.Uid, d =>
        {
            d.Status ??= new V1DaemonSetStatus();
            var s = d.Status;
            s.DesiredNumberScheduled = desired;
            s.CurrentNumberScheduled = current;
            s.NumberMisscheduled = misscheduled;
            s.NumberReady = ready;
            s.NumberAvailable = available == 0 ? null : available;
            s.NumberUnavailable = desired - available == 0 ? null : desired - available;
            s.UpdatedNumberScheduled = updated == 0 ? null : updated;
            s.ObservedGeneration = generation;
        });
        if (ds.Spec.MinReadySeconds is > 0 && ready > available) EnqueueAfter(stored.Key, TimeSpan.FromSeconds(ds.Spec.MinReadySeconds.Value));
    }

    static string? NodeOf(V1Pod p)
    {
        if (!string.IsNullOrEmpty(p.Spec?.NodeName)) return p.Spec.NodeName;
        var f = p.Spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms?.FirstOrDefault()?.MatchFields?.FirstOrDefault();
        return f is { Key: "metadata.name" } ? f.Values?.FirstOrDefault() : null;
    }

    static bool IsUpdated(V1Pod p, string hash, long generation)
    {
        var l = p.Metadata.Labels;
        if (l is null) return false;
        if (l.TryGetValue("controller-revision-hash", out var h) && h == hash) return true;
        return l.TryGetValue("pod-template-generation", out var g) && g == generation.ToString() && !l.ContainsKey("controller-revision-hash");
    }

    static bool Available(V1Pod p, int minReadySeconds, DateTime now)
    {
        if (minReadySeconds <= 0) return true;
        var since = p.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.LastTransitionTime;
        return since is not null && since.Value.ToUniversalTime().AddSeconds(minReadySeconds) <= now;
    }
}
