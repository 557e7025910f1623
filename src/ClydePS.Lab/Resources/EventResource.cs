using ClydePS.Lab.Patch;
using ClydePS.Lab.Store;
using ClydePS.Lab.Tables;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Resources;

/// <summary>core/v1 Event (minimal: stored as is, with the involvedObject field labels kubectl uses).</summary>
public static class EventResource
{
    public static ResourceDefinition Definition() => new()
    {
        Group = "", Version = "v1", Plural = "events", Singular = "event", Kind = "Event", Namespaced = true, ClrType = typeof(Corev1Event),
        ShortNames = ["ev"], StorageVersionHash = "r2yiGXH7wu8=",
        Table = new EventTable(),
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
        PatchSchema = new PatchSchema(PatchSchema.MetadataEntries()),
    };

    static Corev1Event E(IKubernetesObject<V1ObjectMeta> o) => (Corev1Event)o;
}
