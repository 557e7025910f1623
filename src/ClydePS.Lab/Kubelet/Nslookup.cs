using k8s.Models;

namespace ClydePS.Lab.Kubelet;

/// <summary>
/// busybox <c>nslookup &lt;host&gt;</c> against the cluster DNS (CoreDNS's kubernetes plugin, over the Lab's store):
/// <c>&lt;svc&gt;.&lt;ns&gt;.svc.cluster.local</c> (and the shorter forms through the pod's search list
/// <c>&lt;ns&gt;.svc.cluster.local svc.cluster.local cluster.local</c>, ndots 5) answers a ClusterIP Service's
/// clusterIP, a headless Service's ready endpoint addresses; <c>&lt;hostname&gt;.&lt;svc&gt;.&lt;ns&gt;.svc.cluster.local</c>
/// answers the address of the Service's Endpoints entry with that hostname (pods with hostname + subdomain, as
/// StatefulSet pods). Anything else is NXDOMAIN. Output as busybox 1.36 prints it.
/// </summary>
public static class Nslookup
{
    public const string ClusterDomain = "cluster.local";
    public const string DnsServer = "10.96.0.10";

    /// <summary>Resolves a name as seen from a pod in <paramref name="podNamespace"/>: (fully-qualified name, addresses) or null.</summary>
    public static (string Fqdn, List<string> Addresses)? Resolve(LabHost lab, string podNamespace, string host)
    {
        host = host.Trim().ToLowerInvariant();
        if (host.Length == 0) return null;
        var candidates = new List<string>();
        if (host.EndsWith('.')) candidates.Add(host.TrimEnd('.'));
        else
        {
            var dots = host.Count(c => c == '.');
            if (dots >= 5) candidates.Add(host);
            foreach (var search in new[] { $"{podNamespace}.svc.{ClusterDomain}", $"svc.{ClusterDomain}", ClusterDomain })
                candidates.Add(host + "." + search);
            if (dots < 5) candidates.Add(host);
        }
        foreach (var fqdn in candidates)
            if (Lookup(lab, fqdn) is { Count: > 0 } addrs) return (fqdn, addrs);
        return null;
    }

    static List<string>? Lookup(LabHost lab, string fqdn)
    {
        var suffix = ".svc." + ClusterDomain;
        if (!fqdn.EndsWith(suffix, StringComparison.Ordinal)) return null;
        var labels = fqdn[..^suffix.Length].Split('.');
        var services = lab.Registry.Find("", "v1", "services");
        var endpoints = lab.Registry.Find("", "v1", "endpoints");
        if (services is null || endpoints is null) return null;
        if (labels.Length == 2)
        {
            var (svcName, ns) = (labels[0], labels[1]);
            if (lab.Store.Get(services, ns, svcName)?.Object is not V1Service svc) return null;
            if (svc.Spec?.ClusterIP is { Length: > 0 } ip && ip != "None") return [ip];
            return Addresses(lab, endpoints, ns, svcName, null);
        }
        if (labels.Length == 3)
        {
            var (hostname, svcName, ns) = (labels[0], labels[1], labels[2]);
            if (lab.Store.Get(services, ns, svcName) is null) return null;
            return Addresses(lab, endpoints, ns, svcName, hostname);
        }
        return null;
    }

    static List<string> Addresses(LabHost lab, Store.ResourceDefinition endpoints, string ns, string svc, string? hostname)
    {
        var result = new List<string>();
        if (lab.Store.Get(endpoints, ns, svc)?.Object is not V1Endpoints ep) return result;
        foreach (var subset in ep.Subsets ?? [])
            foreach (var a in subset.Addresses ?? [])
                if (hostname is null || string.Equals(a.Hostname, hostname, StringComparison.OrdinalIgnoreCase))
                    if (!result.Contains(a.Ip)) result.Add(a.Ip);
        return result;
    }

    /// <summary>Runs <c>nslookup host</c>: writes busybox's lines, returns its exit code.</summary>
    public static int Run(LabHost lab, string podNamespace, string host, Action<string> log)
    {
        log($"Server:\t\t{DnsServer}");
        log($"Address:\t{DnsServer}:53");
        log("");
        if (Resolve(lab, podNamespace, host) is { } r)
        {
            foreach (var a in r.Addresses)
            {
                log($"Name:\t{r.Fqdn}");
                log($"Address: {a}");
            }
            log("");
            return 0;
        }
        log($"** server can't find {host}: NXDOMAIN");
        log("");
        return 1;
    }
}
