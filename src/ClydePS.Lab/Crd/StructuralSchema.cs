using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ClydePS.Lab.Resources;
using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Crd;

/// <summary>
/// A CRD version's structural schema (openAPIV3Schema): pruning of unknown fields (unless
/// x-kubernetes-preserve-unknown-fields), defaulting (<c>default</c>), and validation with the real
/// messages: type, required, enum, minimum/maximum (and exclusive), pattern, minLength/maxLength,
/// minItems/maxItems, items, properties, additionalProperties, nullable, x-kubernetes-int-or-string.
/// </summary>
public sealed class StructuralSchema(JsonNode? root)
{
    readonly JsonObject? _root = root as JsonObject;

    public static StructuralSchema From(V1JSONSchemaProps? props) =>
        new(props is null ? null : JsonNode.Parse(k8s.KubernetesJson.Serialize(props)));

    static bool Preserve(JsonObject? s) => s?["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;
    static bool IntOrString(JsonObject? s) => s?["x-kubernetes-int-or-string"]?.GetValue<bool>() == true;
    static string? Type(JsonObject? s) => (string?)s?["type"];

    /// <summary>Prunes and defaults a whole object (apiVersion, kind, metadata kept); returns the pruned paths.</summary>
    public List<string> PruneAndDefault(JsonObject obj)
    {
        var pruned = new List<string>();
        if (_root is null) return pruned;
        if (Preserve(_root)) return pruned;
        var props = _root["properties"] as JsonObject;
        foreach (var key in obj.Select(kv => kv.Key).ToList())
        {
            if (key is "apiVersion" or "kind" or "metadata") continue;
            if (props?[key] is JsonObject sub) Walk(obj[key], sub, key, pruned);
            else { obj.Remove(key); pruned.Add(key); }
        }
        ApplyDefaults(obj, _root, "");
        return pruned;
    }

    static void Walk(JsonNode? node, JsonObject schema, string path, List<string> pruned)
    {
        switch (node)
        {
            case JsonObject o:
                if (Preserve(schema) && schema["properties"] is null) return;
                var props = schema["properties"] as JsonObject;
                var additional = schema["additionalProperties"];
                foreach (var key in o.Select(kv => kv.Key).ToList())
                {
                    var child = path + "." + key;
                    if (props?[key] is JsonObject ps) Walk(o[key], ps, child, pruned);
                    else if (additional is JsonObject ap) Walk(o[key], ap, child, pruned);
                    else if (additional is JsonValue av && av.GetValue<bool>()) { }
                    else if (!Preserve(schema)) { o.Remove(key); pruned.Add(child); }
                }
                ApplyDefaults(o, schema, path);
                break;
            case JsonArray a when schema["items"] is JsonObject items:
                for (var i = 0; i < a.Count; i++) Walk(a[i], items, $"{path}[{i}]", pruned);
                break;
        }
    }

    static void ApplyDefaults(JsonObject o, JsonObject schema, string path)
    {
        if (schema["properties"] is not JsonObject props) return;
        foreach (var (key, ps) in props)
            if (!o.ContainsKey(key) && ps?["default"] is { } d) o[key] = d.DeepClone();
    }

    /// <summary>Validates the object against the schema; returns the causes (empty when valid).</summary>
    public List<StatusCause> Validate(JsonObject obj)
    {
        var causes = new List<StatusCause>();
        if (_root is null) return causes;
        var props = _root["properties"] as JsonObject;
        foreach (var req in (_root["required"] as JsonArray ?? []).Select(r => (string)r!))
            if (req is not ("apiVersion" or "kind" or "metadata") && (!obj.ContainsKey(req) || obj[req] is null))
                causes.Add(Validation.Required(req));
        foreach (var (key, value) in obj)
        {
            if (key is "apiVersion" or "kind" or "metadata") continue;
            if (props?[key] is JsonObject sub) Check(value, sub, key, causes);
        }
        return causes;
    }

    static string KindOf(JsonNode? n) => n switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => "string",
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => IsInteger(v) ? "integer" : "number",
        _ => "unknown",
    };

    static bool IsInteger(JsonValue v)
    {
        var d = v.GetValue<double>();
        return Math.Floor(d) == d && !double.IsInfinity(d);
    }

    static string Show(JsonNode? n) => n switch
    {
        null => "null",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Validation.Quote(v.GetValue<string>()),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => FormatNumber(v.GetValue<double>()),
        JsonValue v => v.ToJsonString(),
        _ => n.ToJsonString(),
    };

    static string FormatNumber(double d) => d.ToString(Math.Floor(d) == d ? "0" : "R", CultureInfo.InvariantCulture);

    static bool TypeMatches(string type, string actual) =>
        type == actual || (type == "number" && actual == "integer");

    static void Check(JsonNode? node, JsonObject schema, string path, List<StatusCause> causes)
    {
        var type = Type(schema);
        if (node is null)
        {
            if (schema["nullable"]?.GetValue<bool>() == true || type is null) return;
            causes.Add(new StatusCause("FieldValueTypeInvalid", $"Invalid value: \"null\": {path} in body must be of type {type}: \"null\"", path));
            return;
        }
        var actual = KindOf(node);
        if (IntOrString(schema))
        {
            if (actual is not ("integer" or "string"))
                causes.Add(new StatusCause("FieldValueTypeInvalid", $"Invalid value: \"{actual}\": {path} in body must be of type integer-or-string: \"{actual}\"", path));
        }
        else if (type is not null && !TypeMatches(type, actual))
        {
            causes.Add(new StatusCause("FieldValueTypeInvalid", $"Invalid value: \"{actual}\": {path} in body must be of type {type}: \"{actual}\"", path));
            return;
        }
        if (schema["enum"] is JsonArray en && !en.Any(e => JsonNode.DeepEquals(e, node)))
            causes.Add(new StatusCause("FieldValueNotSupported", $"Unsupported value: {Show(node)}: supported values: {string.Join(", ", en.Select(Show))}", path));
        switch (node)
        {
            case JsonValue v when actual is "integer" or "number":
            {
                var d = v.GetValue<double>();
                if (schema["minimum"] is JsonValue min)
                {
                    var m = min.GetValue<double>();
                    var excl = schema["exclusiveMinimum"]?.GetValue<bool>() == true;
                    if (excl ? d <= m : d < m)
                        causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {FormatNumber(d)}: {path} in body should be greater than {(excl ? "" : "or equal to ")}{FormatNumber(m)}", path));
                }
                if (schema["maximum"] is JsonValue max)
                {
                    var m = max.GetValue<double>();
                    var excl = schema["exclusiveMaximum"]?.GetValue<bool>() == true;
                    if (excl ? d >= m : d > m)
                        causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {FormatNumber(d)}: {path} in body should be less than {(excl ? "" : "or equal to ")}{FormatNumber(m)}", path));
                }
                break;
            }
            case JsonValue v when actual == "string":
            {
                var s = v.GetValue<string>();
                if (schema["minLength"] is JsonValue minL && s.Length < minL.GetValue<long>())
                    causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {Validation.Quote(s)}: {path} in body should be at least {minL.GetValue<long>()} chars long", path));
                if (schema["maxLength"] is JsonValue maxL && s.Length > maxL.GetValue<long>())
                    causes.Add(new StatusCause("FieldValueTooLong", $"Too long: may not be more than {maxL.GetValue<long>()} bytes", path));
                if ((string?)schema["pattern"] is { } pattern)
                {
                    bool ok;
                    try { ok = Regex.IsMatch(s, pattern, RegexOptions.None, TimeSpan.FromSeconds(1)); }
                    catch (ArgumentException) { ok = true; }
                    if (!ok) causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {Validation.Quote(s)}: {path} in body should match '{pattern}'", path));
                }
                break;
            }
            case JsonArray a:
            {
                if (schema["minItems"] is JsonValue minI && a.Count < minI.GetValue<long>())
                    causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {a.Count}: {path} in body should have at least {minI.GetValue<long>()} items", path));
                if (schema["maxItems"] is JsonValue maxI && a.Count > maxI.GetValue<long>())
                    causes.Add(new StatusCause("FieldValueTooMany", $"Too many: {a.Count}: must have at most {maxI.GetValue<long>()} items", path));
                if (schema["items"] is JsonObject items)
                    for (var i = 0; i < a.Count; i++) Check(a[i], items, $"{path}[{i}]", causes);
                break;
            }
            case JsonObject o:
            {
                foreach (var req in (schema["required"] as JsonArray ?? []).Select(r => (string)r!))
                    if (!o.ContainsKey(req)) causes.Add(Validation.Required(path + "." + req));
                var props = schema["properties"] as JsonObject;
                var additional = schema["additionalProperties"] as JsonObject;
                foreach (var (key, value) in o)
                {
                    if (props?[key] is JsonObject ps) Check(value, ps, path + "." + key, causes);
                    else if (additional is not null) Check(value, additional, path + "." + key, causes);
                }
                break;
            }
        }
    }
}
