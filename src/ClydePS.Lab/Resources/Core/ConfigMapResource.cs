using System.Text.RegularExpressions;
using ClydePS.Lab.Patch;
using ClydePS.Lab.Store;
using ClydePS.Lab.Tables;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Resources.Core;

/// <summary>v1 ConfigMap (cm).</summary>
public static partial class ConfigMapResource
{
    [GeneratedRegex("^[-._a-zA-Z0-9]+$")]
    private static partial Regex ConfigKey();

    public const string ConfigKeyMessage = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

    /// <summary>IsConfigMapKey: the key rule shared by ConfigMap and Secret.</summary>
    public static void ValidateKey(string field, string key, List<StatusCause> causes)
    {
        if (key.Length > 253) causes.Add(Validation.InvalidValue(field, key, "must be no more than 253 characters"));
        else if (!ConfigKey().IsMatch(key)) causes.Add(Validation.InvalidValue(field, key, ConfigKeyMessage));
        else if (key is "." or "..") causes.Add(Validation.InvalidValue(field, key, "must not be '.'"));
        else if (key.StartsWith("..")) causes.Add(Validation.InvalidValue(field, key, "must not start with '..'"));
    }

    public static ResourceDefinition Definition() => new()
    {
        Group = "", Version = "v1", Plural = "configmaps", Singular = "configmap", Kind = "ConfigMap", Namespaced = true,
        ClrType = typeof(V1ConfigMap), ShortNames = ["cm"], StorageVersionHash = "qFsyl6wFWjQ=",
        Table = new SimpleTable([SimpleTable.Name, new("Data", "string", "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process."), SimpleTable.Age],
            (o, now) => { var c = (V1ConfigMap)o; return [c.Metadata.Name, (long)((c.Data?.Count ?? 0) + (c.BinaryData?.Count ?? 0)), SimpleTable.Age_(o, now)]; }),
        Validator = (o, old) =>
        {
            var c = (V1ConfigMap)o;
            var causes = Validation.ObjectMeta(o, true, Validation.SubdomainError);
            long size = 0;
            foreach (var (k, v) in c.Data ?? new Dictionary<string, string>())
            {
                ValidateKey("data[" + k + "]", k, causes);
                size += k.Length + (v?.Length ?? 0);
            }
            foreach (var (k, v) in c.BinaryData ?? new Dictionary<string, byte[]>())
            {
                ValidateKey("binaryData[" + k + "]", k, causes);
                if (c.Data?.ContainsKey(k) == true) causes.Add(Validation.InvalidValue("data[" + k + "]", k, "duplicate of key present in binaryData"));
                size += k.Length + (v?.Length ?? 0);
            }
            if (size > 1024 * 1024) causes.Add(new StatusCause("FieldValueTooLong", "Too long: must have at most 1048576 bytes", ""));
            if (old is V1ConfigMap prev && prev.Immutable == true)
            {
                if (c.Immutable != true) causes.Add(Validation.Forbidden("immutable", "field is immutable when `immutable` is set"));
                if (System.Text.Json.JsonSerializer.Serialize(c.Data) != System.Text.Json.JsonSerializer.Serialize(prev.Data)) causes.Add(Validation.Forbidden("data", "field is immutable when `immutable` is set"));
                if (System.Text.Json.JsonSerializer.Serialize(c.BinaryData) != System.Text.Json.JsonSerializer.Serialize(prev.BinaryData)) causes.Add(Validation.Forbidden("binaryData", "field is immutable when `immutable` is set"));
            }
            return causes;
        },
        PatchSchema = new PatchSchema(PatchSchema.MetadataEntries()),
    };
}
