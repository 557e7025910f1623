using ClydePS.Lab.Resources.Workloads;
using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Controllers;

/// <summary>
/// The garbage collector for the workload kinds: when an owner is deleted (background) its dependents are deleted;
/// an owner carrying the <c>orphan</c> finalizer has its ownerReferences removed from dependents; one carrying
/// <c>foregroundDeletion</c> waits until its dependents are gone. Dependents: pods, replicasets, controllerrevisions.
/// </summary>
public sealed class GarbageCollector
{
    readonly LabHost _lab;
    readonly ResourceDefinition[] _dependents;
    readonly HashSet<ResourceDefinition> _owners;
    readonly Dictionary<string, Dictionary<string, (ResourceDefinition Def, string Ns, string Name)>> _byOwner = new();
    readonly Dictionary<string, StoredObject> _foreground = new();

    public GarbageCollector(LabHost lab)
    {
        _lab = lab;
        var r = lab.Registry;
        _dependents = [r.Get("", "v1", "pods"), r.ReplicaSets(), r.ControllerRevisions()];
        _owners = [r.DaemonSets(), r.StatefulSets(), r.Deployments(), r.ReplicaSets(), r.Jobs()];
    }

    void Index(StoredObject o, StoredObject? old, bool deleted)
    {
        var key = o.Def.Plural + "|" + o.Key;
        foreach (var r in old?.Object.Metadata.OwnerReferences ?? [])
            if (_byOwner.TryGetValue(r.Uid, out var m)) { m.Remove(key); if (m.Count == 0) _byOwner.Remove(r.Uid); }
        if (deleted) return;
        foreach (var r in o.Object.Metadata.OwnerReferences ?? [])
        {
            if (!_byOwner.TryGetValue(r.Uid, out var m)) _byOwner[r.Uid] = m = new();
            m[key] = (o.Def, o.Namespace, o.Name);
        }
    }

    public async Task RunAsync(CancellationToken ct)
    {
        using var watcher = _lab.Store.Subscribe(null, null, 4_000_000);
        foreach (var d in _dependents)
            foreach (var o in _lab.Store.List(d, null).Items) Index(o, null, false);
        var reader = watcher.Reader;
        try
        {
            while (await reader.WaitToReadAsync(ct))
                while (reader.TryRead(out var e))
                {
                    if (e.Object is null) continue;
                    if (_dependents.Contains(e.Def))
                    {
                        Index(e.Object, e.Old, e.Type == StoreEventType.Deleted);
                        if (e.Type == StoreEventType.Deleted && _foreground.Count > 0)
                            foreach (var r in e.Object.Object.Metadata.OwnerReferences ?? [])
                                if (_foreground.Remove(r.Uid, out var fo) && _lab.Store.Get(fo.Def, fo.Namespace, fo.Name) is { } cur) Finalize(cur, r.Uid);
                    }
                    if (!_owners.Contains(e.Def)) continue;
                    var uid = e.Object.Object.Metadata.Uid;
                    if (e.Type == StoreEventType.Deleted) DeleteDependents(uid);
                    else if (e.Object.Object.Metadata.DeletionTimestamp is not null) Finalize(e.Object, uid);
                }
        }
        catch (OperationCanceledException) { }
    }

    List<(ResourceDefinition Def, string Ns, string Name)> Dependents(string uid) =>
        _byOwner.TryGetValue(uid, out var m) ? [.. m.Values] : [];

    void DeleteDependents(string uid)
    {
        foreach (var (def, ns, name) in Dependents(uid))
        {
            var cur = _lab.Store.Get(def, ns, name);
            if (cur is null || cur.Object.Metadata.OwnerReferences?.Any(r => r.Uid == uid) != true) continue;
            try { _lab.Rest.DeleteObjectGraceful(def, ns, name, null, "Background"); } catch (ApiException) { }
        }
    }

    void Finalize(StoredObject owner, string uid)
    {
        var fin = owner.Object.Metadata.Finalizers ?? [];
        if (fin.Contains("orphan"))
        {
            foreach (var (def, ns, name) in Dependents(uid))
            {
                try
                {
                    _lab.Store.Update(def, ns, name, cur =>
                    {
                        var c = def.Clone(cur.Object);
                        c.Metadata.OwnerReferences = c.Metadata.OwnerReferences?.Where(r => r.Uid != uid).ToList();
                        if (c.Metadata.OwnerReferences is { Count: 0 }) c.Metadata.OwnerReferences = null;
                        return c;
                    });
                }
                catch (ApiException) { }
            }
            RemoveFinalizer(owner, "orphan");
        }
        else if (fin.Contains("foregroundDeletion"))
        {
            var deps = Dependents(uid).Where(d => _lab.Store.Get(d.Def, d.Ns, d.Name) is not null).ToList();
            if (deps.Count == 0) RemoveFinalizer(owner, "foregroundDeletion");
            else
            {
                _foreground[uid] = owner;
                DeleteDependents(uid);
            }
        }
    }

    void RemoveFinalizer(StoredObject owner, string finalizer)
    {
        try
        {
            _lab.Store.Update(owner.Def, owner.Namespace, owner.Name, cur =>
            {
                var c = owner.Def.Clone(cur.Object);
                c.Metadata.Finalizers = c.Metadata.Finalizers?.Where(f => f != finalizer).ToList();
                if (c.Metadata.Finalizers is { Count: 0 }) c.Metadata.Finalizers = null;
                return c;
            });
        }
        catch (ApiException) { }
    }
}
