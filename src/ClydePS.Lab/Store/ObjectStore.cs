using k8s;
using k8s.Models;

namespace ClydePS.Lab.Store;

/// <summary>
/// The in-memory object store: one global monotonic resourceVersion, objects per resource kept sorted
/// by key (namespace/name, like etcd), a bounded event history for watch replay, and watchers fed
/// without blocking writers. All writes are serialized by one lock, which also makes "register a
/// watcher after replaying history" atomic. Background simulations (controllers, kubelets) subscribe
/// with <see cref="Subscribe"/> and write through the same methods the REST layer uses.
/// </summary>
public sealed class ObjectStore
{
    readonly object _gate = new();
    readonly Dictionary<ResourceDefinition, SortedDictionary<string, StoredObject>> _data = new(GvrComparer.Instance);

    /// <summary>Tables are keyed by group/version/resource, so a re-registered definition (an updated CRD) keeps its objects.</summary>
    sealed class GvrComparer : IEqualityComparer<ResourceDefinition>
    {
        public static readonly GvrComparer Instance = new();
        public bool Equals(ResourceDefinition? a, ResourceDefinition? b) =>
            ReferenceEquals(a, b) || a is not null && b is not null && a.Group == b.Group && a.Version == b.Version && a.Plural == b.Plural;
        public int GetHashCode(ResourceDefinition d) => HashCode.Combine(d.Group, d.Version, d.Plural);
    }
    readonly List<Watcher> _watchers = [];
    readonly StoreEvent?[] _history;
    int _historyStart, _historyCount;
    long _rv;
    long _horizon; // every event with rv > _horizon is still in the history

    public ResourceRegistry Registry { get; }
    public int WatcherCapacity { get; }
    /// <summary>The namespaces resource; namespaced creates require the namespace to exist and not be terminating.</summary>
    public ResourceDefinition? NamespacesDefinition { get; set; }

    public ObjectStore(ResourceRegistry registry, int historySize = 10_000, int watcherCapacity = 10_000)
    {
        Registry = registry;
        _history = new StoreEvent?[Math.Max(1, historySize)];
        WatcherCapacity = watcherCapacity;
    }

    public long CurrentResourceVersion { get { lock (_gate) return _rv; } }
    public int WatcherCount { get { lock (_gate) return _watchers.Count; } }

    SortedDictionary<string, StoredObject> Table(ResourceDefinition def)
    {
        if (!_data.TryGetValue(def, out var t))
            _data[def] = t = new SortedDictionary<string, StoredObject>(StringComparer.Ordinal);
        return t;
    }

    public StoredObject? Get(ResourceDefinition def, string ns, string name)
    {
        lock (_gate) return Table(def).GetValueOrDefault(StoredObject.StoreKey(def.Namespaced ? ns : "", name));
    }

    /// <summary>Objects sorted by key, from after <paramref name="startAfterKey"/>, plus the current resourceVersion.</summary>
    public (List<StoredObject> Items, long ResourceVersion) List(ResourceDefinition def, string? ns, string? startAfterKey = null)
    {
        lock (_gate)
        {
            var t = Table(def);
            var list = new List<StoredObject>(t.Count);
            string? prefix = ns is { Length: > 0 } && def.Namespaced ? ns + "/" : null;
            foreach (var (k, v) in t)
            {
                if (startAfterKey is not null && string.CompareOrdinal(k, startAfterKey) <= 0) continue;
                if (prefix is not null && !k.StartsWith(prefix, StringComparison.Ordinal)) continue;
                list.Add(v);
            }
            return (list, _rv);
        }
    }

    public int Count(ResourceDefinition def) { lock (_gate) return Table(def).Count; }

    void CheckNamespace(ResourceDefinition def, string ns, string name, bool creating)
    {
        if (!def.Namespaced || NamespacesDefinition is null) return;
        var nsObj = Table(NamespacesDefinition).GetValueOrDefault(ns);
        if (nsObj is null) throw ApiException.NotFound("namespaces", "", ns);
        if (creating && nsObj.Object.Metadata.DeletionTimestamp is not null)
        {
            var forbidden = ApiException.Forbidden(def.Plural, def.Group, name, $"unable to create new content in namespace {ns} because it is being terminated");
            throw new ApiException(403, "Forbidden", forbidden.Message)
            {
                DetailName = name, DetailGroup = def.Group, DetailKind = def.Plural,
                Causes = [new StatusCause("NamespaceTerminating", $"namespace {ns} is being terminated", "metadata.namespace")],
            };
        }
    }

    /// <summary>Stores a new object (its metadata already prepared); sets resourceVersion.</summary>
    public StoredObject Create(ResourceDefinition def, IKubernetesObject<V1ObjectMeta> obj, bool dryRun = false)
    {
        var ns = def.Namespaced ? obj.Metadata.NamespaceProperty ?? "" : "";
        var name = obj.Metadata.Name;
        lock (_gate)
        {
            CheckNamespace(def, ns, name, creating: true);
            var t = Table(def);
            var key = StoredObject.StoreKey(ns, name);
            if (t.ContainsKey(key)) throw ApiException.AlreadyExists(def.Plural, def.Group, name);
            if (dryRun)
            {
                obj.ApiVersion = def.ApiVersion;
                obj.Kind = def.Kind;
                obj.Metadata.ResourceVersion = null;
                return new StoredObject(def, obj, 0);
            }
            var rv = ++_rv;
            obj.ApiVersion = def.ApiVersion;
            obj.Kind = def.Kind;
            obj.Metadata.ResourceVersion = rv.ToString();
            var stored = new StoredObject(def, obj, rv);
            t[key] = stored;
            Publish(new StoreEvent(StoreEventType.Added, def, stored, null, rv));
            return stored;
        }
    }

    /// <summary>
    /// Read-modify-write under the lock. <paramref name="mutate"/> gets the current version and returns
    /// the new object (never the same instance), or throws an <see cref="ApiException"/>. When the new
    /// object serializes identically (resourceVersion aside) nothing is written and no event is sent.
    /// An object whose deletionTimestamp is set and whose finalizers are gone is removed.
    /// </summary>
    public (StoredObject Result, bool Changed) Update(ResourceDefinition def, string ns, string name,
        Func<StoredObject, IKubernetesObject<V1ObjectMeta>> mutate, bool removeWhenFinalized = true, bool dryRun = false)
    {
        ns = def.Namespaced ? ns : "";
        lock (_gate)
        {
            var t = Table(def);
            var key = StoredObject.StoreKey(ns, name);
            if (!t.TryGetValue(key, out var current)) throw ApiException.NotFound(def.Plural, def.Group, name);
            var next = mutate(current);
            next.ApiVersion = def.ApiVersion;
            next.Kind = def.Kind;
            next.Metadata.ResourceVersion = current.Object.Metadata.ResourceVersion;
            var candidate = new StoredObject(def, next, current.ResourceVersion);
            if (candidate.Json.AsSpan().SequenceEqual(current.Json)) return (current, false);
            if (dryRun) return (candidate, true);

            var rv = ++_rv;
            next.Metadata.ResourceVersion = rv.ToString();
            var stored = new StoredObject(def, next, rv);
            if (removeWhenFinalized && next.Metadata.DeletionTimestamp is not null && (next.Metadata.Finalizers is null || next.Metadata.Finalizers.Count == 0) &&
                (next.Metadata.DeletionGracePeriodSeconds ?? 0) == 0)
            {
                t.Remove(key);
                Publish(new StoreEvent(StoreEventType.Deleted, def, stored, current, rv));
                return (stored, true);
            }
            t[key] = stored;
            Publish(new StoreEvent(StoreEventType.Modified, def, stored, current, rv));
            return (stored, true);
        }
    }

    /// <summary>Removes an object; the returned version carries the deletion's resourceVersion.</summary>
    public StoredObject Delete(ResourceDefinition def, string ns, string name, Action<StoredObject>? precondition = null, bool dryRun = false)
    {
        ns = def.Namespaced ? ns : "";
        lock (_gate)
        {
            var t = Table(def);
            var key = StoredObject.StoreKey(ns, name);
            if (!t.TryGetValue(key, out var current)) throw ApiException.NotFound(def.Plural, def.Group, name);
            precondition?.Invoke(current);
            if (dryRun) return current;
            var rv = ++_rv;
            var copy = def.Clone(current.Object);
            copy.Metadata.ResourceVersion = rv.ToString();
            var stored = new StoredObject(def, copy, rv);
            t.Remove(key);
            Publish(new StoreEvent(StoreEventType.Deleted, def, stored, current, rv));
            return stored;
        }
    }

    void Publish(StoreEvent e)
    {
        if (_historyCount == _history.Length)
        {
            _horizon = _history[_historyStart]!.ResourceVersion;
            _history[_historyStart] = e;
            _historyStart = (_historyStart + 1) % _history.Length;
        }
        else
        {
            _history[(_historyStart + _historyCount) % _history.Length] = e;
            _historyCount++;
        }
        foreach (var w in _watchers)
            if (w.Matches(e)) w.Offer(e);
    }

    /// <summary>Forgets the event history up to now (as an etcd compaction would); older watches get 410.</summary>
    public void Compact()
    {
        lock (_gate)
        {
            Array.Clear(_history);
            _historyStart = _historyCount = 0;
            _horizon = _rv;
        }
    }

    /// <summary>A watcher over all changes (or one resource), for in-process simulations.</summary>
    public Watcher Subscribe(ResourceDefinition? def = null, string? ns = null, int? capacity = null)
    {
        lock (_gate)
        {
            var w = new Watcher(this, def, ns, capacity ?? WatcherCapacity);
            _watchers.Add(w);
            return w;
        }
    }

    /// <summary>
    /// Starts a watch. With <paramref name="fromResourceVersion"/> null, returns the current objects as
    /// the initial events; otherwise the history after that version. Throws 410 Expired when the history
    /// no longer reaches back that far.
    /// </summary>
    public (Watcher Watcher, List<StoreEvent> Initial, long ResourceVersion) StartWatch(ResourceDefinition def, string? ns, long? fromResourceVersion)
    {
        lock (_gate)
        {
            var initial = new List<StoreEvent>();
            if (fromResourceVersion is null)
            {
                var t = Table(def);
                string? prefix = ns is { Length: > 0 } && def.Namespaced ? ns + "/" : null;
                foreach (var (k, v) in t)
                    if (prefix is null || k.StartsWith(prefix, StringComparison.Ordinal))
                        initial.Add(new StoreEvent(StoreEventType.Added, def, v, null, v.ResourceVersion));
            }
            else
            {
                var from = fromResourceVersion.Value;
                if (from < _horizon)
                    throw ApiException.Expired($"too old resource version: {from} ({_horizon})");
                for (var i = 0; i < _historyCount; i++)
                {
                    var e = _history[(_historyStart + i) % _history.Length]!;
                    if (e.ResourceVersion <= from || !ReferenceEquals(e.Def, def)) continue;
                    if (ns is { Length: > 0 } && def.Namespaced && e.Object!.Namespace != ns) continue;
                    initial.Add(e);
                }
            }
            var w = new Watcher(this, def, def.Namespaced && ns is { Length: > 0 } ? ns : null, WatcherCapacity);
            _watchers.Add(w);
            return (w, initial, _rv);
        }
    }

    /// <summary>Ends every watch (at shutdown), so streaming responses complete promptly.</summary>
    public void CloseAllWatchers()
    {
        lock (_gate)
        {
            foreach (var w in _watchers) w.Complete();
            _watchers.Clear();
        }
    }

    internal void QueueBookmark(Watcher w)
    {
        lock (_gate) w.Offer(new StoreEvent(StoreEventType.Bookmark, w.Def!, null, null, _rv));
    }

    internal void Unsubscribe(Watcher w)
    {
        lock (_gate) _watchers.Remove(w);
        w.Complete();
    }
}
