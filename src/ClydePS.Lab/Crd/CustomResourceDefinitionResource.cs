using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ClydePS.Lab.Patch;
using ClydePS.Lab.Resources;
using ClydePS.Lab.Resources.Core;
using ClydePS.Lab.Store;
using ClydePS.Lab.Tables;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Crd;

/// <summary>apiextensions.k8s.io/v1 CustomResourceDefinition (crd, crds): defaults, validation, and the served definitions it makes.</summary>
public static class CustomResourceDefinitionResource
{
    public const string Group = "apiextensions.k8s.io";
    public const string CleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";

    public static ResourceDefinition Definition() => new()
    {
        Group = Group, Version = "v1", Plural = "customresourcedefinitions", Singular = "customresourcedefinition", Kind = "CustomResourceDefinition",
        Namespaced = false, ClrType = typeof(V1CustomResourceDefinition), ShortNames = ["crd", "crds"], Categories = ["api-extensions"],
        StorageVersionHash = "jfWCUB31mvA=", HasStatus = true, TracksGeneration = true,
        Table = new SimpleTable([SimpleTable.Name, new("Created At", "date", SimpleTable.AgeDescription)],
            (o, now) => [o.Metadata.Name, o.Metadata.CreationTimestamp?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'") ?? ""]),
        Defaulter = o =>
        {
            var c = (V1CustomResourceDefinition)o;
            c.Spec ??= new V1CustomResourceDefinitionSpec();
            var n = c.Spec.Names ??= new V1CustomResourceDefinitionNames();
            if (!string.IsNullOrEmpty(n.Kind))
            {
                n.Singular ??= n.Kind.ToLowerInvariant();
                n.ListKind ??= n.Kind + "List";
            }
            c.Spec.Conversion ??= new V1CustomResourceConversion { Strategy = "None" };
        },
        PrepareForCreate = (o, _) =>
        {
            var c = (V1CustomResourceDefinition)o;
            c.Status = new V1CustomResourceDefinitionStatus { AcceptedNames = new V1CustomResourceDefinitionNames { Kind = "", Plural = "" }, StoredVersions = [] };
            c.Metadata.Finalizers ??= new List<string>();
            if (!c.Metadata.Finalizers.Contains(CleanupFinalizer)) c.Metadata.Finalizers.Add(CleanupFinalizer);
        },
        Validator = (o, old) => Validate((V1CustomResourceDefinition)o, old as V1CustomResourceDefinition),
        PatchSchema = Schema(),
    };

    static PatchSchema Schema()
    {
        var m = PatchSchema.MetadataEntries();
        m["spec.versions"] = "name";
        m["status.conditions"] = "type";
        return new PatchSchema(m);
    }

    static List<StatusCause> Validate(V1CustomResourceDefinition c, V1CustomResourceDefinition? old)
    {
        var causes = Validation.ObjectMeta(c, false, Validation.SubdomainError);
        var s = c.Spec;
        var n = s.Names;
        if (string.IsNullOrEmpty(s.Group)) causes.Add(Validation.Required("spec.group"));
        else if (!s.Group.Contains('.')) causes.Add(Validation.InvalidValue("spec.group", s.Group, "should be a domain with at least one dot"));
        if (string.IsNullOrEmpty(n.Plural)) causes.Add(Validation.Required("spec.names.plural"));
        else if (Validation.LabelError(n.Plural) is { } pe) causes.Add(Validation.InvalidValue("spec.names.plural", n.Plural, pe));
        if (string.IsNullOrEmpty(n.Kind)) causes.Add(Validation.Required("spec.names.kind"));
        if (!string.IsNullOrEmpty(n.Plural) && !string.IsNullOrEmpty(s.Group) && c.Metadata.Name != n.Plural + "." + s.Group)
            causes.Add(Validation.InvalidValue("metadata.name", c.Metadata.Name ?? "", "must be spec.names.plural+\".\"+spec.group"));
        if (s.Scope is not ("Namespaced" or "Cluster")) causes.Add(Validation.NotSupported("spec.scope", s.Scope ?? "", "Cluster", "Namespaced"));
        if (s.Versions is not { Count: > 0 }) causes.Add(Validation.Required("spec.versions", "must have exactly one version marked as storage version"));
        else
        {
            if (s.Versions.Count(v => v.Storage) != 1)
                causes.Add(new StatusCause("FieldValueInvalid", "Invalid value: \"\": must have exactly one version marked as storage version", "spec.versions"));
            for (var i = 0; i < s.Versions.Count; i++)
            {
                var v = s.Versions[i];
                if (string.IsNullOrEmpty(v.Name)) causes.Add(Validation.Required($"spec.versions[{i}].name"));
                if (v.Schema?.OpenAPIV3Schema is null) causes.Add(Validation.Required($"spec.versions[{i}].schema.openAPIV3Schema", "schemas are required"));
                else if (v.Schema.OpenAPIV3Schema.Type != "object")
                    causes.Add(string.IsNullOrEmpty(v.Schema.OpenAPIV3Schema.Type)
                        ? Validation.Required($"spec.versions[{i}].schema.openAPIV3Schema.type", "must not be empty at the root")
                        : Validation.InvalidValue($"spec.versions[{i}].schema.openAPIV3Schema.type", v.Schema.OpenAPIV3Schema.Type, "must be object at the root"));
            }
        }
        if (old is not null)
        {
            if (old.Spec.Scope != s.Scope) causes.Add(Validation.InvalidValue("spec.scope", s.Scope ?? "", "field is immutable"));
            if (old.Spec.Group != s.Group) causes.Add(Validation.InvalidValue("spec.group", s.Group ?? "", "field is immutable"));
        }
        return causes;
    }

    /// <summary>The served definition of one CRD version.</summary>
    public static ResourceDefinition Served(V1CustomResourceDefinition crd, V1CustomResourceDefinitionVersion v)
    {
        var s = crd.Spec;
        var n = s.Names;
        var schema = StructuralSchema.From(v.Schema?.OpenAPIV3Schema);
        var columns = v.AdditionalPrinterColumns is { Count: > 0 } apc
            ? apc.Select(c => (Column: new TableColumn(c.Name, c.Type ?? "string", c.Description ?? "", c.Priority ?? 0, c.Format ?? ""), Path: c.JsonPath)).ToList()
            : [(new TableColumn("Age", "date", SimpleTable.AgeDescription), ".metadata.creationTimestamp")];
        var hash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes($"{s.Group}/{v.Name}/{n.Kind}"))[..8]);
        return new ResourceDefinition
        {
            Group = s.Group, Version = v.Name, Plural = n.Plural, Singular = n.Singular ?? n.Kind.ToLowerInvariant(), Kind = n.Kind,
            Namespaced = s.Scope == "Namespaced", ClrType = typeof(CustomResourceObject),
            ShortNames = n.ShortNames?.ToArray() ?? [], Categories = n.Categories?.ToArray() ?? [], StorageVersionHash = hash,
            HasStatus = v.Subresources?.Status is not null, TracksGeneration = true,
            Table = new SimpleTable([SimpleTable.Name, .. columns.Select(c => c.Column)], (o, now) =>
            {
                var json = JsonNode.Parse(KubernetesJson.Serialize(o));
                var cells = new List<object> { o.Metadata.Name };
                foreach (var (col, path) in columns)
                {
                    var value = Eval(json, path);
                    cells.Add(col.Type switch
                    {
                        "date" when value is JsonValue dv && DateTime.TryParse((string?)dv, null, System.Globalization.DateTimeStyles.AdjustToUniversal, out var dt) => HumanDuration.Since(dt, now),
                        "integer" when value is JsonValue iv && iv.TryGetValue<long>(out var l) => l,
                        "boolean" when value is JsonValue bv && bv.TryGetValue<bool>(out var b) => b,
                        _ => value switch { null => "", JsonValue sv when sv.TryGetValue<string>(out var str) => str, _ => value.ToJsonString() },
                    });
                }
                return [.. cells];
            }),
            Pruner = schema.PruneAndDefault,
            Validator = (o, old) =>
            {
                var causes = Validation.ObjectMeta(o, s.Scope == "Namespaced", Validation.SubdomainError);
                causes.AddRange(schema.Validate(JsonNode.Parse(KubernetesJson.Serialize(o))!.AsObject()));
                return causes;
            },
            PatchSchema = new PatchSchema(PatchSchema.MetadataEntries()),
        };
    }

    /// <summary>The simple JSONPath of additionalPrinterColumns: .a.b, .a[0].b</summary>
    static JsonNode? Eval(JsonNode? node, string path)
    {
        foreach (var raw in path.Trim().TrimStart('{').TrimEnd('}').TrimStart('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var part = raw;
            int? index = null;
            var br = part.IndexOf('[');
            if (br >= 0 && part.EndsWith(']') && int.TryParse(part[(br + 1)..^1], out var ix)) { index = ix; part = part[..br]; }
            node = node is JsonObject o ? o[part] : null;
            if (index is int i) node = node is JsonArray a && i < a.Count ? a[i] : null;
            if (node is null) return null;
        }
        return node;
    }
}
