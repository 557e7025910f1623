using ClydePS.Lab.Patch;
using ClydePS.Lab.Store;
using ClydePS.Lab.Tables;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Resources;

/// <summary>v1 Node (cluster-scoped, with /status).</summary>
public static class NodeResource
{
    public static ResourceDefinition Definition() => new()
    {
        Group = "", Version = "v1", Plural = "nodes", Singular = "node", Kind = "Node", Namespaced = false, ClrType = typeof(V1Node),
        ShortNames = ["no"], StorageVersionHash = "XwShjMxG9Fs=",
        HasStatus = true,
        Table = new NodeTable(),
        Fields = new Dictionary<string, Func<IKubernetesObject<V1ObjectMeta>, string>>
        {
            ["spec.unschedulable"] = o => ((V1Node)o).Spec?.Unschedulable == true ? "true" : "false",
        },
        Defaulter = o =>
        {
            var n = (V1Node)o;
            n.Spec ??= new V1NodeSpec();
            n.Status ??= new V1NodeStatus();
            if (n.Status.Allocatable is null && n.Status.Capacity is not null)
                n.Status.Allocatable = new Dictionary<string, ResourceQuantity>(n.Status.Capacity);
        },
        Validator = (o, old) =>
        {
            var causes = Validation.ObjectMeta(o, false, Validation.SubdomainError);
            var n = (V1Node)o;
            for (var i = 0; i < (n.Spec?.Taints?.Count ?? 0); i++)
            {
                var t = n.Spec!.Taints![i];
                if (string.IsNullOrEmpty(t.Key)) causes.Add(Validation.Required($"spec.taints[{i}].key"));
                if (t.Effect is not ("NoSchedule" or "PreferNoSchedule" or "NoExecute"))
                    causes.Add(Validation.NotSupported($"spec.taints[{i}].effect", t.Effect ?? "", "NoExecute", "NoSchedule", "PreferNoSchedule"));
            }
            return causes;
        },
        PatchSchema = Schema(),
    };

    static PatchSchema Schema()
    {
        var m = PatchSchema.MetadataEntries();
        m["spec.podCIDRs"] = "";
        m["status.conditions"] = "type";
        m["status.addresses"] = "type";
        return new PatchSchema(m);
    }
}
