using System.Text.Json;

namespace ClydePS.Lab.Store;

/// <summary>Writes metav1.Status bodies exactly in the shape the real server does.</summary>
public static class StatusWriter
{
    /// <summary>JSON writing as Go's encoder does it: quotes escaped as \" rather than \u0022.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] ToJson(ApiException e)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, StatusWriter.WriterOptions))
        {
            Write(w, e);
        }
        return ms.ToArray();
    }

    public static void Write(Utf8JsonWriter w, ApiException e)
    {
        w.WriteStartObject();
        w.WriteString("kind", "Status");
        w.WriteString("apiVersion", "v1");
        w.WriteStartObject("metadata");
        w.WriteEndObject();
        w.WriteString("status", "Failure");
        w.WriteString("message", e.Message);
        w.WriteString("reason", e.Reason);
        if (e.HasDetails)
        {
            w.WriteStartObject("details");
            if (!string.IsNullOrEmpty(e.DetailName)) w.WriteString("name", e.DetailName);
            if (!string.IsNullOrEmpty(e.DetailGroup)) w.WriteString("group", e.DetailGroup);
            if (!string.IsNullOrEmpty(e.DetailKind)) w.WriteString("kind", e.DetailKind);
            if (e.Causes is { Count: > 0 })
            {
                w.WriteStartArray("causes");
                foreach (var c in e.Causes)
                {
                    w.WriteStartObject();
                    w.WriteString("reason", c.Reason);
                    w.WriteString("message", c.Message);
                    w.WriteString("field", c.Field);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            if (e.RetryAfterSeconds is int r) w.WriteNumber("retryAfterSeconds", r);
            w.WriteEndObject();
        }
        w.WriteNumber("code", e.Code);
        w.WriteEndObject();
    }
}
