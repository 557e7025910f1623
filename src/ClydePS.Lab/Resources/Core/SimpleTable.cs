using ClydePS.Lab.Tables;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Resources.Core;

/// <summary>A table converter built from column definitions and a cell function (the real printers' columns).</summary>
public sealed class SimpleTable(IReadOnlyList<TableColumn> columns, Func<IKubernetesObject<V1ObjectMeta>, DateTime, object[]> cells) : ITableConverter
{
    public const string NameDescription = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
    public const string AgeDescription = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

    public static TableColumn Name => new("Name", "string", NameDescription, 0, "name");
    public static TableColumn Age => new("Age", "string", AgeDescription);

    public IReadOnlyList<TableColumn> Columns { get; } = columns;
    public object[] Cells(IKubernetesObject<V1ObjectMeta> obj, DateTime now) => cells(obj, now);

    public static string Age_(IKubernetesObject<V1ObjectMeta> o, DateTime now) => HumanDuration.Since(o.Metadata.CreationTimestamp, now);
}
