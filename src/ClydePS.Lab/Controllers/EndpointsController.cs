using ClydePS.Lab.Resources;
using ClydePS.Lab.Resources.Core;
using ClydePS.Lab.Store;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Controllers;

/// <summary>
/// The endpoints controller: for every Service with a selector, an Endpoints object of the same name
/// listing the matching pods that have an IP: Ready ones (or all, with publishNotReadyAddresses) in
/// <c>addresses</c>, the others in <c>notReadyAddresses</c>, each with ip, nodeName, hostname (when the
/// pod's subdomain is the Service) and targetRef; ports from the Service with named target ports resolved
/// per pod. Work is batched: changed Services are recomputed once per batch of events.
/// </summary>
public sealed class EndpointsController(LabHost lab) : IStoreController
{
    readonly HashSet<(string Ns, string Name)> _dirty = [];

    ResourceDefinition Services => lab.Registry.Services();
    ResourceDefinition Pods => lab.Registry.Pods();

    public void Resync()
    {
        foreach (var s in lab.Store.List(Services, null).Items) _dirty.Add((s.Namespace, s.Name));
        foreach (var ep in lab.Store.List(lab.Registry.EndpointsDef(), null).Items) _dirty.Add((ep.Namespace, ep.Name));
    }

    public void OnEvent(StoreEvent e)
    {
        if (e.Type == StoreEventType.Bookmark || e.Object is null) return;
        if (ReferenceEquals(e.Def, Services)) { _dirty.Add((e.Object.Namespace, e.Object.Name)); return; }
        if (!ReferenceEquals(e.Def, Pods)) return;
        var ns = e.Object.Namespace;
        var labels = e.Object.Object.Metadata.Labels;
        var oldLabels = e.Old?.Object.Metadata.Labels;
        foreach (var s in lab.Store.List(Services, ns).Items)
        {
            var sel = ((V1Service)s.Object).Spec?.Selector;
            if (sel is not { Count: > 0 }) continue;
            if (Matches(sel, labels) || Matches(sel, oldLabels)) _dirty.Add((ns, s.Name));
        }
    }

    static bool Matches(IDictionary<string, string> selector, IDictionary<string, string>? labels)
    {
        if (labels is null) return false;
        foreach (var (k, v) in selector)
            if (!labels.TryGetValue(k, out var lv) || lv != v) return false;
        return true;
    }

    public void Flush()
    {
        if (_dirty.Count == 0) return;
        var batch = _dirty.ToList();
        _dirty.Clear();
        foreach (var (ns, name) in batch)
        {
            try { Sync(ns, name); }
            catch (ApiException) { }
        }
    }

    public static bool IsReady(V1Pod pod) =>
        pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    void Sync(string ns, string name)
    {
        var epDef = lab.Registry.EndpointsDef();
        var svcObj = lab.Store.Get(Services, ns, name);
        if (svcObj is null)
        {
            if (lab.Store.Get(epDef, ns, name) is not null) lab.Store.Delete(epDef, ns, name);
            return;
        }
        var svc = (V1Service)svcObj.Object;
        if (svc.Spec?.Selector is not { Count: > 0 } selector) return; // endpoints managed by someone else
        var publishNotReady = svc.Spec.PublishNotReadyAddresses == true;
        var groups = new Dictionary<string, (List<Corev1EndpointPort> Ports, List<V1EndpointAddress> Ready, List<V1EndpointAddress> NotReady)>();
        foreach (var po in lab.Store.List(Pods, ns).Items)
        {
            var pod = (V1Pod)po.Object;
            if (!Matches(selector, pod.Metadata.Labels)) continue;
            if (string.IsNullOrEmpty(pod.Status?.PodIP)) continue;
            if (!publishNotReady && pod.Metadata.DeletionTimestamp is not null) continue;
            if (pod.Status.Phase is "Succeeded" or "Failed") continue;
            var address = new V1EndpointAddress
            {
                Ip = pod.Status.PodIP,
                NodeName = string.IsNullOrEmpty(pod.Spec?.NodeName) ? null : pod.Spec.NodeName,
                Hostname = !string.IsNullOrEmpty(pod.Spec?.Hostname) && pod.Spec.Subdomain == svc.Metadata.Name ? pod.Spec.Hostname : null,
                TargetRef = new V1ObjectReference { Kind = "Pod", NamespaceProperty = ns, Name = pod.Metadata.Name, Uid = pod.Metadata.Uid },
            };
            var ports = new List<Corev1EndpointPort>();
            var ok = true;
            foreach (var sp in svc.Spec.Ports ?? [])
            {
                var num = FindPort(pod, sp);
                if (num is null) { ok = false; break; }
                ports.Add(new Corev1EndpointPort { Name = string.IsNullOrEmpty(sp.Name) ? null : sp.Name, Port = num.Value, Protocol = sp.Protocol, AppProtocol = sp.AppProtocol });
            }
            if (!ok) continue;
            var key = string.Join(",", ports.Select(p => $"{p.Name}/{p.Port}/{p.Protocol}"));
            if (!groups.TryGetValue(key, out var g)) groups[key] = g = (ports, [], []);
            if (publishNotReady || IsReady(pod)) g.Ready.Add(address); else g.NotReady.Add(address);
        }
        var subsets = groups.Values
            .Select(g => new V1EndpointSubset
            {
                Addresses = g.Ready.Count > 0 ? Sort(g.Ready) : null,
                NotReadyAddresses = g.NotReady.Count > 0 ? Sort(g.NotReady) : null,
                Ports = g.Ports.Count > 0 ? g.Ports : null,
            })
            .OrderBy(s => KubernetesJson.Serialize(s), StringComparer.Ordinal)
            .ToList();
        var labels = new Dictionary<string, string>(svc.Metadata.Labels ?? new Dictionary<string, string>());
        if (svc.Spec.ClusterIP == "None") labels["service.kubernetes.io/headless"] = "";
        else labels.Remove("service.kubernetes.io/headless");
        var current = lab.Store.Get(epDef, ns, name);
        if (current is null)
        {
            lab.Rest.CreateObject(epDef, ns, new V1Endpoints
            {
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels.Count > 0 ? labels : null },
                Subsets = subsets.Count > 0 ? subsets : null,
            });
            return;
        }
        lab.Store.Update(epDef, ns, name, cur =>
        {
            var ep = (V1Endpoints)epDef.Clone(cur.Object);
            ep.Metadata.Labels = labels.Count > 0 ? labels : null;
            ep.Subsets = subsets.Count > 0 ? subsets : null;
            return ep;
        });
    }

    static List<V1EndpointAddress> Sort(List<V1EndpointAddress> a) =>
        a.OrderBy(x => x.Ip, StringComparer.Ordinal).ThenBy(x => x.TargetRef?.Uid, StringComparer.Ordinal).ToList();

    /// <summary>podutil.FindPort: a numeric targetPort as is, a named one from the pod's container ports.</summary>
    static int? FindPort(V1Pod pod, V1ServicePort sp)
    {
        var tp = sp.TargetPort?.Value;
        if (string.IsNullOrEmpty(tp)) return sp.Port;
        if (int.TryParse(tp, out var n)) return n;
        foreach (var c in pod.Spec?.Containers ?? [])
            foreach (var p in c.Ports ?? [])
                if (p.Name == tp && (p.Protocol ?? "TCP") == (sp.Protocol ?? "TCP")) return p.ContainerPort;
        return null;
    }
}
