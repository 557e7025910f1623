namespace ClydePS.Lab.Store;

/// <summary>
/// The set of served resources, looked up by (group, version, plural). Thread-safe: custom resources are
/// registered and removed while the server runs (readers see immutable snapshots).
/// </summary>
public sealed class ResourceRegistry
{
    readonly object _gate = new();
    volatile ResourceDefinition[] _all = [];
    volatile Dictionary<(string, string, string), ResourceDefinition> _byGvr = new();

    public IReadOnlyList<ResourceDefinition> All => _all;

    public void Register(ResourceDefinition def)
    {
        lock (_gate)
        {
            var map = new Dictionary<(string, string, string), ResourceDefinition>(_byGvr);
            map.Add((def.Group, def.Version, def.Plural), def);
            _all = [.. _all, def];
            _byGvr = map;
        }
    }

    /// <summary>Stops serving a resource (a deleted CustomResourceDefinition's versions).</summary>
    public bool Unregister(ResourceDefinition def)
    {
        lock (_gate)
        {
            if (!_byGvr.TryGetValue((def.Group, def.Version, def.Plural), out var cur) || !ReferenceEquals(cur, def)) return false;
            var map = new Dictionary<(string, string, string), ResourceDefinition>(_byGvr);
            map.Remove((def.Group, def.Version, def.Plural));
            _all = _all.Where(d => !ReferenceEquals(d, def)).ToArray();
            _byGvr = map;
            return true;
        }
    }

    public ResourceDefinition? Find(string group, string version, string plural) =>
        _byGvr.TryGetValue((group, version, plural), out var d) ? d : null;

    public ResourceDefinition Get(string group, string version, string plural) =>
        Find(group, version, plural) ?? throw new KeyNotFoundException($"{plural}.{group}/{version} is not registered");

    public IEnumerable<(string Group, string Version)> GroupVersions() =>
        _all.Select(d => (d.Group, d.Version)).Distinct();
}
