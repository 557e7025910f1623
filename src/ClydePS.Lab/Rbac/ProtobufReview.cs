using System.Text;
using System.Text.Json.Nodes;

namespace ClydePS.Lab.Rbac;

/// <summary>
/// Decodes the one protobuf body the Lab must accept: a SelfSubjectAccessReview, which client-go's typed
/// clients (kubectl auth can-i) send as application/vnd.kubernetes.protobuf (the "k8s\0" envelope around a
/// runtime.Unknown). The Lab answers in JSON, which those clients accept.
/// </summary>
public static class ProtobufReview
{
    static readonly byte[] Magic = "k8s\0"u8.ToArray();

    public static bool IsEnvelope(ReadOnlySpan<byte> body) => body.StartsWith(Magic);

    static IEnumerable<(int Field, int Wire, ulong Varint, byte[] Bytes)> Fields(byte[] buf)
    {
        var i = 0;
        while (i < buf.Length)
        {
            var key = ReadVarint(buf, ref i);
            var field = (int)(key >> 3);
            var wire = (int)(key & 7);
            switch (wire)
            {
                case 0: yield return (field, wire, ReadVarint(buf, ref i), []); break;
                case 2:
                    var len = (int)ReadVarint(buf, ref i);
                    yield return (field, wire, 0, buf[i..(i + len)]);
                    i += len;
                    break;
                case 1: i += 8; break;
                case 5: i += 4; break;
                default: throw new FormatException("unsupported protobuf wire type " + wire);
            }
        }
    }

    static ulong ReadVarint(byte[] buf, ref int i)
    {
        ulong v = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = buf[i++];
            v |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return v;
        }
    }

    static JsonObject Strings(byte[] buf, params string[] names)
    {
        var o = new JsonObject();
        foreach (var f in Fields(buf))
            if (f.Wire == 2 && f.Field >= 1 && f.Field <= names.Length && names[f.Field - 1].Length > 0)
                o[names[f.Field - 1]] = Encoding.UTF8.GetString(f.Bytes);
        return o;
    }

    /// <summary>The TokenRequest in the envelope (kubectl create token) as its JSON form (spec: audiences, expirationSeconds).</summary>
    public static JsonObject DecodeTokenRequest(byte[] body)
    {
        var unknown = body[Magic.Length..];
        var raw = Fields(unknown).FirstOrDefault(f => f.Field == 2 && f.Wire == 2).Bytes ?? [];
        var spec = new JsonObject();
        var audiences = new JsonArray();
        foreach (var f in Fields(raw))
        {
            if (f.Field != 2 || f.Wire != 2) continue;
            foreach (var s in Fields(f.Bytes))
            {
                if (s.Field == 1 && s.Wire == 2) audiences.Add(Encoding.UTF8.GetString(s.Bytes));
                else if (s.Field == 4 && s.Wire == 0) spec["expirationSeconds"] = (long)s.Varint;
            }
        }
        if (audiences.Count > 0) spec["audiences"] = audiences;
        return new JsonObject { ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "TokenRequest", ["spec"] = spec };
    }

    /// <summary>The SelfSubjectAccessReview in the envelope as its JSON form (spec only).</summary>
    public static JsonObject DecodeSelfSubjectAccessReview(byte[] body)
    {
        var unknown = body[Magic.Length..];
        var raw = Fields(unknown).FirstOrDefault(f => f.Field == 2 && f.Wire == 2).Bytes ?? [];
        var spec = new JsonObject();
        foreach (var f in Fields(raw))
        {
            if (f.Field != 2 || f.Wire != 2) continue;
            foreach (var s in Fields(f.Bytes))
            {
                if (s.Wire != 2) continue;
                if (s.Field == 1) spec["resourceAttributes"] = Strings(s.Bytes, "namespace", "verb", "group", "version", "resource", "subresource", "name");
                else if (s.Field == 2) spec["nonResourceAttributes"] = Strings(s.Bytes, "path", "verb");
            }
        }
        return new JsonObject { ["apiVersion"] = "authorization.k8s.io/v1", ["kind"] = "SelfSubjectAccessReview", ["spec"] = spec };
    }
}
