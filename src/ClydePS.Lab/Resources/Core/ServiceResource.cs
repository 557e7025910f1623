using System.Net;
using ClydePS.Lab.Patch;
using ClydePS.Lab.Store;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Resources.Core;

/// <summary>
/// v1 Service (svc): SetDefaults_Service, ClusterIP allocation from 10.96.0.0/12 (10.96.0.1 is the
/// <c>kubernetes</c> Service), headless (<c>clusterIP: None</c>), NodePort allocation from 30000-32767,
/// single-stack IPv4, the allocated values kept on update, and the real validation messages.
/// </summary>
public static class ServiceResource
{
    public const uint ServiceCidrBase = (10u << 24) | (96u << 16); // 10.96.0.0/12
    public const int ServiceCidrSize = 1 << 20;
    public const int NodePortMin = 30000, NodePortMax = 32767;

    static V1Service S(IKubernetesObject<V1ObjectMeta> o) => (V1Service)o;

    public static ResourceDefinition Definition() => new()
    {
        Group = "", Version = "v1", Plural = "services", Singular = "service", Kind = "Service", Namespaced = true,
        ClrType = typeof(V1Service), ShortNames = ["svc"], Categories = ["all"], StorageVersionHash = "0/CO1lhkEBI=",
        Verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        HasStatus = true,
        ReturnDeletedObject = true, // as the real service storage: DELETE answers with the Service, not a Status
        Table = new SimpleTable([SimpleTable.Name,
                new("Type", "string", "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer."),
                new("Cluster-IP", "string", "clusterIP is the IP address of the service and is usually assigned randomly."),
                new("External-IP", "string", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
                new("Port(s)", "string", "The port(s) the service is exposed on."),
                SimpleTable.Age,
                new("Selector", "string", "Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify.", 1),
            ],
            (o, now) =>
            {
                var s = S(o);
                var sp = s.Spec ?? new V1ServiceSpec();
                return [s.Metadata.Name, sp.Type ?? "", sp.Type == "ExternalName" ? "<none>" : sp.ClusterIP ?? "<none>", ExternalIp(s), Ports(sp),
                    SimpleTable.Age_(o, now), sp.Selector is { Count: > 0 } sel ? string.Join(",", sel.OrderBy(k => k.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value)) : "<none>"];
            }),
        Defaulter = o => Default(S(o)),
        PrepareForCreate = (o, ctx) => Allocate(S(o), ctx),
        Validator = (o, old) => Validate(S(o), old as V1Service),
        PatchSchema = Schema(),
    };

    static PatchSchema Schema()
    {
        var m = PatchSchema.MetadataEntries();
        m["spec.ports"] = "port";
        m["status.conditions"] = "type";
        return new PatchSchema(m);
    }

    static string ExternalIp(V1Service s)
    {
        var sp = s.Spec;
        switch (sp?.Type)
        {
            case "ClusterIP":
            case "NodePort":
                return sp.ExternalIPs is { Count: > 0 } e ? string.Join(",", e) : "<none>";
            case "ExternalName":
                return sp.ExternalName ?? "";
            case "LoadBalancer":
                var ips = (s.Status?.LoadBalancer?.Ingress ?? []).Select(i => !string.IsNullOrEmpty(i.Ip) ? i.Ip : i.Hostname).Where(x => !string.IsNullOrEmpty(x)).ToList();
                ips.AddRange(sp.ExternalIPs ?? []);
                return ips.Count > 0 ? string.Join(",", ips) : "<pending>";
            default: return "<unknown>";
        }
    }

    static string Ports(V1ServiceSpec sp)
    {
        if (sp.Ports is not { Count: > 0 }) return "<none>";
        return string.Join(",", sp.Ports.Select(p => p.NodePort is int np && np != 0 ? $"{p.Port}:{np}/{p.Protocol}" : $"{p.Port}/{p.Protocol}"));
    }

    public static void Default(V1Service s)
    {
        s.Spec ??= new V1ServiceSpec();
        var sp = s.Spec;
        sp.SessionAffinity ??= "None";
        sp.Type ??= "ClusterIP";
        foreach (var p in sp.Ports ?? [])
        {
            p.Protocol ??= "TCP";
            if (p.TargetPort is null || string.IsNullOrEmpty(p.TargetPort.Value) || p.TargetPort.Value == "0") p.TargetPort = p.Port;
        }
        if (sp.Type is "NodePort" or "LoadBalancer") sp.ExternalTrafficPolicy ??= "Cluster";
        if (sp.Type != "ExternalName") sp.InternalTrafficPolicy ??= "Cluster";
        if (sp.Type == "LoadBalancer") sp.AllocateLoadBalancerNodePorts ??= true;
        if (sp.SessionAffinity == "ClientIP")
        {
            sp.SessionAffinityConfig ??= new V1SessionAffinityConfig();
            sp.SessionAffinityConfig.ClientIP ??= new V1ClientIPConfig();
            sp.SessionAffinityConfig.ClientIP.TimeoutSeconds ??= 10800;
        }
        s.Status ??= new V1ServiceStatus();
        s.Status.LoadBalancer ??= new V1LoadBalancerStatus();
    }

    public static string IpString(uint v) => new IPAddress(new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v }).ToString();

    public static bool InServiceCidr(string ip, out uint value)
    {
        value = 0;
        if (!IPAddress.TryParse(ip, out var a) || a.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork) return false;
        var b = a.GetAddressBytes();
        value = ((uint)b[0] << 24) | ((uint)b[1] << 16) | ((uint)b[2] << 8) | b[3];
        return value - ServiceCidrBase < ServiceCidrSize;
    }

    static (HashSet<string> Ips, HashSet<int> NodePorts) Used(ObjectStore store, ResourceDefinition def)
    {
        var ips = new HashSet<string>();
        var ports = new HashSet<int>();
        foreach (var o in store.List(def, null).Items)
        {
            var sp = ((V1Service)o.Object).Spec;
            if (!string.IsNullOrEmpty(sp?.ClusterIP)) ips.Add(sp.ClusterIP);
            foreach (var p in sp?.Ports ?? []) if (p.NodePort is int n) ports.Add(n);
        }
        return (ips, ports);
    }

    /// <summary>The registry's create-time allocation (clusterIP, clusterIPs, ipFamilies, nodePorts) and status reset.</summary>
    static void Allocate(V1Service s, AdmissionContext ctx)
    {
        var sp = s.Spec;
        s.Status = new V1ServiceStatus { LoadBalancer = new V1LoadBalancerStatus() };
        var def = ctx.Store.Registry.Get("", "v1", "services");
        var (usedIps, usedPorts) = Used(ctx.Store, def);
        var causes = new List<StatusCause>();
        if (sp.Type == "ExternalName")
        {
            sp.ClusterIP = null;
            sp.ClusterIPs = null;
        }
        else
        {
            if (string.IsNullOrEmpty(sp.ClusterIP) && sp.ClusterIPs is { Count: > 0 }) sp.ClusterIP = sp.ClusterIPs[0];
            if (sp.ClusterIP == "None")
            {
                sp.ClusterIPs = ["None"];
            }
            else if (!string.IsNullOrEmpty(sp.ClusterIP))
            {
                if (!InServiceCidr(sp.ClusterIP, out _))
                    causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: []string{{\"{sp.ClusterIP}\"}}: failed to allocate IP {sp.ClusterIP}: the provided IP ({sp.ClusterIP}) is not in the valid range. The range of valid IPs is 10.96.0.0/12", "spec.clusterIPs"));
                else if (usedIps.Contains(sp.ClusterIP))
                    causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: []string{{\"{sp.ClusterIP}\"}}: failed to allocate IP {sp.ClusterIP}: provided IP is already allocated", "spec.clusterIPs"));
                sp.ClusterIPs = [sp.ClusterIP];
            }
            else
            {
                string ip;
                do ip = IpString(ServiceCidrBase + (uint)ctx.Random.Next(16, ServiceCidrSize - 1));
                while (usedIps.Contains(ip));
                sp.ClusterIP = ip;
                sp.ClusterIPs = [ip];
            }
            sp.IpFamilies ??= ["IPv4"];
            sp.IpFamilyPolicy ??= "SingleStack";
        }
        var needNodePorts = sp.Type == "NodePort" || (sp.Type == "LoadBalancer" && sp.AllocateLoadBalancerNodePorts != false);
        for (var i = 0; i < (sp.Ports?.Count ?? 0); i++)
        {
            var p = sp.Ports![i];
            if (p.NodePort is int n && n != 0)
            {
                if (sp.Type is "NodePort" or "LoadBalancer")
                {
                    if (n < NodePortMin || n > NodePortMax)
                        causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {n}: provided port is not in the valid range. The range of valid ports is {NodePortMin}-{NodePortMax}", $"spec.ports[{i}].nodePort"));
                    else if (!usedPorts.Add(n))
                        causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {n}: provided port is already allocated", $"spec.ports[{i}].nodePort"));
                }
            }
            else if (needNodePorts)
            {
                int port;
                do port = ctx.Random.Next(NodePortMin, NodePortMax + 1);
                while (usedPorts.Contains(port));
                usedPorts.Add(port);
                p.NodePort = port;
            }
        }
        if (causes.Count > 0) throw ApiException.Invalid("Service", "", s.Metadata.Name ?? "", causes);
    }

    static List<StatusCause> Validate(V1Service s, V1Service? old)
    {
        var causes = Validation.ObjectMeta(s, true, Validation.LabelError);
        var sp = s.Spec;
        if (old is not null)
        {
            // PatchAllocatedValues: allocated values the client left out are kept
            var osp = old.Spec;
            if (sp.Type != "ExternalName" && osp.Type != "ExternalName")
            {
                if (string.IsNullOrEmpty(sp.ClusterIP)) sp.ClusterIP = osp.ClusterIP;
                if (sp.ClusterIPs is not { Count: > 0 }) sp.ClusterIPs = osp.ClusterIPs;
                sp.IpFamilies ??= osp.IpFamilies;
                sp.IpFamilyPolicy ??= osp.IpFamilyPolicy;
                if (sp.ClusterIP != osp.ClusterIP)
                    causes.Add(Validation.InvalidValue("spec.clusterIPs[0]", sp.ClusterIP ?? "", "may not change once set"));
            }
            if (sp.Type is "NodePort" or "LoadBalancer" && osp.Type is "NodePort" or "LoadBalancer")
                foreach (var p in sp.Ports ?? [])
                    if (p.NodePort is null or 0 && osp.Ports?.FirstOrDefault(q => q.Port == p.Port && q.Protocol == p.Protocol) is { NodePort: int np })
                        p.NodePort = np;
        }
        if (sp.Type is not ("ClusterIP" or "NodePort" or "LoadBalancer" or "ExternalName"))
            causes.Add(Validation.NotSupported("spec.type", sp.Type ?? "", "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"));
        if (sp.SessionAffinity is not ("None" or "ClientIP"))
            causes.Add(Validation.NotSupported("spec.sessionAffinity", sp.SessionAffinity ?? "", "ClientIP", "None"));
        var headless = sp.ClusterIP == "None";
        if (sp.Type == "ExternalName")
        {
            if (string.IsNullOrEmpty(sp.ExternalName)) causes.Add(Validation.Required("spec.externalName"));
        }
        else if ((sp.Ports?.Count ?? 0) == 0 && !headless)
            causes.Add(Validation.Required("spec.ports"));
        if (headless && sp.Type is "NodePort" or "LoadBalancer")
            causes.Add(Validation.InvalidValue("spec.clusterIPs[0]", "None", $"may not be set to 'None' for {sp.Type} services"));
        var names = new HashSet<string>();
        var multi = (sp.Ports?.Count ?? 0) > 1;
        for (var i = 0; i < (sp.Ports?.Count ?? 0); i++)
        {
            var p = sp.Ports![i];
            var f = $"spec.ports[{i}]";
            if (string.IsNullOrEmpty(p.Name)) { if (multi) causes.Add(Validation.Required(f + ".name")); }
            else if (Validation.LabelError(p.Name) is { } ne) causes.Add(Validation.InvalidValue(f + ".name", p.Name, ne));
            else if (!names.Add(p.Name)) causes.Add(Validation.Duplicate(f + ".name", p.Name));
            if (p.Port is < 1 or > 65535)
                causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {p.Port}: must be between 1 and 65535, inclusive", f + ".port"));
            if (p.Protocol is not ("TCP" or "UDP" or "SCTP")) causes.Add(Validation.NotSupported(f + ".protocol", p.Protocol ?? "", "SCTP", "TCP", "UDP"));
            if (p.NodePort is int np && np != 0 && sp.Type == "ClusterIP")
                causes.Add(Validation.Forbidden(f + ".nodePort", "may not be used when `type` is 'ClusterIP'"));
            var tp = p.TargetPort?.Value;
            if (tp is not null && int.TryParse(tp, out var tpn) && tpn is < 1 or > 65535)
                causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {tpn}: must be between 1 and 65535, inclusive", f + ".targetPort"));
        }
        if (sp.Selector is not null)
            foreach (var (k, v) in sp.Selector)
            {
                if (Validation.QualifiedNameError(k) is { } ke) causes.Add(Validation.InvalidValue("spec.selector", k, ke));
            }
        return causes;
    }
}
