using ClydePS.Lab.Patch;
using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Resources.Core;

/// <summary>v1 ServiceAccount (sa); the serviceaccounts/token subresource is served by <see cref="Auth.TokenUsers"/>.</summary>
public static class ServiceAccountResource
{
    public static ResourceDefinition Definition() => new()
    {
        Group = "", Version = "v1", Plural = "serviceaccounts", Singular = "serviceaccount", Kind = "ServiceAccount", Namespaced = true,
        ClrType = typeof(V1ServiceAccount), ShortNames = ["sa"], StorageVersionHash = "pbx9ZvyFpBE=",
        Table = new SimpleTable([SimpleTable.Name,
                new("Secrets", "string", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use. Pods are only limited to this list if this service account has a \"kubernetes.io/enforce-mountable-secrets\" annotation set to \"true\". The \"kubernetes.io/enforce-mountable-secrets\" annotation is deprecated since v1.32. Prefer separate namespaces to isolate access to mounted secrets. This field should not be used to find auto-generated service account token secrets for use outside of pods. Instead, tokens can be requested directly using the TokenRequest API, or service account token secrets can be manually created. More info: https://kubernetes.io/docs/concepts/configuration/secret"),
                SimpleTable.Age],
            (o, now) => { var s = (V1ServiceAccount)o; return [s.Metadata.Name, (long)(s.Secrets?.Count ?? 0), SimpleTable.Age_(o, now)]; }),
        PatchSchema = Schema(),
    };

    static PatchSchema Schema()
    {
        var m = PatchSchema.MetadataEntries();
        m["secrets"] = "name";
        return new PatchSchema(m);
    }
}
