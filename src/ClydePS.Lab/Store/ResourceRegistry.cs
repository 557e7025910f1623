namespace ClydePS.Lab.Store;

/// <summary>The set of served resources, looked up by (group, version, plural).</summary>
public sealed class ResourceRegistry
{
    readonly List<ResourceDefinition> _all = [];
    readonly Dictionary<(string, string, string), ResourceDefinition> _byGvr = new();

    public IReadOnlyList<ResourceDefinition> All => _all;

    public void Register(ResourceDefinition def)
    {
        _byGvr.Add((def.Group, def.Version, def.Plural), def);
        _all.Add(def);
    }

    public ResourceDefinition? Find(string group, string version, string plural) =>
        _byGvr.TryGetValue((group, version, plural), out var d) ? d : null;

    public ResourceDefinition Get(string group, string version, string plural) =>
        Find(group, version, plural) ?? throw new KeyNotFoundException($"{plural}.{group}/{version} is not registered");

    public IEnumerable<(string Group, string Version)> GroupVersions() =>
        _all.Select(d => (d.Group, d.Version)).Distinct();
}
