using ClydePS.Lab.Patch;
using ClydePS.Lab.Store;
using ClydePS.Lab.Tables;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Resources;

/// <summary>v1 Namespace (cluster-scoped, with /status).</summary>
public static class NamespaceResource
{
    public static readonly string[] Protected = ["default", "kube-system", "kube-public"];

    public static ResourceDefinition Definition() => new()
    {
        Group = "", Version = "v1", Plural = "namespaces", Singular = "namespace", Kind = "Namespace", Namespaced = false,
        ClrType = typeof(V1Namespace), ShortNames = ["ns"], StorageVersionHash = "Q3oi5N2YM8M=",
        Verbs = ["create", "delete", "get", "list", "patch", "update", "watch"],
        HasStatus = true,
        Table = new NamespaceTable(),
        Fields = new Dictionary<string, Func<IKubernetesObject<V1ObjectMeta>, string>>
        {
            ["status.phase"] = o => ((V1Namespace)o).Status?.Phase ?? "",
        },
        Defaulter = o =>
        {
            var ns = (V1Namespace)o;
            if (!string.IsNullOrEmpty(ns.Metadata.Name))
            {
                ns.Metadata.Labels ??= new Dictionary<string, string>();
                ns.Metadata.Labels["kubernetes.io/metadata.name"] = ns.Metadata.Name;
            }
        },
        PrepareForCreate = (o, _) =>
        {
            var ns = (V1Namespace)o;
            ns.Status = new V1NamespaceStatus { Phase = "Active" };
            ns.Spec ??= new V1NamespaceSpec();
            ns.Spec.Finalizers ??= new List<string>();
            if (!ns.Spec.Finalizers.Contains("kubernetes")) ns.Spec.Finalizers.Add("kubernetes");
        },
        Validator = (o, old) => Validation.ObjectMeta(o, false, Validation.LabelError),
        PatchSchema = Schema(),
    };

    static PatchSchema Schema()
    {
        var m = PatchSchema.MetadataEntries();
        m["status.conditions"] = "type";
        return new PatchSchema(m);
    }
}
