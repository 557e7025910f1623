using ClydePS.Lab.Resources.Workloads;
using ClydePS.Lab.Store;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Controllers;

/// <summary>The ReplicaSet controller: keeps spec.replicas pods (generateName &lt;rs&gt;-), deleting unready/newest extras first.</summary>
public sealed class ReplicaSetController : ControllerLoop
{
    readonly ResourceDefinition _rs;
    const string Component = "replicaset-controller";

    public ReplicaSetController(LabHost lab) : base(lab) => _rs = lab.Registry.ReplicaSets();

    protected override ResourceDefinition OwnerDef => _rs;

    protected override void Reconcile(string ns, string name)
    {
        var stored = Lab.Store.Get(_rs, ns, name);
        if (stored is null) return;
        var rs = (V1ReplicaSet)stored.Object;
        if (rs.Metadata.DeletionTimestamp is not null) return;
        var want = rs.Spec.Replicas ?? 1;
        var pods = Owned(rs.Metadata.Uid).Select(p => (Stored: p, Pod: (V1Pod)p.Object)).Where(p => PodActive(p.Pod)).ToList();
        if (pods.Count < want)
            for (var i = pods.Count; i < want; i++)
                CreatePod(rs, NewPod(rs, "apps/v1", "ReplicaSet", rs.Spec.Template, null, rs.Metadata.Name + "-"), Component);
        else if (pods.Count > want)
            foreach (var p in pods.OrderBy(p => PodReady(p.Pod)).ThenByDescending(p => p.Pod.Metadata.CreationTimestamp).Take(pods.Count - want))
                DeletePod(rs, p.Stored, Component);
        var ready = pods.Count(p => PodReady(p.Pod));
        WriteStatus<V1ReplicaSet>(_rs, ns, name, rs.Metadata.Uid, r =>
        {
            r.Status ??= new V1ReplicaSetStatus();
            r.Status.Replicas = pods.Count;
            r.Status.FullyLabeledReplicas = pods.Count == 0 ? null : pods.Count;
            r.Status.ReadyReplicas = ready == 0 ? null : ready;
            r.Status.AvailableReplicas = ready == 0 ? null : ready;
            r.Status.ObservedGeneration = rs.Metadata.Generation;
        });
    }
}

/// <summary>
/// The Deployment controller: a ReplicaSet per template (&lt;deploy&gt;-&lt;pod-template-hash&gt;), rolling update within
/// maxSurge/maxUnavailable (or Recreate), the revision annotation, and the status and conditions kubectl rollout status reads.
/// </summary>
public sealed class DeploymentController : ControllerLoop
{
    readonly ResourceDefinition _deploy, _rs;
    const string Component = "deployment-controller";

    public DeploymentController(LabHost lab) : base(lab)
    {
        _deploy = lab.Registry.Deployments();
        _rs = lab.Registry.ReplicaSets();
    }

    protected override ResourceDefinition OwnerDef => _deploy;
    protected override IEnumerable<ResourceDefinition> DependentDefs => [_rs];

    static int Rev(V1ReplicaSet rs) =>
        rs.Metadata.Annotations?.TryGetValue("deployment.kubernetes.io/revision", out var r) == true && int.TryParse(r, out var n) ? n : 0;

    void Scale(V1ReplicaSet rs, int replicas)
    {
        if ((rs.Spec.Replicas ?? 0) == replicas) return;
        Lab.Store.Update(_rs, rs.Metadata.NamespaceProperty, rs.Metadata.Name, cur =>
        {
            var c = (V1ReplicaSet)_rs.Clone(cur.Object);
            c.Spec.Replicas = replicas;
            c.Metadata.Generation = (c.Metadata.Generation ?? 1) + 1;
            return c;
        });
    }

    protected override void Reconcile(string ns, string name)
    {
        var stored = Lab.Store.Get(_deploy, ns, name);
        if (stored is null) return;
        var d = (V1Deployment)stored.Object;
        if (d.Metadata.DeletionTimestamp is not null) return;
        var desired = d.Spec.Replicas ?? 1;
        var hash = Owners.TemplateHash(d.Spec.Template, d.Status?.CollisionCount);
        var rsName = $"{name}-{hash}";
        var all = Owned(d.Metadata.Uid, _rs).Select(o => (V1ReplicaSet)o.Object).ToList();
        var newRs = all.FirstOrDefault(r => r.Metadata.Name == rsName);
        var olds = all.Where(r => r.Metadata.Name != rsName).ToList();
        var maxRev = all.Count == 0 ? 0 : all.Max(Rev);
        if (newRs is null)
        {
            var template = KubernetesJson.Deserialize<V1PodTemplateSpec>(KubernetesJson.Serialize(d.Spec.Template));
            template.Metadata.Labels ??= new Dictionary<string, string>();
            template.Metadata.Labels["pod-template-hash"] = hash;
            var selector = KubernetesJson.Deserialize<V1LabelSelector>(KubernetesJson.Serialize(d.Spec.Selector));
            selector.MatchLabels ??= new Dictionary<string, string>();
            selector.MatchLabels["pod-template-hash"] = hash;
            var oldTotal0 = olds.Sum(r => r.Spec.Replicas ?? 0);
            var rs = new V1ReplicaSet
            {
                Metadata = new V1ObjectMeta
                {
                    Name = rsName, NamespaceProperty = ns, Labels = new Dictionary<string, string>(template.Metadata.Labels),
                    Annotations = new Dictionary<string, string>
                    {
                        ["deployment.kubernetes.io/desired-replicas"] = desired.ToString(),
                        ["deployment.kubernetes.io/max-replicas"] = (desired + Owners.Scaled(d.Spec.Strategy?.RollingUpdate?.MaxSurge, desired, true)).ToString(),
                        ["deployment.kubernetes.io/revision"] = (maxRev + 1).ToString(),
                    },
                    OwnerReferences = [Owners.ControllerRef(d, "apps/v1", "Deployment")],
                },
                Spec = new V1ReplicaSetSpec { Replicas = d.Spec.Strategy?.Type == "Recreate" || oldTotal0 > 0 ? 0 : desired, Selector = selector, Template = template, MinReadySeconds = d.Spec.MinReadySeconds },
            };
            try
            {
                newRs = (V1ReplicaSet)Lab.Rest.CreateObject(_rs, ns, rs).Object;
                Lab.Events.Record(d, "Normal", "ScalingReplicaSet", $"Scaled up replica set {rsName} from 0 to {rs.Spec.Replicas}", Component);
            }
            catch (ApiException e) when (e.Reason == "AlreadyExists") { return; }
            WriteRevision(d, maxRev + 1);
        }
        else if (Rev(newRs) < maxRev) WriteRevision(d, Rev(newRs));

        var oldTotal = olds.Sum(r => r.Spec.Replicas ?? 0);
        if (d.Spec.Strategy?.Type == "Recreate")
        {
            foreach (var o in olds) Scale(o, 0);
            if (olds.All(o => (o.Status?.Replicas ?? 0) == 0)) Scale(newRs, desired);
        }
        else
        {
            var maxSurge = Owners.Scaled(d.Spec.Strategy?.RollingUpdate?.MaxSurge, desired, true);
            var maxUnavailable = Owners.Scaled(d.Spec.Strategy?.RollingUpdate?.MaxUnavailable, desired, false);
            if (maxSurge == 0 && maxUnavailable == 0) maxUnavailable = 1;
            var newTarget = Math.Min(desired, Math.Max(newRs.Spec.Replicas ?? 0, desired + maxSurge - oldTotal));
            if (oldTotal == 0) newTarget = desired;
            Scale(newRs, newTarget);
            var minAvailable = desired - maxUnavailable;
            var available = (newRs.Status?.AvailableReplicas ?? 0) + olds.Sum(o => o.Status?.AvailableReplicas ?? 0);
            var canRemove = Math.Max(0, available - minAvailable);
            // unavailable old pods can always go
            foreach (var o in olds.OrderBy(Rev))
            {
                var cur = o.Spec.Replicas ?? 0;
                var unavailable = Math.Max(0, cur - (o.Status?.AvailableReplicas ?? 0));
                var remove = Math.Min(cur, unavailable + canRemove);
                canRemove -= Math.Max(0, remove - unavailable);
                if (remove > 0) Scale(o, cur - remove);
            }
        }
        // history limit
        var limit = d.Spec.RevisionHistoryLimit ?? 10;
        var idle = olds.Where(o => (o.Spec.Replicas ?? 0) == 0 && (o.Status?.Replicas ?? 0) == 0).OrderBy(Rev).ToList();
        foreach (var o in idle.Take(Math.Max(0, idle.Count - limit)))
            try { Lab.Store.Delete(_rs, ns, o.Metadata.Name); } catch (ApiException) { }

        var fresh = Owned(d.Metadata.Uid, _rs).Select(o => (V1ReplicaSet)o.Object).ToList();
        var nrs = fresh.FirstOrDefault(r => r.Metadata.Name == rsName) ?? newRs;
        var replicas = fresh.Sum(r => r.Status?.Replicas ?? 0);
        var updated = nrs.Status?.Replicas ?? 0;
        var ready = fresh.Sum(r => r.Status?.ReadyReplicas ?? 0);
        var avail = fresh.Sum(r => r.Status?.AvailableReplicas ?? 0);
        var complete = updated == desired && replicas == desired && avail == desired && (nrs.Status?.ObservedGeneration ?? 0) >= (nrs.Metadata.Generation ?? 1);
        var now = Lab.Clock.UtcNowSeconds;
        WriteStatus<V1Deployment>(_deploy, ns, name, d.Metadata.Uid, x =>
        {
            x.Status ??= new V1DeploymentStatus();
            var s = x.Status;
            s.ObservedGeneration = d.Metadata.Generation;
            s.Replicas = replicas == 0 ? null : replicas;
            s.UpdatedReplicas = updated == 0 ? null : updated;
            s.ReadyReplicas = ready == 0 ? null : ready;
            s.AvailableReplicas = avail == 0 ? null : avail;
            s.UnavailableReplicas = desired - avail > 0 ? desired - avail : null;
            var conds = (s.Conditions ?? []).ToList();
            void Set(string type, string status, string reason, string message)
            {
                var c = conds.FirstOrDefault(c => c.Type == type);
                if (c is null) conds.Add(c = new V1DeploymentCondition { Type = type, LastTransitionTime = now });
                if (c.Status != status) c.LastTransitionTime = now;
                if (c.Status != status || c.Reason != reason) c.LastUpdateTime = now;
                c.Status = status;
                c.Reason = reason;
                c.Message = message;
            }
            if (avail >= desired - Owners.Scaled(d.Spec.Strategy?.RollingUpdate?.MaxUnavailable, desired, false))
                Set("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.");
            else Set("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.");
            if (complete) Set("Progressing", "True", "NewReplicaSetAvailable", $"ReplicaSet \"{rsName}\" has successfully progressed.");
            else Set("Progressing", "True", "ReplicaSetUpdated", $"ReplicaSet \"{rsName}\" is progressing.");
            s.Conditions = conds.OrderBy(c => c.Type == "Available" ? 0 : 1).ToList();
        });
    }

    void WriteRevision(V1Deployment d, int revision)
    {
        Lab.Store.Update(_deploy, d.Metadata.NamespaceProperty, d.Metadata.Name, cur =>
        {
            var c = (V1Deployment)_deploy.Clone(cur.Object);
            c.Metadata.Annotations ??= new Dictionary<string, string>();
            c.Metadata.Annotations["deployment.kubernetes.io/revision"] = revision.ToString();
            return c;
        });
    }
}
