using k8s;
using k8s.Models;

namespace ClydePS.Lab.Tables;

/// <summary>A meta.k8s.io/v1 TableColumnDefinition.</summary>
public sealed record TableColumn(string Name, string Type, string Description, int Priority = 0, string Format = "");

/// <summary>A meta.k8s.io/v1 TableRowCondition (e.g. Completed for finished pods).</summary>
public sealed record TableRowCondition(string Type, string Status, string Reason, string Message);

/// <summary>Server-side printing of one kind, as the real server's printers (all columns, wide included).</summary>
public interface ITableConverter
{
    IReadOnlyList<TableColumn> Columns { get; }
    /// <summary>Cells in column order; values are string, long or bool.</summary>
    object[] Cells(IKubernetesObject<V1ObjectMeta> obj, DateTime now);
    IReadOnlyList<TableRowCondition>? Conditions(IKubernetesObject<V1ObjectMeta> obj) => null;
}

/// <summary>The fallback table the real server uses for kinds without a printer: Name and Created At.</summary>
public sealed class DefaultTableConverter : ITableConverter
{
    public static readonly DefaultTableConverter Instance = new();
    public IReadOnlyList<TableColumn> Columns { get; } =
    [
        new("Name", "string", "Name must be unique within a namespace.", 0, "name"),
        new("Created At", "date", "CreationTimestamp is a timestamp representing the server time when this object was created."),
    ];

    public object[] Cells(IKubernetesObject<V1ObjectMeta> obj, DateTime now) =>
        [obj.Metadata.Name, obj.Metadata.CreationTimestamp?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'") ?? ""];
}
