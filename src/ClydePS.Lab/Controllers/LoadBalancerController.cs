using ClydePS.Lab.Resources.Core;
using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Controllers;

/// <summary>
/// The cloud service controller's part the Lab needs: a LoadBalancer Service gets
/// <c>status.loadBalancer.ingress[0].ip</c> (a public-looking address, unique, from the Lab's seed) right
/// after it is created or switched to LoadBalancer; a Service that stops being one loses it.
/// </summary>
public sealed class LoadBalancerController(LabHost lab, int seed) : IStoreController
{
    readonly HashSet<string> _dirty = [];
    readonly HashSet<string> _assigned = [];
    readonly Random _random = new(seed ^ 0x4c42);

    public void Resync()
    {
        foreach (var s in lab.Store.List(lab.Registry.Services(), null).Items) _dirty.Add(s.Key);
    }

    public void OnEvent(StoreEvent e)
    {
        if (e.Object is null || !ReferenceEquals(e.Def, lab.Registry.Services()) || e.Type == StoreEventType.Deleted) return;
        _dirty.Add(e.Object.Key);
    }

    public void Flush()
    {
        var def = lab.Registry.Services();
        foreach (var key in _dirty.ToList())
        {
            _dirty.Remove(key);
            var slash = key.IndexOf('/');
            var (ns, name) = (key[..slash], key[(slash + 1)..]);
            var cur = lab.Store.Get(def, ns, name);
            if (cur is null) continue;
            var svc = (V1Service)cur.Object;
            var ingress = svc.Status?.LoadBalancer?.Ingress;
            var isLb = svc.Spec?.Type == "LoadBalancer" && svc.Metadata.DeletionTimestamp is null;
            if (isLb == ingress is { Count: > 0 }) continue;
            try
            {
                lab.Store.Update(def, ns, name, c =>
                {
                    var s = (V1Service)def.Clone(c.Object);
                    s.Status ??= new V1ServiceStatus();
                    s.Status.LoadBalancer = isLb
                        ? new V1LoadBalancerStatus { Ingress = [new V1LoadBalancerIngress { Ip = NextIp(), IpMode = "VIP" }] }
                        : new V1LoadBalancerStatus();
                    return s;
                });
            }
            catch (ApiException) { }
        }
    }

    string NextIp()
    {
        while (true)
        {
            var ip = $"34.{_random.Next(118, 128)}.{_random.Next(0, 256)}.{_random.Next(1, 255)}";
            if (_assigned.Add(ip)) return ip;
        }
    }
}
