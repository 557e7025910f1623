using System.Text.Json;
using System.Text.Json.Nodes;
using ClydePS.Lab.Store;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Api;

/// <summary>
/// Decodes request bodies into typed objects the way the real server does: unknown fields are dropped
/// (pruned), reported as warnings (fieldValidation=Warn, the default), or rejected (Strict).
/// </summary>
public static class BodyDecoder
{
    public enum FieldValidation { Ignore, Warn, Strict }

    public static FieldValidation ParseFieldValidation(string? value) => value switch
    {
        null or "" or "Warn" => FieldValidation.Warn,
        "Ignore" => FieldValidation.Ignore,
        "Strict" => FieldValidation.Strict,
        _ => throw ApiException.BadRequest($"fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\", got \"{value}\""),
    };

    public static async Task<JsonNode> ReadJsonAsync(HttpRequest request)
    {
        using var ms = new MemoryStream();
        await request.Body.CopyToAsync(ms, request.HttpContext.RequestAborted);
        if (ms.Length == 0) throw ApiException.BadRequest("the body of the request was empty");
        try
        {
            return JsonNode.Parse(ms.ToArray()) ?? throw ApiException.BadRequest("the body of the request was null");
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"the object provided is unrecognized: {e.Message}");
        }
    }

    /// <summary>Reads a YAML body (application/yaml) into the JSON tree it denotes.</summary>
    public static async Task<JsonNode> ReadYamlAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        if (text.Length == 0) throw ApiException.BadRequest("the body of the request was empty");
        try
        {
            var yaml = new YamlDotNet.RepresentationModel.YamlStream();
            yaml.Load(new StringReader(text));
            if (yaml.Documents.Count == 0) throw ApiException.BadRequest("the body of the request was empty");
            return YamlToJson(yaml.Documents[0].RootNode) ?? throw ApiException.BadRequest("the body of the request was null");
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw ApiException.BadRequest($"the object provided is unrecognized: {e.Message}");
        }
    }

    static JsonNode? YamlToJson(YamlDotNet.RepresentationModel.YamlNode node)
    {
        switch (node)
        {
            case YamlDotNet.RepresentationModel.YamlMappingNode m:
                var o = new JsonObject();
                foreach (var (k, v) in m.Children) o[((YamlDotNet.RepresentationModel.YamlScalarNode)k).Value!] = YamlToJson(v);
                return o;
            case YamlDotNet.RepresentationModel.YamlSequenceNode seq:
                return new JsonArray(seq.Children.Select(YamlToJson).ToArray());
            case YamlDotNet.RepresentationModel.YamlScalarNode s:
                var v2 = s.Value ?? "";
                if (s.Style is YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted
                    or YamlDotNet.Core.ScalarStyle.Literal or YamlDotNet.Core.ScalarStyle.Folded) return JsonValue.Create(v2);
                if (v2 is "null" or "~" or "") return null;
                if (v2 is "true" or "True") return JsonValue.Create(true);
                if (v2 is "false" or "False") return JsonValue.Create(false);
                if (long.TryParse(v2, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
                if (double.TryParse(v2, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && v2.Any(char.IsDigit)) return JsonValue.Create(d);
                return JsonValue.Create(v2);
            default:
                return null;
        }
    }

    /// <summary>Converts a JSON body into the kind's type, checking apiVersion/kind and unknown fields.</summary>
    public static IKubernetesObject<V1ObjectMeta> ToObject(ResourceDefinition def, JsonNode node, FieldValidation validation, List<string> warnings)
    {
        if (node is not JsonObject obj) throw ApiException.BadRequest("the object provided is unrecognized (must be a JSON object)");
        var kind = obj["kind"] is JsonValue k && k.TryGetValue<string>(out var ks) ? ks : null;
        var apiVersion = obj["apiVersion"] is JsonValue a && a.TryGetValue<string>(out var avs) ? avs : null;
        if (!string.IsNullOrEmpty(kind) && kind != def.Kind || !string.IsNullOrEmpty(apiVersion) && apiVersion != def.ApiVersion)
            throw ApiException.BadRequest($"{kind ?? def.Kind} in version \"{apiVersion ?? def.ApiVersion}\" cannot be handled as a {def.Kind}: no kind \"{kind}\" is registered for version \"{apiVersion}\" in scheme \"pkg/api/legacyscheme/scheme.go:30\"");
        List<string>? pruned = def.Pruner?.Invoke(obj);
        IKubernetesObject<V1ObjectMeta> typed;
        try
        {
            typed = def.DeserializeNode(obj);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            throw ApiException.BadRequest($"{def.Kind} in version \"{def.ApiVersion}\" cannot be handled as a {def.Kind}: {e.Message}");
        }
        typed.ApiVersion = def.ApiVersion;
        typed.Kind = def.Kind;
        typed.Metadata ??= new V1ObjectMeta();
        if (validation != FieldValidation.Ignore)
        {
            var roundTrip = JsonNode.Parse(KubernetesJson.Serialize(typed))!;
            var unknown = new List<string>(pruned ?? []);
            UnknownFields(obj, roundTrip, "", unknown);
            if (unknown.Count > 0)
            {
                if (validation == FieldValidation.Strict)
                    throw ApiException.BadRequest("strict decoding error: " + string.Join(", ", unknown.Select(u => $"unknown field \"{u}\"")));
                warnings.AddRange(unknown.Select(u => $"unknown field \"{u}\""));
            }
        }
        return typed;
    }

    static void UnknownFields(JsonNode? original, JsonNode? known, string path, List<string> unknown)
    {
        switch (original)
        {
            case JsonObject o:
                var ko = known as JsonObject;
                foreach (var (key, value) in o)
                {
                    if (value is null) continue;
                    var child = path.Length == 0 ? key : path + "." + key;
                    if (ko is null || !ko.TryGetPropertyValue(key, out var kv))
                    {
                        if (IsEmpty(value)) continue; // empty objects/arrays vanish on round trip without being unknown
                        unknown.Add(child);
                        continue;
                    }
                    UnknownFields(value, kv, child, unknown);
                }
                break;
            case JsonArray arr when known is JsonArray karr:
                for (var i = 0; i < arr.Count && i < karr.Count; i++)
                    UnknownFields(arr[i], karr[i], $"{path}[{i}]", unknown);
                break;
        }
    }

    static bool IsEmpty(JsonNode n) => n is JsonObject { Count: 0 } or JsonArray { Count: 0 };
}
