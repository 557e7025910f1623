using k8s;
using k8s.Models;

namespace ClydePS.Lab.Tables;

/// <summary>The real printNode columns: NAME STATUS ROLES AGE VERSION (+ wide IPs, OS image, kernel, runtime).</summary>
public sealed class NodeTable : ITableConverter
{
    public IReadOnlyList<TableColumn> Columns { get; } =
    [
        new("Name", "string", "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names", 0, "name"),
        new("Status", "string", "The status of the node"),
        new("Roles", "string", "The roles of the node"),
        new("Age", "string", "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"),
        new("Version", "string", "Kubelet Version reported by the node."),
        new("Internal-IP", "string", "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses", 1),
        new("External-IP", "string", "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses", 1),
        new("OS-Image", "string", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1),
        new("Kernel-Version", "string", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
        new("Container-Runtime", "string", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).", 1),
    ];

    public object[] Cells(IKubernetesObject<V1ObjectMeta> obj, DateTime now)
    {
        var node = (V1Node)obj;
        return
        [
            node.Metadata.Name, Status(node), Roles(node), HumanDuration.Since(node.Metadata.CreationTimestamp, now),
            node.Status?.NodeInfo?.KubeletVersion ?? "",
            Address(node, "InternalIP"), Address(node, "ExternalIP"),
            Or(node.Status?.NodeInfo?.OsImage), Or(node.Status?.NodeInfo?.KernelVersion), Or(node.Status?.NodeInfo?.ContainerRuntimeVersion),
        ];
    }

    static string Or(string? s) => string.IsNullOrEmpty(s) ? "<unknown>" : s;

    public static string Status(V1Node node)
    {
        var parts = new List<string>();
        var ready = node.Status?.Conditions?.LastOrDefault(c => c.Type == "Ready");
        if (ready is not null) parts.Add(ready.Status == "True" ? "Ready" : "NotReady");
        if (parts.Count == 0) parts.Add("Unknown");
        if (node.Spec?.Unschedulable == true) parts.Add("SchedulingDisabled");
        return string.Join(",", parts);
    }

    static string Roles(V1Node node)
    {
        var roles = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (k, v) in node.Metadata.Labels ?? new Dictionary<string, string>())
        {
            if (k.StartsWith("node-role.kubernetes.io/", StringComparison.Ordinal))
            {
                var role = k["node-role.kubernetes.io/".Length..];
                if (role.Length > 0) roles.Add(role);
            }
            else if (k == "kubernetes.io/role" && v.Length > 0) roles.Add(v);
        }
        return roles.Count == 0 ? "<none>" : string.Join(",", roles);
    }

    static string Address(V1Node node, string type) =>
        node.Status?.Addresses?.FirstOrDefault(a => a.Type == type)?.Address ?? "<none>";
}
