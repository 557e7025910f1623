using System.Text;
using ClydePS.Lab.Patch;
using ClydePS.Lab.Store;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Resources.Core;

/// <summary>v1 Secret: type defaults to Opaque; stringData is merged into data on every write and never stored.</summary>
public static class SecretResource
{
    public static ResourceDefinition Definition() => new()
    {
        Group = "", Version = "v1", Plural = "secrets", Singular = "secret", Kind = "Secret", Namespaced = true,
        ClrType = typeof(V1Secret), StorageVersionHash = "S6u1pOWzb84=",
        Fields = new Dictionary<string, Func<IKubernetesObject<V1ObjectMeta>, string>> { ["type"] = o => ((V1Secret)o).Type ?? "" },
        Table = new SimpleTable([SimpleTable.Name,
                new("Type", "string", "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"),
                new("Data", "string", "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4"),
                SimpleTable.Age],
            (o, now) => { var s = (V1Secret)o; return [s.Metadata.Name, s.Type ?? "", (long)(s.Data?.Count ?? 0), SimpleTable.Age_(o, now)]; }),
        Defaulter = o =>
        {
            var s = (V1Secret)o;
            s.Type ??= "Opaque";
            if (s.Type.Length == 0) s.Type = "Opaque";
            if (s.StringData is { Count: > 0 } sd)
            {
                s.Data ??= new Dictionary<string, byte[]>();
                foreach (var (k, v) in sd) s.Data[k] = Encoding.UTF8.GetBytes(v ?? "");
            }
            s.StringData = null;
        },
        Validator = (o, old) =>
        {
            var s = (V1Secret)o;
            var causes = Validation.ObjectMeta(o, true, Validation.SubdomainError);
            long size = 0;
            foreach (var (k, v) in s.Data ?? new Dictionary<string, byte[]>())
            {
                ConfigMapResource.ValidateKey("data[" + k + "]", k, causes);
                size += v?.Length ?? 0;
            }
            if (size > 1024 * 1024) causes.Add(new StatusCause("FieldValueTooLong", "Too long: must have at most 1048576 bytes", "data"));
            switch (s.Type)
            {
                case "kubernetes.io/service-account-token":
                    if (s.Metadata.Annotations?.ContainsKey("kubernetes.io/service-account.name") != true)
                        causes.Add(Validation.Required("metadata.annotations[kubernetes.io/service-account.name]"));
                    break;
                case "kubernetes.io/dockerconfigjson":
                    if (s.Data?.ContainsKey(".dockerconfigjson") != true) causes.Add(Validation.Required("data[.dockerconfigjson]"));
                    break;
                case "kubernetes.io/tls":
                    if (s.Data?.ContainsKey("tls.crt") != true) causes.Add(Validation.Required("data[tls.crt]"));
                    if (s.Data?.ContainsKey("tls.key") != true) causes.Add(Validation.Required("data[tls.key]"));
                    break;
                case "kubernetes.io/basic-auth":
                    if (s.Data?.ContainsKey("username") != true && s.Data?.ContainsKey("password") != true)
                        causes.Add(Validation.Required("data[username]", "either username or password is required for basic authentication credentials"));
                    break;
            }
            if (old is V1Secret prev)
            {
                if (prev.Type != s.Type) causes.Add(Validation.InvalidValue("type", s.Type ?? "", "field is immutable"));
                if (prev.Immutable == true)
                {
                    if (s.Immutable != true) causes.Add(Validation.Forbidden("immutable", "field is immutable when `immutable` is set"));
                    if (System.Text.Json.JsonSerializer.Serialize(s.Data) != System.Text.Json.JsonSerializer.Serialize(prev.Data)) causes.Add(Validation.Forbidden("data", "field is immutable when `immutable` is set"));
                }
            }
            return causes;
        },
        PatchSchema = new PatchSchema(PatchSchema.MetadataEntries()),
    };
}
