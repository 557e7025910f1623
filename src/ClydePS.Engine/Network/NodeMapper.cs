using k8s.Models;

namespace ClydePS.Engine.Network;

/// <summary>Turns a Kubernetes node into a <see cref="ClydeNode"/>: a pure function of the node object.</summary>
public static class NodeMapper
{
    private const string ZoneLabel = "topology.kubernetes.io/zone";
    private const string LegacyZoneLabel = "failure-domain.beta.kubernetes.io/zone";

    public static ClydeNode ToClydeNode(V1Node node, string? context = null)
    {
        IDictionary<string, string> labels = node.Metadata?.Labels ?? new Dictionary<string, string>();
        IList<V1NodeAddress> addresses = node.Status?.Addresses ?? [];
        string[] external = AddressesOfType(addresses, "ExternalIP");
        string[] taints = (node.Spec?.Taints ?? []).Select(FormatTaint).ToArray();

        return new ClydeNode
        {
            Name = node.Metadata?.Name ?? "",
            NetworkClass = external.Any(AddressClassifier.IsPublic) ? NetworkClass.Public : NetworkClass.Private,
            ExternalIPs = external,
            InternalIPs = AddressesOfType(addresses, "InternalIP"),
            Ready = IsReady(node),
            Schedulable = node.Spec?.Unschedulable != true,
            ControlPlane = IsControlPlane(labels),
            Taints = taints,
            Architecture = Label(labels, "kubernetes.io/arch") ?? node.Status?.NodeInfo?.Architecture,
            OperatingSystem = Label(labels, "kubernetes.io/os") ?? node.Status?.NodeInfo?.OperatingSystem,
            Zone = Label(labels, ZoneLabel) ?? Label(labels, LegacyZoneLabel),
            CpuMillicores = Millicores(node.Status?.Allocatable, "cpu"),
            MemoryBytes = Bytes(node.Status?.Allocatable, "memory"),
            CachedImageCount = node.Status?.Images?.Count ?? 0,
            Labels = new Dictionary<string, string>(labels),
            CreationTimestamp = node.Metadata?.CreationTimestamp,
            Context = context,
        };
    }

    /// <summary>Ready means the kubelet reports the Ready condition as True; Unknown (lost node) is not ready.</summary>
    public static bool IsReady(V1Node node) =>
        node.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    public static bool IsControlPlane(IDictionary<string, string> labels) =>
        labels.ContainsKey("node-role.kubernetes.io/control-plane") || labels.ContainsKey("node-role.kubernetes.io/master");

    public static string FormatTaint(V1Taint taint) =>
        string.IsNullOrEmpty(taint.Value) ? $"{taint.Key}:{taint.Effect}" : $"{taint.Key}={taint.Value}:{taint.Effect}";

    private static string[] AddressesOfType(IEnumerable<V1NodeAddress> addresses, string type) =>
        addresses.Where(a => a.Type == type && !string.IsNullOrWhiteSpace(a.Address)).Select(a => a.Address.Trim()).ToArray();

    private static string? Label(IDictionary<string, string> labels, string key) =>
        labels.TryGetValue(key, out string? value) && !string.IsNullOrEmpty(value) ? value : null;

    private static long Millicores(IDictionary<string, ResourceQuantity>? resources, string name) =>
        resources != null && resources.TryGetValue(name, out ResourceQuantity? q) && q != null
            ? (long)Math.Round(q.ToDecimal() * 1000m, MidpointRounding.AwayFromZero)
            : 0;

    private static long Bytes(IDictionary<string, ResourceQuantity>? resources, string name) =>
        resources != null && resources.TryGetValue(name, out ResourceQuantity? q) && q != null
            ? (long)q.ToDecimal()
            : 0;
}
