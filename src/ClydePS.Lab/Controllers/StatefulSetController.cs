using System.Text.Json.Nodes;
using ClydePS.Lab.Resources.Workloads;
using ClydePS.Lab.Store;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Controllers;

/// <summary>
/// The StatefulSet controller: pods &lt;sts&gt;-&lt;ordinal&gt; with hostname/subdomain, the pod-name and pod-index
/// labels; OrderedReady creation (ordinal N once 0..N-1 are Running and Ready), reverse-ordinal scale-down, rolling
/// update from the highest ordinal down to the partition; ControllerRevisions and currentRevision/updateRevision.
/// </summary>
public sealed class StatefulSetController : ControllerLoop
{
    readonly ResourceDefinition _sts, _revisions;
    const string Component = "statefulset-controller";

    public StatefulSetController(LabHost lab) : base(lab)
    {
        _sts = lab.Registry.StatefulSets();
        _revisions = lab.Registry.ControllerRevisions();
    }

    protected override ResourceDefinition OwnerDef => _sts;
    protected override IEnumerable<ResourceDefinition> DependentDefs => [PodsDef, _revisions];

    string EnsureRevision(V1StatefulSet sts)
    {
        var hash = Owners.TemplateHash(sts.Spec.Template, sts.Status?.CollisionCount);
        var revName = $"{sts.Metadata.Name}-{hash}";
        var owned = Owned(sts.Metadata.Uid, _revisions).Select(r => (V1ControllerRevision)r.Object).ToList();
        if (owned.Any(r => r.Metadata.Name == revName)) return revName;
        long max = owned.Count == 0 ? 0 : owned.Max(r => (long)r.Revision);
        var template = JsonNode.Parse(KubernetesJson.Serialize(sts.Spec.Template))!.AsObject();
        template["$patch"] = "replace";
        var data = new JsonObject { ["spec"] = new JsonObject { ["template"] = template } };
        var rev = new V1ControllerRevision
        {
            Metadata = new V1ObjectMeta
            {
                Name = revName, NamespaceProperty = sts.Metadata.NamespaceProperty,
                Labels = new Dictionary<string, string>(sts.Spec.Template.Metadata?.Labels ?? new Dictionary<string, string>()) { ["controller.kubernetes.io/hash"] = hash },
                OwnerReferences = [Owners.ControllerRef(sts, "apps/v1", "StatefulSet")],
            },
            Data = KubernetesJson.Deserialize<object>(data.ToJsonString()),
            Revision = max + 1,
        };
        try { Lab.Rest.CreateObject(_revisions, sts.Metadata.NamespaceProperty, rev); }
        catch (ApiException e) when (e.Reason == "AlreadyExists") { }
        return revName;
    }

    static int Ordinal(string stsName, string podName) =>
        podName.StartsWith(stsName + "-", StringComparison.Ordinal) && int.TryParse(podName[(stsName.Length + 1)..], out var o) ? o : -1;

    static string? RevisionOf(V1Pod p) => p.Metadata.Labels?.TryGetValue("controller-revision-hash", out var h) == true ? h : null;

    protected override void Reconcile(string ns, string name)
    {
        var stored = Lab.Store.Get(_sts, ns, name);
        if (stored is null) return;
        var sts = (V1StatefulSet)stored.Object;
        if (sts.Metadata.DeletionTimestamp is not null) return;
        var updateRevision = EnsureRevision(sts);
        var replicas = sts.Spec.Replicas ?? 1;
        var ordered = sts.Spec.PodManagementPolicy != "Parallel";
        var pods = Owned(sts.Metadata.Uid).Select(p => (Stored: p, Pod: (V1Pod)p.Object, Ord: Ordinal(name, p.Name))).Where(p => p.Ord >= 0).OrderBy(p => p.Ord).ToList();
        var byOrd = pods.ToDictionary(p => p.Ord);
        var currentRevision = sts.Status?.CurrentRevision ?? updateRevision;

        // failed pods are replaced
        foreach (var p in pods.Where(p => p.Pod.Status?.Phase == "Failed" && p.Pod.Metadata.DeletionTimestamp is null))
        {
            DeletePod(sts, p.Stored, Component);
            return;
        }
        var blocked = false;
        for (var i = 0; i < replicas && !blocked; i++)
        {
            if (!byOrd.TryGetValue(i, out var p))
            {
                var pod = NewPod(sts, "apps/v1", "StatefulSet", sts.Spec.Template, $"{name}-{i}", null);
                pod.Metadata.Labels["controller-revision-hash"] = i < (sts.Spec.UpdateStrategy?.RollingUpdate?.Partition ?? 0) ? currentRevision : updateRevision;
                pod.Metadata.Labels["statefulset.kubernetes.io/pod-name"] = $"{name}-{i}";
                pod.Metadata.Labels["apps.kubernetes.io/pod-index"] = i.ToString();
                pod.Spec.Hostname = $"{name}-{i}";
                if (!string.IsNullOrEmpty(sts.Spec.ServiceName)) pod.Spec.Subdomain = sts.Spec.ServiceName;
                CreatePod(sts, pod, Component);
                if (ordered) blocked = true;
                continue;
            }
            if (ordered && !(p.Pod.Status?.Phase == "Running" && PodReady(p.Pod))) blocked = true;
        }
        // scale down: highest ordinal first, one at a time when ordered
        if (!blocked)
        {
            foreach (var p in pods.Where(p => p.Ord >= replicas).OrderByDescending(p => p.Ord))
            {
                if (p.Pod.Metadata.DeletionTimestamp is null) DeletePod(sts, p.Stored, Component);
                if (ordered) { blocked = true; break; }
            }
        }
        // rolling update: highest ordinal first, down to the partition, one at a time
        var partition = sts.Spec.UpdateStrategy?.RollingUpdate?.Partition ?? 0;
        if (!blocked && sts.Spec.UpdateStrategy?.Type == "RollingUpdate" && pods.All(p => p.Ord >= replicas || (PodReady(p.Pod) && p.Pod.Metadata.DeletionTimestamp is null)))
        {
            var stale = pods.Where(p => p.Ord < replicas && p.Ord >= partition && RevisionOf(p.Pod) != updateRevision).OrderByDescending(p => p.Ord).FirstOrDefault();
            if (stale.Stored is not null) DeletePod(sts, stale.Stored, Component);
        }

        var live = pods.Where(p => p.Ord < replicas).ToList();
        var ready = live.Count(p => PodReady(p.Pod));
        var updated = live.Count(p => RevisionOf(p.Pod) == updateRevision);
        var current = live.Count(p => RevisionOf(p.Pod) == currentRevision);
        if (updated == replicas && ready == replicas && live.Count == replicas) { currentRevision = updateRevision; current = updated; }
        WriteStatus<V1StatefulSet>(_sts, ns, name, sts.Metadata.Uid, s =>
        {
            s.Status ??= new V1StatefulSetStatus();
            var st = s.Status;
            st.ObservedGeneration = sts.Metadata.Generation;
            st.Replicas = pods.Count(p => p.Pod.Metadata.DeletionTimestamp is null);
            st.ReadyReplicas = ready == 0 ? null : ready;
            st.AvailableReplicas = ready;
            st.CurrentReplicas = current == 0 ? null : current;
            st.UpdatedReplicas = updated == 0 ? null : updated;
            st.CurrentRevision = currentRevision;
            st.UpdateRevision = updateRevision;
            st.CollisionCount = 0;
        });
    }
}
