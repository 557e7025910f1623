using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using YamlDotNet.Serialization;

namespace ClydePS.Engine.Snapshot;

/// <summary>Serialises a snapshot as its YAML or JSON document.</summary>
public static class SnapshotDocument
{
    /// <summary>"yaml" or "json".</summary>
    public static string Serialize(ClydeSnapshot s, string format) =>
        IsJson(format) ? ToJson(s) : ToYaml(s);

    public static bool IsJson(string format) => string.Equals(format, "json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The format a file path implies: json for .json, yaml for .yaml/.yml, else null.</summary>
    public static string? FormatFromExtension(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".json" => "json",
        ".yaml" or ".yml" => "yaml",
        _ => null,
    };

    internal static Dictionary<string, object?> Tree(ClydeSnapshot s) => new()
    {
        ["apiVersion"] = s.ApiVersion,
        ["kind"] = s.Kind,
        ["metadata"] = new Dictionary<string, object?>
        {
            ["timestamp"] = s.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["version"] = s.ModuleVersion,
            ["source-node"] = s.SourceNode,
            ["host-root"] = s.HostRoot,
        },
        ["measurements"] = s.Measurements.Select(m =>
        {
            var d = new Dictionary<string, object?>
            {
                ["type"] = m.Type,
                ["subtypes"] = m.Subtypes.Select(st => new Dictionary<string, object?>
                {
                    ["subtype"] = st.Subtype,
                    ["data"] = st.Data.ToDictionary(kv => kv.Key, kv => (object?)kv.Value),
                }).ToList(),
            };
            if (m.Errors.Count > 0)
            {
                d["errors"] = m.Errors.ToList();
            }

            return d;
        }).ToList(),
    };

    /// <summary>Reads a snapshot document back (JSON, as the agent hands it back); the inverse of <see cref="ToJson"/>.</summary>
    /// <exception cref="FormatException">The text is not a snapshot document.</exception>
    public static ClydeSnapshot FromJson(string json)
    {
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(json).RootElement;
        }
        catch (JsonException e)
        {
            throw new FormatException($"not JSON: {e.Message}", e);
        }

        if (root.ValueKind != JsonValueKind.Object || Str(root, "kind") != ClydeSnapshot.DocumentKind)
        {
            throw new FormatException("not a Snapshot document");
        }

        var meta = root.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
        DateTimeOffset.TryParse(meta.ValueKind == JsonValueKind.Object ? Str(meta, "timestamp") : null, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var timestamp);
        var measurements = new List<ClydeSnapshotMeasurement>();
        if (root.TryGetProperty("measurements", out var ms) && ms.ValueKind == JsonValueKind.Array)
        {
            foreach (var me in ms.EnumerateArray())
            {
                var subtypes = new List<ClydeSnapshotSubtype>();
                if (me.TryGetProperty("subtypes", out var sts) && sts.ValueKind == JsonValueKind.Array)
                {
                    foreach (var st in sts.EnumerateArray())
                    {
                        var data = new SortedDictionary<string, string>(StringComparer.Ordinal);
                        if (st.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object)
                        {
                            foreach (var kv in d.EnumerateObject())
                            {
                                data[kv.Name] = kv.Value.ValueKind == JsonValueKind.String ? kv.Value.GetString()! : kv.Value.GetRawText();
                            }
                        }

                        subtypes.Add(new ClydeSnapshotSubtype { Subtype = Str(st, "subtype") ?? "", Data = data });
                    }
                }

                var errors = me.TryGetProperty("errors", out var es) && es.ValueKind == JsonValueKind.Array
                    ? es.EnumerateArray().Select(e => e.GetString() ?? "").ToList()
                    : [];
                measurements.Add(new ClydeSnapshotMeasurement { Type = Str(me, "type") ?? "", Subtypes = subtypes, Errors = errors });
            }
        }

        return new ClydeSnapshot
        {
            ApiVersion = Str(root, "apiVersion") ?? ClydeSnapshot.DocumentApiVersion,
            Kind = ClydeSnapshot.DocumentKind,
            Timestamp = timestamp,
            ModuleVersion = meta.ValueKind == JsonValueKind.Object ? Str(meta, "version") ?? "" : "",
            SourceNode = meta.ValueKind == JsonValueKind.Object ? Str(meta, "source-node") ?? "" : "",
            HostRoot = meta.ValueKind == JsonValueKind.Object ? Str(meta, "host-root") ?? "/" : "/",
            Measurements = measurements,
        };
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static string ToYaml(ClydeSnapshot s) =>
        new SerializerBuilder().Build().Serialize(Tree(s));

    public static string ToJson(ClydeSnapshot s) =>
        JsonSerializer.Serialize(Tree(s), new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
}

/// <summary>Where -Output sends the snapshot: the pipeline, a file or a ConfigMap.</summary>
public sealed record SnapshotTarget(string Kind, string? Path = null, string? Namespace = null, string? Name = null)
{
    public const string Pipeline = "Pipeline";
    public const string File = "File";
    public const string ConfigMap = "ConfigMap";
    public const string BadUriErrorId = "ClydeSnapshotInvalidConfigMapUri";

    private static readonly Regex Label = new("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
    private static readonly Regex Subdomain = new(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");

    /// <summary>Parses -Output: null, empty or "-" is the pipeline; "cm://namespace/name" a ConfigMap; else a file path.</summary>
    public static SnapshotTarget Parse(string? output)
    {
        if (string.IsNullOrEmpty(output) || output == "-")
        {
            return new SnapshotTarget(Pipeline);
        }

        if (!output.StartsWith("cm://", StringComparison.OrdinalIgnoreCase))
        {
            return new SnapshotTarget(File, Path: output);
        }

        var parts = output["cm://".Length..].Split('/');
        string? problem = parts.Length != 2 ? "it must be cm://<namespace>/<name>"
            : parts[0].Length > 63 || !Label.IsMatch(parts[0]) ? $"'{parts[0]}' is not a valid namespace name (lowercase letters, digits and '-', at most 63)"
            : parts[1].Length > 253 || !Subdomain.IsMatch(parts[1]) ? $"'{parts[1]}' is not a valid ConfigMap name (lowercase letters, digits, '-' and '.', at most 253)"
            : null;
        if (problem != null)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, BadUriErrorId,
                $"-Output '{output}' is not a valid ConfigMap URI: {problem}. Example: cm://clyde/node-snapshot.", output);
        }

        return new SnapshotTarget(ConfigMap, Namespace: parts[0], Name: parts[1]);
    }
}

/// <summary>Writes a snapshot into a ConfigMap, as the original agent does.</summary>
public static class SnapshotConfigMap
{
    public const string NameLabel = "app.kubernetes.io/name";
    public const string ComponentLabel = "app.kubernetes.io/component";

    /// <summary>Creates or replaces the ConfigMap (keys snapshot.yaml|json, format, timestamp). Returns "created" or "updated".</summary>
    public static async Task<string> WriteAsync(Kube.ClusterGateway gateway, string ns, string name, ClydeSnapshot snapshot, string format,
        CancellationToken cancellationToken)
    {
        bool json = SnapshotDocument.IsJson(format);
        var cm = new V1ConfigMap
        {
            ApiVersion = "v1",
            Kind = "ConfigMap",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = ns,
                Labels = new Dictionary<string, string> { [NameLabel] = "clydeps", [ComponentLabel] = "snapshot" },
            },
            Data = new Dictionary<string, string>
            {
                [json ? "snapshot.json" : "snapshot.yaml"] = SnapshotDocument.Serialize(snapshot, format),
                ["format"] = json ? "json" : "yaml",
                ["timestamp"] = snapshot.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            },
        };
        string target = $"{ns}/{name}";
        V1ConfigMap existing;
        try
        {
            existing = await gateway.CallAsync("read ConfigMap", target,
                (c, ct) => c.CoreV1.ReadNamespacedConfigMapAsync(name, ns, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        }
        catch (ClydeException e) when (e.StatusCode == 404)
        {
            await gateway.CallAsync("create ConfigMap", target,
                (c, ct) => c.CoreV1.CreateNamespacedConfigMapAsync(cm, ns, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            return "created";
        }

        // Keep labels others added; ours win.
        foreach (var kv in existing.Metadata.Labels ?? new Dictionary<string, string>())
        {
            cm.Metadata.Labels.TryAdd(kv.Key, kv.Value);
        }

        cm.Metadata.ResourceVersion = existing.Metadata.ResourceVersion;
        await gateway.CallAsync("replace ConfigMap", target,
            (c, ct) => c.CoreV1.ReplaceNamespacedConfigMapAsync(cm, name, ns, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        return "updated";
    }
}
