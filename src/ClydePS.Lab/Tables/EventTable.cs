using k8s;
using k8s.Models;

namespace ClydePS.Lab.Tables;

/// <summary>printEvent: LAST SEEN TYPE REASON OBJECT MESSAGE (+ wide).</summary>
public sealed class EventTable : ITableConverter
{
    public IReadOnlyList<TableColumn> Columns { get; } =
    [
        new("Last Seen", "string", "Time when last event occurred"),
        new("Type", "string", "Type of this event (Normal, Warning), new types could be added in the future."),
        new("Reason", "string", "This should be a short, machine understandable string that gives the reason for this event being generated."),
        new("Object", "string", "The object that this event is about. Mapped from event.InvolvedObject."),
        new("Subobject", "string", "The field path of the object (e.g. spec.containers{c})", 1),
        new("Source", "string", "The component reporting this event. Should be a short machine understandable string.", 1),
        new("Message", "string", "A human-readable description of the status of this operation."),
        new("First Seen", "string", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", 1),
        new("Count", "string", "The number of times this event has occurred.", 1),
        new("Name", "string", WorkloadColumns.NameDoc, 1, "name"),
    ];

    public object[] Cells(IKubernetesObject<V1ObjectMeta> obj, DateTime now)
    {
        var e = (Corev1Event)obj;
        var last = e.LastTimestamp ?? e.EventTime ?? e.Metadata.CreationTimestamp;
        var first = e.FirstTimestamp ?? e.EventTime ?? e.Metadata.CreationTimestamp;
        var lastSeen = HumanDuration.Since(last, now);
        if ((e.Count ?? 0) > 1) lastSeen = $"{lastSeen} (x{e.Count} over {HumanDuration.Since(first, now)})";
        var source = e.Source?.Component ?? e.ReportingComponent ?? "";
        if (!string.IsNullOrEmpty(e.Source?.Host)) source += ", " + e.Source.Host;
        return
        [
            lastSeen, e.Type ?? "", e.Reason ?? "", $"{e.InvolvedObject?.Kind?.ToLowerInvariant()}/{e.InvolvedObject?.Name}",
            e.InvolvedObject?.FieldPath ?? "", source, e.Message ?? "", HumanDuration.Since(first, now), (e.Count ?? 1).ToString(), e.Metadata.Name,
        ];
    }
}
