using System.Buffers;
using System.Text;
using System.Text.Json;
using ClydePS.Lab.Store;
using ClydePS.Lab.Tables;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Api;

/// <summary>Writes objects, lists, tables and Status bodies from the cached per-object JSON.</summary>
public static class ResponseWriter
{
    public const string Json = "application/json";

    public static async Task WriteBytesAsync(HttpContext ctx, int code, byte[] body, string contentType = Json)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = contentType;
        ctx.Response.ContentLength = body.Length;
        await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted);
    }

    public static Task WriteErrorAsync(HttpContext ctx, ApiException e)
    {
        if (e.RetryAfterSeconds is int r) ctx.Response.Headers.RetryAfter = r.ToString();
        return WriteBytesAsync(ctx, e.Code, StatusWriter.ToJson(e));
    }

    /// <summary>True when the Accept header asks for a meta.k8s.io Table.</summary>
    public static bool WantsTable(HttpRequest request)
    {
        foreach (var accept in request.Headers.Accept)
        {
            if (accept is null) continue;
            foreach (var part in accept.Split(','))
            {
                if (!part.Contains("as=Table")) continue;
                if (part.Contains("g=meta.k8s.io") && (part.Contains("v=v1;") || part.EndsWith("v=v1") || part.Contains("v=v1beta1"))) return true;
            }
        }
        return false;
    }

    public static void WriteItem(IBufferWriter<byte> buffer, StoredObject o)
    {
        var json = o.Json.AsSpan();
        var prefix = TypePrefix(o.Def);
        if (json.StartsWith(prefix))
        {
            buffer.Write("{"u8);
            buffer.Write(json[prefix.Length..]);
        }
        else buffer.Write(json);
    }

    static readonly Dictionary<ResourceDefinition, byte[]> Prefixes = new();
    static byte[] TypePrefix(ResourceDefinition def)
    {
        lock (Prefixes)
        {
            if (!Prefixes.TryGetValue(def, out var p))
                Prefixes[def] = p = Encoding.UTF8.GetBytes($"{{\"apiVersion\":\"{def.ApiVersion}\",\"kind\":\"{def.Kind}\",");
            return p;
        }
    }

    public sealed record ListMeta(long ResourceVersion, string? Continue, long? RemainingItemCount);

    static void WriteListMeta(Utf8JsonWriter w, ListMeta meta)
    {
        w.WriteStartObject("metadata");
        w.WriteString("resourceVersion", meta.ResourceVersion.ToString());
        if (meta.Continue is not null) w.WriteString("continue", meta.Continue);
        if (meta.RemainingItemCount is long r) w.WriteNumber("remainingItemCount", r);
        w.WriteEndObject();
    }

    public static async Task WriteListAsync(HttpContext ctx, ResourceDefinition def, IReadOnlyList<StoredObject> items, ListMeta meta)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Max(256, items.Count * 2048));
        using (var w = new Utf8JsonWriter(buffer, StatusWriter.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("kind", def.ListKind);
            w.WriteString("apiVersion", def.ApiVersion);
            WriteListMeta(w, meta);
            w.WritePropertyName("items");
            w.WriteStartArray();
            w.Flush();
            for (var i = 0; i < items.Count; i++)
            {
                if (i > 0) buffer.Write(","u8);
                WriteItem(buffer, items[i]);
            }
            buffer.Write("]}"u8);
        }
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = Json;
        ctx.Response.ContentLength = buffer.WrittenCount;
        await ctx.Response.Body.WriteAsync(buffer.WrittenMemory, ctx.RequestAborted);
    }

    public enum IncludeObject { None, Metadata, Object }

    public static IncludeObject ParseIncludeObject(string? v) => v switch
    {
        null or "" or "Metadata" => IncludeObject.Metadata,
        "None" => IncludeObject.None,
        "Object" => IncludeObject.Object,
        _ => throw ApiException.BadRequest($"unable to parse includeObject: {v}"),
    };

    public static async Task WriteTableAsync(HttpContext ctx, ResourceDefinition def, IReadOnlyList<StoredObject> items, ListMeta? meta,
        DateTime now, IncludeObject include)
    {
        var buffer = BuildTable(def, items, meta, now, include, withColumns: true);
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = Json;
        ctx.Response.ContentLength = buffer.WrittenCount;
        await ctx.Response.Body.WriteAsync(buffer.WrittenMemory, ctx.RequestAborted);
    }

    /// <summary>A meta.k8s.io/v1 Table of the items (watch events carry one-row tables, columns only in the first).</summary>
    public static ArrayBufferWriter<byte> BuildTable(ResourceDefinition def, IReadOnlyList<StoredObject> items, ListMeta? meta,
        DateTime now, IncludeObject include, bool withColumns)
    {
        var converter = def.Table ?? DefaultTableConverter.Instance;
        var buffer = new ArrayBufferWriter<byte>(Math.Max(256, items.Count * 512));
        using (var w = new Utf8JsonWriter(buffer, StatusWriter.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("kind", "Table");
            w.WriteString("apiVersion", "meta.k8s.io/v1");
            if (meta is null) { w.WriteStartObject("metadata"); w.WriteEndObject(); }
            else WriteListMeta(w, meta);
            w.WriteStartArray("columnDefinitions");
            foreach (var c in withColumns ? converter.Columns : [])
            {
                w.WriteStartObject();
                w.WriteString("name", c.Name);
                w.WriteString("type", c.Type);
                w.WriteString("format", c.Format);
                w.WriteString("description", c.Description);
                w.WriteNumber("priority", c.Priority);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("rows");
            foreach (var item in items)
            {
                w.WriteStartObject();
                w.WriteStartArray("cells");
                foreach (var cell in converter.Cells(item.Object, now))
                {
                    switch (cell)
                    {
                        case string s: w.WriteStringValue(s); break;
                        case long l: w.WriteNumberValue(l); break;
                        case int i: w.WriteNumberValue(i); break;
                        case bool b: w.WriteBooleanValue(b); break;
                        default: w.WriteNullValue(); break;
                    }
                }
                w.WriteEndArray();
                if (converter.Conditions(item.Object) is { } conds)
                {
                    w.WriteStartArray("conditions");
                    foreach (var c in conds)
                    {
                        w.WriteStartObject();
                        w.WriteString("type", c.Type);
                        w.WriteString("status", c.Status);
                        w.WriteString("reason", c.Reason);
                        w.WriteString("message", c.Message);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }
                switch (include)
                {
                    case IncludeObject.Object:
                        w.WritePropertyName("object");
                        w.WriteRawValue(item.Json, skipInputValidation: true);
                        break;
                    case IncludeObject.Metadata:
                        w.WriteStartObject("object");
                        w.WriteString("kind", "PartialObjectMetadata");
                        w.WriteString("apiVersion", "meta.k8s.io/v1");
                        w.WritePropertyName("metadata");
                        w.WriteRawValue(item.MetadataJson, skipInputValidation: true);
                        w.WriteEndObject();
                        break;
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer;
    }

    /// <summary>A Status with status Success (deletions of kinds that do not return the object).</summary>
    public static byte[] SuccessStatus(StoredObject deleted)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, StatusWriter.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("kind", "Status");
            w.WriteString("apiVersion", "v1");
            w.WriteStartObject("metadata");
            w.WriteEndObject();
            w.WriteString("status", "Success");
            w.WriteStartObject("details");
            w.WriteString("name", deleted.Name);
            if (deleted.Def.Group.Length > 0) w.WriteString("group", deleted.Def.Group);
            w.WriteString("kind", deleted.Def.Plural);
            w.WriteString("uid", deleted.Object.Metadata.Uid);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return ms.ToArray();
    }
}
