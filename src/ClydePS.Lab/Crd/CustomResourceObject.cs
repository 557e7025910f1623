using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Crd;

/// <summary>A custom resource: typed metadata, every other field kept as JSON (pruned by the CRD's schema on write).</summary>
[JsonConverter(typeof(CustomResourceObjectConverter))]
public sealed class CustomResourceObject : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion"), JsonPropertyOrder(-3)]
    public string ApiVersion { get; set; } = "";

    [JsonPropertyName("kind"), JsonPropertyOrder(-2)]
    public string Kind { get; set; } = "";

    [JsonPropertyName("metadata"), JsonPropertyOrder(-1)]
    public V1ObjectMeta Metadata { get; set; } = new();

    public JsonObject? Fields { get; set; }

    /// <summary>The status stanza (the /status subresource swaps it).</summary>
    [JsonIgnore]
    public JsonNode? Status
    {
        get => Fields?["status"];
        set => Set("status", value);
    }

    /// <summary>Everything but metadata and status, for generation tracking.</summary>
    [JsonIgnore]
    public JsonNode? Spec
    {
        get
        {
            if (Fields is null) return null;
            var o = new JsonObject();
            foreach (var (k, v) in Fields) if (k != "status") o[k] = v?.DeepClone();
            return o;
        }
    }

    void Set(string key, JsonNode? value)
    {
        Fields ??= new JsonObject();
        if (value is null) Fields.Remove(key);
        else Fields[key] = value.Parent is null ? value : value.DeepClone();
    }
}

/// <summary>Reads and writes apiVersion, kind, metadata (as KubernetesJson does) and every other field as is.</summary>
public sealed class CustomResourceObjectConverter : JsonConverter<CustomResourceObject>
{
    public override CustomResourceObject? Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options)
    {
        if (JsonNode.Parse(ref reader) is not JsonObject o) throw new System.Text.Json.JsonException("expected a JSON object");
        var result = new CustomResourceObject
        {
            ApiVersion = o["apiVersion"] is JsonValue a && a.TryGetValue<string>(out var av) ? av : "",
            Kind = o["kind"] is JsonValue k && k.TryGetValue<string>(out var kv) ? kv : "",
            Metadata = o["metadata"] is JsonObject m ? KubernetesJson.Deserialize<V1ObjectMeta>(m.ToJsonString()) : new V1ObjectMeta(),
        };
        var fields = new JsonObject();
        foreach (var (key, value) in o.ToList())
        {
            if (key is "apiVersion" or "kind" or "metadata") continue;
            o.Remove(key);
            fields[key] = value;
        }
        result.Fields = fields;
        return result;
    }

    public override void Write(System.Text.Json.Utf8JsonWriter writer, CustomResourceObject value, System.Text.Json.JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("apiVersion", value.ApiVersion);
        writer.WriteString("kind", value.Kind);
        writer.WritePropertyName("metadata");
        writer.WriteRawValue(KubernetesJson.Serialize(value.Metadata));
        foreach (var (key, v) in value.Fields ?? [])
        {
            writer.WritePropertyName(key);
            if (v is null) writer.WriteNullValue();
            else v.WriteTo(writer);
        }
        writer.WriteEndObject();
    }
}
