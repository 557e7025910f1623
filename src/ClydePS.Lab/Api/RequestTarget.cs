using ClydePS.Lab.Store;

namespace ClydePS.Lab.Api;

/// <summary>A parsed resource request path: /api/v1/... or /apis/{group}/{version}/...</summary>
public sealed record RequestTarget(ResourceDefinition Def, string? Namespace, string? Name, string? Subresource)
{
    /// <summary>Parses the segments after the group/version; null when no served resource matches.</summary>
    public static RequestTarget? Parse(ResourceRegistry registry, string group, string version, string rest)
    {
        var segs = rest.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segs.Length == 0) return null;
        if (segs[0] == "namespaces" && segs.Length >= 3 && registry.Find(group, version, segs[2]) is { Namespaced: true } nsDef)
        {
            if (segs.Length > 5) return null;
            return new RequestTarget(nsDef, segs[1], segs.Length > 3 ? segs[3] : null, segs.Length > 4 ? segs[4] : null);
        }
        var def = registry.Find(group, version, segs[0]);
        if (def is null || segs.Length > 3) return null;
        return new RequestTarget(def, null, segs.Length > 1 ? segs[1] : null, segs.Length > 2 ? segs[2] : null);
    }

    public string ResourceForStats => Subresource is null ? Def.Plural : Def.Plural + "/" + Subresource;
}
