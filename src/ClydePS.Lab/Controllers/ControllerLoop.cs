using ClydePS.Lab.Resources;
using ClydePS.Lab.Store;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Controllers;

/// <summary>
/// A controller's work loop: one store subscription, events mapped to owner keys ("ns/name"), a deduplicating work
/// queue drained in batches by one reconcile loop, delayed requeues in Lab time, and an index of pods (and other
/// dependents) by their controller's uid so reconciles never scan every pod.
/// </summary>
public abstract class ControllerLoop
{
    protected readonly LabHost Lab;
    protected readonly ResourceDefinition PodsDef;
    readonly object _gate = new();
    readonly HashSet<string> _dirty = [];
    readonly SemaphoreSlim _signal = new(0);
    readonly Dictionary<string, Dictionary<string, StoredObject>> _byOwner = new();
    CancellationToken _ct;

    protected ControllerLoop(LabHost lab)
    {
        Lab = lab;
        PodsDef = lab.Registry.Pods();
    }

    /// <summary>The kind this controller owns (its objects' events enqueue their own key).</summary>
    protected abstract ResourceDefinition OwnerDef { get; }
    /// <summary>Dependents indexed by controller uid (pods by default).</summary>
    protected virtual IEnumerable<ResourceDefinition> DependentDefs => [PodsDef];
    protected abstract void Reconcile(string ns, string name);
    /// <summary>Other events (nodes for DaemonSets) may enqueue keys.</summary>
    protected virtual void OnOtherEvent(StoreEvent e) { }

    public void Enqueue(string key)
    {
        lock (_gate) _dirty.Add(key);
        _signal.Release();
    }

    protected void EnqueueAfter(string key, TimeSpan labDelay)
    {
        _ = Task.Run(async () =>
        {
            try { await Lab.Clock.DelayAsync(labDelay, _ct); Enqueue(key); }
            catch (OperationCanceledException) { }
        });
    }

    protected void EnqueueAll()
    {
        foreach (var o in Lab.Store.List(OwnerDef, null).Items) Enqueue(o.Key);
    }

    /// <summary>Dependents of the given kind whose controller is <paramref name="uid"/>.</summary>
    protected List<StoredObject> Owned(string uid, ResourceDefinition? def = null)
    {
        def ??= PodsDef;
        lock (_gate)
            return _byOwner.TryGetValue(uid, out var m)
                ? m.Values.Where(o => ReferenceEquals(o.Def, def)).ToList()
                : [];
    }

    /// <summary>
    /// Counts an object this controller just created as owned at once, before its watch event arrives (the real
    /// controllers' "expectations"), so a reconcile in between never creates a second pod for the same slot.
    /// </summary>
    void Expect(StoredObject created)
    {
        if (Owners.ControllerOf(created.Object)?.Uid is not { } uid) return;
        if (Lab.Store.Get(created.Def, created.Namespace, created.Name) is null) return; // already gone again
        var idKey = created.Def.Plural + "|" + created.Key;
        lock (_gate)
        {
            if (!_byOwner.TryGetValue(uid, out var m)) _byOwner[uid] = m = new();
            if (!m.TryGetValue(idKey, out var seen) || seen.ResourceVersion < created.ResourceVersion) m[idKey] = created;
        }
    }

    void Index(StoreEvent e)
    {
        var o = e.Object!;
        var idKey = o.Def.Plural + "|" + o.Key;
        var oldUid = e.Old is null ? null : Owners.ControllerOf(e.Old.Object)?.Uid;
        var newUid = e.Type == StoreEventType.Deleted ? null : Owners.ControllerOf(o.Object)?.Uid;
        lock (_gate)
        {
            if (oldUid is not null && oldUid != newUid && _byOwner.TryGetValue(oldUid, out var om))
            {
                om.Remove(idKey);
                if (om.Count == 0) _byOwner.Remove(oldUid);
            }
            if (e.Type == StoreEventType.Deleted)
            {
                var u = Owners.ControllerOf(o.Object)?.Uid;
                if (u is not null && _byOwner.TryGetValue(u, out var dm)) { dm.Remove(idKey); if (dm.Count == 0) _byOwner.Remove(u); }
            }
            else if (newUid is not null)
            {
                if (!_byOwner.TryGetValue(newUid, out var nm)) _byOwner[newUid] = nm = new();
                nm[idKey] = o;
            }
        }
    }

    public async Task RunAsync(CancellationToken ct)
    {
        _ct = ct;
        using var watcher = Lab.Store.Subscribe(null, null, 4_000_000);
        foreach (var def in DependentDefs)
            foreach (var o in Lab.Store.List(def, null).Items) Index(new StoreEvent(StoreEventType.Added, def, o, null, o.ResourceVersion));
        EnqueueAll();
        _ = PumpAsync(watcher, ct);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await _signal.WaitAsync(ct);
                await Task.Delay(5, ct); // let a burst of events coalesce
                List<string> keys;
                lock (_gate)
                {
                    keys = [.. _dirty];
                    _dirty.Clear();
                }
                while (_signal.CurrentCount > 0) _signal.Wait(0);
                foreach (var key in keys)
                {
                    var slash = key.IndexOf('/');
                    try { Reconcile(key[..slash], key[(slash + 1)..]); }
                    catch (ApiException) { EnqueueAfter(key, TimeSpan.FromSeconds(1)); }
                    catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or NullReferenceException)
                    {
                        EnqueueAfter(key, TimeSpan.FromSeconds(5));
                    }
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    async Task PumpAsync(Watcher watcher, CancellationToken ct)
    {
        var reader = watcher.Reader;
        try
        {
            while (await reader.WaitToReadAsync(ct))
                while (reader.TryRead(out var e))
                {
                    if (e.Object is null) continue;
                    if (ReferenceEquals(e.Def, OwnerDef)) Enqueue(e.Object.Key);
                    else if (DependentDefs.Contains(e.Def))
                    {
                        Index(e);
                        var owner = Owners.ControllerOf(e.Object.Object) ?? (e.Old is null ? null : Owners.ControllerOf(e.Old.Object));
                        if (owner is not null && owner.Kind == OwnerDef.Kind) Enqueue(e.Object.Namespace + "/" + owner.Name);
                    }
                    else OnOtherEvent(e);
                }
        }
        catch (OperationCanceledException) { }
    }

    // ---- helpers shared by controllers ----

    protected static bool PodReady(V1Pod p) => p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;
    protected static bool PodActive(V1Pod p) => p.Status?.Phase is not ("Succeeded" or "Failed") && p.Metadata.DeletionTimestamp is null;

    protected V1Pod NewPod(IKubernetesObject<V1ObjectMeta> owner, string apiVersion, string kind, V1PodTemplateSpec template, string? name, string? generateName)
    {
        var t = (V1PodTemplateSpec)k8s.KubernetesJson.Deserialize<V1PodTemplateSpec>(KubernetesJson.Serialize(template));
        return new V1Pod
        {
            ApiVersion = "v1", Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                Name = name, GenerateName = generateName, NamespaceProperty = owner.Metadata.NamespaceProperty,
                Labels = t.Metadata?.Labels is null ? new Dictionary<string, string>() : new Dictionary<string, string>(t.Metadata.Labels),
                Annotations = t.Metadata?.Annotations is null ? null : new Dictionary<string, string>(t.Metadata.Annotations),
                Finalizers = t.Metadata?.Finalizers,
                OwnerReferences = [Owners.ControllerRef(owner, apiVersion, kind)],
            },
            Spec = t.Spec,
        };
    }

    protected StoredObject? CreatePod(IKubernetesObject<V1ObjectMeta> owner, V1Pod pod, string controllerKind)
    {
        try
        {
            var created = Lab.Rest.CreateObject(PodsDef, owner.Metadata.NamespaceProperty, pod);
            Expect(created);
            Lab.Events.Record(owner, "Normal", "SuccessfulCreate", $"Created pod: {created.Name}", controllerKind);
            return created;
        }
        catch (ApiException e) when (e.Reason != "AlreadyExists")
        {
            Lab.Events.Record(owner, "Warning", "FailedCreate", $"Error creating: {e.Message}", controllerKind);
            return null;
        }
        catch (ApiException) { return null; }
    }

    protected void DeletePod(IKubernetesObject<V1ObjectMeta> owner, StoredObject pod, string controllerKind)
    {
        try
        {
            Lab.Rest.DeleteObjectGraceful(PodsDef, pod.Namespace, pod.Name, null);
            Lab.Events.Record(owner, "Normal", "SuccessfulDelete", $"Deleted pod: {pod.Name}", controllerKind);
        }
        catch (ApiException) { }
    }

    /// <summary>Writes the owner's status (a no-op when unchanged).</summary>
    protected void WriteStatus<T>(ResourceDefinition def, string ns, string name, string uid, Action<T> mutate) where T : class, IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            Lab.Store.Update(def, ns, name, cur =>
            {
                if (cur.Object.Metadata.Uid != uid) throw ApiException.NotFound(def.Plural, def.Group, name);
                var copy = (T)def.Clone(cur.Object);
                mutate(copy);
                return copy;
            });
        }
        catch (ApiException e) when (e.Code == 404) { }
    }
}
