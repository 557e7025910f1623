using k8s;
using k8s.Models;

namespace ClydePS.Lab.Tables;

/// <summary>The real printNamespace columns: NAME STATUS AGE.</summary>
public sealed class NamespaceTable : ITableConverter
{
    public IReadOnlyList<TableColumn> Columns { get; } =
    [
        new("Name", "string", "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names", 0, "name"),
        new("Status", "string", "The status of the namespace"),
        new("Age", "string", "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"),
    ];

    public object[] Cells(IKubernetesObject<V1ObjectMeta> obj, DateTime now)
    {
        var ns = (V1Namespace)obj;
        return [ns.Metadata.Name, ns.Status?.Phase ?? "", HumanDuration.Since(ns.Metadata.CreationTimestamp, now)];
    }
}
