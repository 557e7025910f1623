using System.Text.Json.Nodes;
using ClydePS.Lab.Store;

namespace ClydePS.Lab.Patch;

/// <summary>
/// Strategic merge patch (application/strategic-merge-patch+json) as k8s.io/apimachinery's
/// strategicpatch: maps merge recursively, null deletes, lists merge by the schema's merge key or are
/// replaced, and the directives <c>$patch</c> (replace/delete/merge), <c>$retainKeys</c>,
/// <c>$deleteFromPrimitiveList/x</c> and <c>$setElementOrder/x</c> are honoured.
/// </summary>
public static class StrategicMergePatch
{
    public static JsonNode Apply(JsonNode original, JsonNode patch, PatchSchema schema)
    {
        if (patch is not JsonObject p) throw ApiException.BadRequest("strategic merge patch must be a JSON object");
        return MergeMap(original as JsonObject ?? new JsonObject(), p, "", schema) ?? new JsonObject();
    }

    static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;

    static JsonObject? MergeMap(JsonObject original, JsonObject patch, string path, PatchSchema schema)
    {
        if (patch["$patch"] is JsonValue directive)
        {
            var d = directive.GetValue<string>();
            if (d == "replace")
            {
                var copy = (JsonObject)patch.DeepClone();
                copy.Remove("$patch");
                return copy;
            }
            if (d == "delete") return null;
        }
        var result = (JsonObject)original.DeepClone();
        if (patch["$retainKeys"] is JsonArray retain)
        {
            var keep = retain.Select(x => x?.GetValue<string>()).ToHashSet();
            foreach (var k in result.Select(kv => kv.Key).ToList())
                if (!keep.Contains(k)) result.Remove(k);
        }
        foreach (var (key, value) in patch)
        {
            if (key is "$patch" or "$retainKeys" || key.StartsWith("$setElementOrder/", StringComparison.Ordinal)) continue;
            if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var field = key["$deleteFromPrimitiveList/".Length..];
                if (result[field] is JsonArray list && value is JsonArray remove)
                {
                    var drop = remove.Select(x => x?.ToJsonString()).ToHashSet();
                    var kept = list.Where(x => !drop.Contains(x?.ToJsonString())).Select(x => x?.DeepClone()).ToArray();
                    result[field] = new JsonArray(kept);
                }
                continue;
            }
            if (value is null) { result.Remove(key); continue; }
            var childPath = Join(path, key);
            var existing = result[key];
            switch (value)
            {
                case JsonObject vo when existing is JsonObject eo:
                    var merged = MergeMap(eo, vo, childPath, schema);
                    if (merged is null) result.Remove(key); else result[key] = merged;
                    break;
                case JsonObject vo:
                    var fresh = MergeMap(new JsonObject(), vo, childPath, schema);
                    if (fresh is null) result.Remove(key); else result[key] = fresh;
                    break;
                case JsonArray va:
                    result[key] = schema.TryGetMergeKey(childPath, out var mergeKey)
                        ? MergeList(existing as JsonArray ?? new JsonArray(), va, childPath, mergeKey, schema)
                        : StripDirectives(va);
                    break;
                default:
                    result[key] = value.DeepClone();
                    break;
            }
        }
        return result;
    }

    static JsonArray StripDirectives(JsonArray a)
    {
        var items = a.Where(x => !(x is JsonObject o && o.Count == 1 && o.ContainsKey("$patch"))).Select(x => x?.DeepClone()).ToArray();
        return new JsonArray(items);
    }

    static JsonArray MergeList(JsonArray original, JsonArray patch, string path, string mergeKey, PatchSchema schema)
    {
        if (patch.Any(x => x is JsonObject o && o.Count == 1 && o["$patch"]?.GetValue<string>() == "replace"))
            return StripDirectives(patch);
        if (mergeKey.Length == 0)
        {
            // a merged list of primitives: union, keeping the original order
            var result = new JsonArray(original.Select(x => x?.DeepClone()).ToArray());
            var seen = original.Select(x => x?.ToJsonString()).ToHashSet();
            foreach (var item in patch)
                if (seen.Add(item?.ToJsonString())) result.Add(item?.DeepClone());
            return result;
        }
        var list = original.Select(x => x?.DeepClone()).ToList();
        foreach (var item in patch)
        {
            if (item is not JsonObject po) { list.Add(item?.DeepClone()); continue; }
            var keyValue = po[mergeKey]?.ToJsonString();
            var index = list.FindIndex(x => x is JsonObject xo && xo[mergeKey]?.ToJsonString() == keyValue);
            if (po["$patch"]?.GetValue<string>() == "delete")
            {
                if (index >= 0) list.RemoveAt(index);
                continue;
            }
            if (index >= 0)
            {
                var merged = MergeMap((JsonObject)list[index]!, po, path, schema);
                if (merged is null) list.RemoveAt(index); else list[index] = merged;
            }
            else
            {
                var fresh = MergeMap(new JsonObject(), po, path, schema);
                if (fresh is not null) list.Add(fresh);
            }
        }
        return new JsonArray(list.ToArray());
    }
}
