using ClydePS.Lab.Resources;
using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Controllers;

/// <summary>
/// The namespace controller: a namespace being deleted (deletionTimestamp set, phase Terminating) gets the
/// deletion conditions, its content deleted (objects with finalizers are marked and waited for), then the
/// <c>kubernetes</c> finalizer removed from spec.finalizers, and it disappears.
/// </summary>
public sealed class NamespaceController(LabHost lab) : IStoreController
{
    readonly HashSet<string> _terminating = [];
    readonly HashSet<string> _known = []; // namespaces seen terminating and not yet gone

    ResourceDefinition Namespaces => lab.Registry.Namespaces();

    public void Resync()
    {
        foreach (var ns in lab.Store.List(Namespaces, null).Items)
            if (ns.Object.Metadata.DeletionTimestamp is not null) { _terminating.Add(ns.Name); _known.Add(ns.Name); }
    }

    public void OnEvent(StoreEvent e)
    {
        if (e.Object is null || e.Type == StoreEventType.Bookmark) return;
        if (ReferenceEquals(e.Def, Namespaces))
        {
            if (e.Type == StoreEventType.Deleted) _known.Remove(e.Object.Name);
            else if (e.Object.Object.Metadata.DeletionTimestamp is not null) { _terminating.Add(e.Object.Name); _known.Add(e.Object.Name); }
        }
        // content events in a terminating namespace re-trigger the check (finalizers removed, pods gone)
        else if (e.Def.Namespaced && _known.Contains(e.Object.Namespace))
            _terminating.Add(e.Object.Namespace);
    }

    public void Flush()
    {
        foreach (var ns in _terminating.ToList())
        {
            _terminating.Remove(ns);
            try { Process(ns); }
            catch (ApiException) { }
        }
    }

    static V1NamespaceCondition Cond(string type, string status, string reason, string message, DateTime now) =>
        new() { Type = type, Status = status, Reason = reason, Message = message, LastTransitionTime = now };

    void Process(string ns)
    {
        var cur = lab.Store.Get(Namespaces, "", ns);
        if (cur is null || cur.Object.Metadata.DeletionTimestamp is null) return;
        var remaining = new Dictionary<string, int>();
        var finalizers = new HashSet<string>();
        foreach (var def in lab.Registry.All.Where(d => d.Namespaced))
        {
            foreach (var o in lab.Store.List(def, ns).Items)
            {
                var m = o.Object.Metadata;
                foreach (var x in m.Finalizers ?? []) finalizers.Add(x);
                // deleted as a client would (finalizers and graceful deletion honoured)
                if (m.DeletionTimestamp is null)
                    try { lab.Rest.DeleteObject(def, ns, o.Name); } catch (ApiException) { }
                if (lab.Store.Get(def, ns, o.Name) is not null) remaining[def.QualifiedResource] = remaining.GetValueOrDefault(def.QualifiedResource) + 1;
            }
        }
        var now = lab.Clock.UtcNowSeconds;
        var conditions = new List<V1NamespaceCondition>
        {
            Cond("NamespaceDeletionDiscoveryFailure", "False", "ResourcesDiscovered", "All resources successfully discovered", now),
            Cond("NamespaceDeletionGroupVersionParsingFailure", "False", "ParsedGroupVersions", "All legacy kube types successfully parsed", now),
            Cond("NamespaceDeletionContentFailure", "False", "ContentDeleted", "All content successfully deleted, may be waiting on finalization", now),
            remaining.Count > 0
                ? Cond("NamespaceContentRemaining", "True", "SomeResourcesRemain", "Some resources are remaining: " + string.Join(", ", remaining.OrderBy(k => k.Key).Select(k => $"{k.Key} has {k.Value} resource instances")), now)
                : Cond("NamespaceContentRemaining", "False", "ContentRemoved", "All content successfully removed", now),
            finalizers.Count > 0
                ? Cond("NamespaceFinalizersRemaining", "True", "SomeFinalizersRemain", "Some content in the namespace has finalizers remaining: " + string.Join(", ", finalizers.OrderBy(x => x).Select(x => x + " in " + remaining.Values.Sum() + " resource instances")), now)
                : Cond("NamespaceFinalizersRemaining", "False", "ContentHasNoFinalizers", "All content-preserving finalizers finished", now),
        };
        lab.Store.Update(Namespaces, "", ns, c =>
        {
            var n = (V1Namespace)Namespaces.Clone(c.Object);
            n.Status ??= new V1NamespaceStatus();
            // keep transition times of conditions whose status did not change
            foreach (var cond in conditions)
                if (n.Status.Conditions?.FirstOrDefault(x => x.Type == cond.Type) is { } old && old.Status == cond.Status && old.Reason == cond.Reason)
                    cond.LastTransitionTime = old.LastTransitionTime;
            n.Status.Conditions = conditions;
            if (remaining.Count == 0 && n.Spec?.Finalizers is { } sf) sf.Remove("kubernetes");
            return n;
        }, removeWhenFinalized: false);
        if (remaining.Count > 0) return;
        var final = lab.Store.Get(Namespaces, "", ns);
        if (final is not null && ((V1Namespace)final.Object).Spec?.Finalizers is not { Count: > 0 } && final.Object.Metadata.Finalizers is not { Count: > 0 })
            lab.Store.Delete(Namespaces, "", ns);
    }
}
