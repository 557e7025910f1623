using ClydePS.Lab.Patch;
using ClydePS.Lab.Store;
using ClydePS.Lab.Tables;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Resources.Core;

/// <summary>core/v1 Event (ev), with the real field labels and printer columns.</summary>
public static class EventResource
{
    static Corev1Event E(IKubernetesObject<V1ObjectMeta> o) => (Corev1Event)o;

    public static ResourceDefinition Definition() => new()
    {
        Group = "", Version = "v1", Plural = "events", Singular = "event", Kind = "Event", Namespaced = true,
        ClrType = typeof(Corev1Event), ShortNames = ["ev"], StorageVersionHash = "r2yiGXH7wu8=",
        Fields = new Dictionary<string, Func<IKubernetesObject<V1ObjectMeta>, string>>
        {
            ["involvedObject.kind"] = o => E(o).InvolvedObject?.Kind ?? "",
            ["involvedObject.namespace"] = o => E(o).InvolvedObject?.NamespaceProperty ?? "",
            ["involvedObject.name"] = o => E(o).InvolvedObject?.Name ?? "",
            ["involvedObject.uid"] = o => E(o).InvolvedObject?.Uid ?? "",
            ["involvedObject.apiVersion"] = o => E(o).InvolvedObject?.ApiVersion ?? "",
            ["involvedObject.resourceVersion"] = o => E(o).InvolvedObject?.ResourceVersion ?? "",
            ["involvedObject.fieldPath"] = o => E(o).InvolvedObject?.FieldPath ?? "",
            ["reason"] = o => E(o).Reason ?? "",
            ["reportingComponent"] = o => E(o).ReportingComponent ?? "",
            ["source"] = o => E(o).Source?.Component ?? "",
            ["type"] = o => E(o).Type ?? "",
        },
        Table = new SimpleTable([
                new("Last Seen", "string", "The time at which the most recent occurrence of this event was recorded."),
                new("Type", "string", "Type of this event (Normal, Warning), new types could be added in the future"),
                new("Reason", "string", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
                new("Object", "string", "The object that this event is about."),
                new("Subobject", "string", "The subobject (fieldPath) that this event is about.", 1),
                new("Source", "string", "The component reporting this event. Should be a short machine understandable string.", 1),
                new("Message", "string", "A human-readable description of the status of this operation."),
                new("First Seen", "string", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", 1),
                new("Count", "string", "The number of times this event has occurred.", 1),
                new("Name", "string", SimpleTable.NameDescription, 1, "name"),
            ],
            (o, now) =>
            {
                var e = E(o);
                var first = e.FirstTimestamp ?? e.EventTime ?? e.Metadata.CreationTimestamp;
                var last = e.LastTimestamp ?? e.Series?.LastObservedTime ?? e.EventTime ?? first;
                var count = e.Series?.Count ?? e.Count ?? 1;
                var lastSeen = count > 1 && first is not null
                    ? $"{HumanDuration.Since(last, now)} (x{count} over {HumanDuration.Format((last ?? now) - first.Value)})"
                    : HumanDuration.Since(last, now);
                var obj = (e.InvolvedObject?.Kind ?? "").ToLowerInvariant() + "/" + (e.InvolvedObject?.Name ?? "");
                var source = e.Source?.Component ?? e.ReportingComponent ?? "";
                if (!string.IsNullOrEmpty(e.Source?.Host)) source += ", " + e.Source.Host;
                return [lastSeen, e.Type ?? "", e.Reason ?? "", obj, e.InvolvedObject?.FieldPath ?? "", source, e.Message ?? "",
                    HumanDuration.Since(first, now), (long)count, e.Metadata.Name];
            }),
        Defaulter = o => { var e = E(o); e.InvolvedObject ??= new V1ObjectReference(); e.Source ??= new V1EventSource(); },
        Validator = (o, old) =>
        {
            var e = E(o);
            var causes = Validation.ObjectMeta(o, true, Validation.SubdomainError);
            var ns = e.InvolvedObject?.NamespaceProperty;
            if (!string.IsNullOrEmpty(ns) && ns != e.Metadata.NamespaceProperty)
                causes.Add(Validation.InvalidValue("involvedObject.namespace", ns, "does not match event.namespace"));
            if (e.Type is not (null or "" or "Normal" or "Warning"))
                causes.Add(Validation.NotSupported("type", e.Type, "Normal", "Warning"));
            return causes;
        },
        PatchSchema = new PatchSchema(PatchSchema.MetadataEntries()),
    };
}
