using ClydePS.Lab.Patch;
using ClydePS.Lab.Store;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Resources.Core;

/// <summary>v1 Endpoints (ep); kept up to date by <see cref="Controllers.EndpointsController"/>.</summary>
public static class EndpointsResource
{
    public static ResourceDefinition Definition() => new()
    {
        Group = "", Version = "v1", Plural = "endpoints", Singular = "endpoints", Kind = "Endpoints", Namespaced = true,
        ClrType = typeof(V1Endpoints), ShortNames = ["ep"], StorageVersionHash = "fWeeMqaN/OA=",
        Table = new SimpleTable([SimpleTable.Name,
                new("Endpoints", "string", "Endpoints of the endpoints object"),
                SimpleTable.Age],
            (o, now) => [o.Metadata.Name, Format((V1Endpoints)o), SimpleTable.Age_(o, now)]),
        Defaulter = o =>
        {
            foreach (var s in ((V1Endpoints)o).Subsets ?? [])
                foreach (var p in s.Ports ?? []) p.Protocol ??= "TCP";
        },
        PatchSchema = new PatchSchema(PatchSchema.MetadataEntries()),
    };

    /// <summary>formatEndpoints: ip:port pairs, at most 3, then " + N more...".</summary>
    public static string Format(V1Endpoints ep)
    {
        var list = new List<string>();
        var count = 0;
        var more = false;
        foreach (var ss in ep.Subsets ?? [])
        {
            var ports = ss.Ports ?? [];
            foreach (var a in ss.Addresses ?? [])
            {
                if (ports.Count == 0)
                {
                    if (count < 3) list.Add(a.Ip); else more = true;
                    count++;
                    continue;
                }
                foreach (var p in ports)
                {
                    if (count < 3) list.Add(a.Ip + ":" + p.Port); else more = true;
                    count++;
                }
            }
        }
        if (count == 0) return "<none>";
        var s = string.Join(",", list);
        return more ? s + $" + {count - 3} more..." : s;
    }
}
