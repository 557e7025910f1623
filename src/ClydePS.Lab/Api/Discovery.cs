using System.Text.Json;
using ClydePS.Lab.Store;

namespace ClydePS.Lab.Api;

/// <summary>/version and the legacy (non-aggregated) discovery documents.</summary>
public static class Discovery
{
    public const string GitVersion = "v1.32.3";

    static byte[] Write(Action<Utf8JsonWriter> body)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, StatusWriter.WriterOptions)) body(w);
        return ms.ToArray();
    }

    public static byte[] Version() => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("major", "1");
        w.WriteString("minor", "32");
        w.WriteString("gitVersion", GitVersion);
        w.WriteString("gitCommit", "32cc146f75aad04beaaa245a7157eb35063a9f99");
        w.WriteString("gitTreeState", "clean");
        w.WriteString("buildDate", "2025-03-11T19:52:21Z");
        w.WriteString("goVersion", "go1.23.6");
        w.WriteString("compiler", "gc");
        w.WriteString("platform", OperatingSystem.IsWindows() ? "windows/amd64" : "linux/amd64");
        w.WriteEndObject();
    });

    public static byte[] ApiVersions(string serverAddress) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("kind", "APIVersions");
        w.WriteStartArray("versions");
        w.WriteStringValue("v1");
        w.WriteEndArray();
        w.WriteStartArray("serverAddressByClientCIDRs");
        w.WriteStartObject();
        w.WriteString("clientCIDR", "0.0.0.0/0");
        w.WriteString("serverAddress", serverAddress);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    });

    public static byte[] ApiGroupList(ResourceRegistry registry) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("kind", "APIGroupList");
        w.WriteString("apiVersion", "v1");
        w.WriteStartArray("groups");
        foreach (var g in registry.All.Where(d => d.Group.Length > 0).GroupBy(d => d.Group))
        {
            var versions = g.Select(d => d.Version).Distinct().ToList();
            w.WriteStartObject();
            w.WriteString("name", g.Key);
            w.WriteStartArray("versions");
            foreach (var v in versions)
            {
                w.WriteStartObject();
                w.WriteString("groupVersion", $"{g.Key}/{v}");
                w.WriteString("version", v);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("preferredVersion");
            w.WriteString("groupVersion", $"{g.Key}/{versions[0]}");
            w.WriteString("version", versions[0]);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>Subresources served besides <c>/status</c>, listed as kube-apiserver lists them (kind of the request body).</summary>
    static readonly (string Group, string Version, string Name, string Kind, string? KindGroup, string? KindVersion, string[] Verbs)[] Subresources =
    [
        ("", "v1", "pods/binding", "Binding", null, null, ["create"]),
        ("", "v1", "pods/eviction", "Eviction", "policy", "v1", ["create"]),
        ("", "v1", "pods/log", "Pod", null, null, ["get"]),
        ("", "v1", "serviceaccounts/token", "TokenRequest", "authentication.k8s.io", "v1", ["create"]),
    ];

    static void WriteResource(Utf8JsonWriter w, ResourceDefinition d)
    {
        w.WriteStartObject();
        w.WriteString("name", d.Plural);
        w.WriteString("singularName", d.Singular);
        w.WriteBoolean("namespaced", d.Namespaced);
        w.WriteString("kind", d.Kind);
        w.WriteStartArray("verbs");
        foreach (var v in d.Verbs) w.WriteStringValue(v);
        w.WriteEndArray();
        if (d.ShortNames.Length > 0)
        {
            w.WriteStartArray("shortNames");
            foreach (var s in d.ShortNames) w.WriteStringValue(s);
            w.WriteEndArray();
        }
        if (d.Categories.Length > 0)
        {
            w.WriteStartArray("categories");
            foreach (var c in d.Categories) w.WriteStringValue(c);
            w.WriteEndArray();
        }
        if (d.StorageVersionHash is not null) w.WriteString("storageVersionHash", d.StorageVersionHash);
        w.WriteEndObject();
    }

    static void WriteSubresource(Utf8JsonWriter w, string name, bool namespaced, string kind, string? group, string? version, string[] verbs)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("singularName", "");
        w.WriteBoolean("namespaced", namespaced);
        if (group is not null) w.WriteString("group", group);
        if (version is not null) w.WriteString("version", version);
        w.WriteString("kind", kind);
        w.WriteStartArray("verbs");
        foreach (var v in verbs) w.WriteStringValue(v);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>The APIResourceList of one group/version, or null when nothing is served there.</summary>
    public static byte[]? ResourceList(ResourceRegistry registry, string group, string version)
    {
        var defs = registry.All.Where(d => d.Group == group && d.Version == version).OrderBy(d => d.Plural, StringComparer.Ordinal).ToList();
        if (defs.Count == 0) return null;
        return Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("kind", "APIResourceList");
            if (group.Length > 0) w.WriteString("apiVersion", "v1");
            w.WriteString("groupVersion", group.Length == 0 ? version : $"{group}/{version}");
            w.WriteStartArray("resources");
            // the real server lists resources and their subresources sorted by name
            var entries = new List<(string Name, Action<Utf8JsonWriter> Write)>();
            foreach (var d in defs)
            {
                entries.Add((d.Plural, w => WriteResource(w, d)));
                if (d.HasStatus)
                    entries.Add((d.Plural + "/status", w => WriteSubresource(w, d.Plural + "/status", d.Namespaced, d.Kind, null, null, ["get", "patch", "update"])));
            }
            foreach (var sub in Subresources)
                if (sub.Group == group && sub.Version == version && defs.FirstOrDefault(d => d.Plural == sub.Name.Split('/')[0]) is { } parent)
                    entries.Add((sub.Name, w => WriteSubresource(w, sub.Name, parent.Namespaced, sub.Kind, sub.KindGroup, sub.KindVersion, sub.Verbs)));
            foreach (var (_, write) in entries.OrderBy(e => e.Name, StringComparer.Ordinal)) write(w);
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>A minimal OpenAPI v3 discovery document (/openapi/v3): the served group-versions.</summary>
    public static byte[] OpenApiV3Index(ResourceRegistry registry) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartObject("paths");
        foreach (var (g, v) in registry.GroupVersions())
        {
            var path = g.Length == 0 ? $"api/{v}" : $"apis/{g}/{v}";
            w.WriteStartObject(path);
            w.WriteString("serverRelativeURL", $"/openapi/v3/{path}?hash=0");
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    });

    /// <summary>
    /// A minimal OpenAPI v3 document for one group-version: the paths and operations with their query
    /// parameters and x-kubernetes-group-version-kind, no schemas yet. kubectl reads it to learn that the
    /// server supports fieldValidation and dryRun (then validates server-side, which the Lab does), and
    /// falls back to its compiled-in types for strategic merge patches.
    /// </summary>
    public static byte[] OpenApiV3Document(ResourceRegistry registry, string group, string version) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("openapi", "3.0.0");
        w.WriteStartObject("info");
        w.WriteString("title", "Kubernetes");
        w.WriteString("version", GitVersion);
        w.WriteEndObject();
        w.WriteStartObject("paths");
        foreach (var d in registry.All.Where(d => d.Group == group && d.Version == version))
        {
            var basePath = d.GroupVersionPath + (d.Namespaced ? "/namespaces/{namespace}/" : "/") + d.Plural;
            void Gvk()
            {
                w.WriteStartObject("x-kubernetes-group-version-kind");
                w.WriteString("group", d.Group);
                w.WriteString("version", d.Version);
                w.WriteString("kind", d.Kind);
                w.WriteEndObject();
            }
            void Op(string method, string action, string opId, string[] query, bool body, string[]? patchTypes = null)
            {
                w.WriteStartObject(method);
                w.WriteString("operationId", opId);
                w.WriteStartArray("parameters");
                foreach (var q in query)
                {
                    w.WriteStartObject();
                    w.WriteString("name", q);
                    w.WriteString("in", "query");
                    w.WriteStartObject("schema");
                    w.WriteString("type", q is "limit" or "timeoutSeconds" or "gracePeriodSeconds" ? "integer" : q is "watch" or "allowWatchBookmarks" or "force" ? "boolean" : "string");
                    w.WriteEndObject();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                if (body)
                {
                    w.WriteStartObject("requestBody");
                    w.WriteStartObject("content");
                    foreach (var ct in patchTypes ?? ["application/json"])
                    {
                        w.WriteStartObject(ct);
                        w.WriteStartObject("schema");
                        w.WriteString("type", "object");
                        w.WriteEndObject();
                        w.WriteEndObject();
                    }
                    w.WriteEndObject();
                    w.WriteBoolean("required", true);
                    w.WriteEndObject();
                }
                w.WriteStartObject("responses");
                w.WriteStartObject("200");
                w.WriteString("description", "OK");
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteString("x-kubernetes-action", action);
                Gvk();
                w.WriteEndObject();
            }
            string[] write = ["dryRun", "fieldManager", "fieldValidation", "pretty"];
            string[] list = ["allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit", "resourceVersion", "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch", "pretty"];
            w.WriteStartObject(basePath);
            Op("get", "list", "list" + d.Kind, list, false);
            if (d.Namespaced) Op("post", "post", "create" + d.Kind, write, true);
            else Op("post", "post", "create" + d.Kind, write, true);
            if (d.Verbs.Contains("deletecollection")) Op("delete", "deletecollection", "deleteCollection" + d.Kind, ["dryRun", "gracePeriodSeconds", "propagationPolicy", "labelSelector", "fieldSelector"], false);
            w.WriteEndObject();
            foreach (var sub in d.HasStatus ? new[] { "", "/status" } : [""])
            {
                w.WriteStartObject(basePath + "/{name}" + sub);
                Op("get", "get", "read" + d.Kind + (sub.Length > 0 ? "Status" : ""), ["pretty"], false);
                Op("put", "put", "replace" + d.Kind + (sub.Length > 0 ? "Status" : ""), write, true);
                Op("patch", "patch", "patch" + d.Kind + (sub.Length > 0 ? "Status" : ""), [.. write, "force"], true,
                    ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"]);
                if (sub.Length == 0) Op("delete", "delete", "delete" + d.Kind, ["dryRun", "gracePeriodSeconds", "propagationPolicy", "pretty"], false);
                w.WriteEndObject();
            }
        }
        w.WriteEndObject();
        w.WriteStartObject("components");
        w.WriteStartObject("schemas");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    });
}
