using System.Text.Json;
using System.Text.Json.Nodes;
using ClydePS.Lab.Store;

namespace ClydePS.Lab.Patch;

/// <summary>RFC 6902 JSON Patch (application/json-patch+json).</summary>
public static class JsonPatch
{
    public static JsonNode Apply(JsonNode doc, JsonNode patch)
    {
        if (patch is not JsonArray ops) throw ApiException.BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
        var root = new JsonObject { ["r"] = doc.DeepClone() };
        foreach (var opNode in ops)
        {
            if (opNode is not JsonObject op) throw ApiException.BadRequest("invalid JSON patch operation");
            var kind = op["op"]?.GetValue<string>() ?? throw Unprocessable("Unexpected kind: unknown");
            var path = op["path"]?.GetValue<string>() ?? throw Unprocessable($"operation missing path");
            switch (kind)
            {
                case "add": Add(root, path, Value(op)); break;
                case "remove": Remove(root, path); break;
                case "replace": Remove(root, path); Add(root, path, Value(op)); break;
                case "move":
                {
                    var from = op["from"]?.GetValue<string>() ?? throw Unprocessable("operation missing from");
                    var v = Get(root, from)?.DeepClone();
                    Remove(root, from);
                    Add(root, path, v);
                    break;
                }
                case "copy":
                {
                    var from = op["from"]?.GetValue<string>() ?? throw Unprocessable("operation missing from");
                    Add(root, path, Get(root, from)?.DeepClone());
                    break;
                }
                case "test":
                {
                    var actual = Get(root, path);
                    if (!JsonNode.DeepEquals(actual, op["value"]))
                        throw Unprocessable($"testing value {path} failed: test failed");
                    break;
                }
                default: throw Unprocessable($"Unexpected kind: {kind}");
            }
        }
        return root["r"]!.DeepClone();
    }

    static ApiException Unprocessable(string msg) => new(422, "Invalid", msg) { HasDetails = false };

    static JsonNode? Value(JsonObject op)
    {
        if (!op.ContainsKey("value")) throw Unprocessable("missing value");
        return op["value"]?.DeepClone();
    }

    static List<string> Tokens(string path)
    {
        if (path.Length == 0) return [];
        if (path[0] != '/') throw Unprocessable($"add operation does not apply: doc is missing path: \"{path}\": missing value");
        return path[1..].Split('/').Select(t => t.Replace("~1", "/").Replace("~0", "~")).ToList();
    }

    static (JsonNode Parent, string Last) Parent(JsonObject root, string path)
    {
        var toks = Tokens(path);
        JsonNode cur = root;
        var last = "r";
        // prefix with the root holder
        toks.Insert(0, "r");
        for (var i = 0; i < toks.Count - 1; i++)
        {
            cur = Child(cur, toks[i]) ?? throw Unprocessable($"doc is missing path: \"{path}\": missing value");
        }
        last = toks[^1];
        return (cur, last);
    }

    static JsonNode? Child(JsonNode node, string tok) => node switch
    {
        JsonObject o => o.TryGetPropertyValue(tok, out var v) ? v : null,
        JsonArray a when int.TryParse(tok, out var i) && i >= 0 && i < a.Count => a[i],
        _ => null,
    };

    static JsonNode? Get(JsonObject root, string path)
    {
        var (p, last) = Parent(root, path);
        return Child(p, last);
    }

    static void Add(JsonObject root, string path, JsonNode? value)
    {
        var (p, last) = Parent(root, path);
        switch (p)
        {
            case JsonObject o: o[last] = value; break;
            case JsonArray a:
                if (last == "-") { a.Add(value); break; }
                if (!int.TryParse(last, out var i) || i < 0 || i > a.Count)
                    throw Unprocessable($"add operation does not apply: doc is missing path: \"{path}\": missing value");
                a.Insert(i, value);
                break;
            default: throw Unprocessable($"doc is missing path: \"{path}\": missing value");
        }
    }

    static void Remove(JsonObject root, string path)
    {
        var (p, last) = Parent(root, path);
        switch (p)
        {
            case JsonObject o when o.ContainsKey(last): o.Remove(last); break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i < a.Count: a.RemoveAt(i); break;
            default: throw Unprocessable($"remove operation does not apply: doc is missing path: \"{path}\": missing value");
        }
    }
}
