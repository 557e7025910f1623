using System.Text.Json;
using System.Text.Json.Nodes;
using ClydePS.Engine.Kube;
using k8s;
using k8s.Models;

namespace ClydePS.Engine.Flex;

/// <summary>FlexDaemonsetTemplate custom resources: create, read, list, delete, and the per-node allocation preview.</summary>
public static class FlexTemplates
{
    static JsonNode? ToNode(object? o) => o switch
    {
        null => null,
        JsonElement e => JsonNode.Parse(e.GetRawText()),
        _ => JsonSerializer.SerializeToNode(o),
    };

    static ClydeException NoCrd(ClydeException e) => new(ClydeErrorKind.NotFound, FlexErrorIds.CrdNotInstalled,
        $"The FlexDaemonsetTemplate CRD ({FlexNames.CrdName}) is not installed in this cluster. Run Install-ClydeFlexWebhook first.", FlexNames.CrdName, e);

    /// <summary>The custom resource as JSON; null when it does not exist.</summary>
    public static async Task<JsonObject?> GetRawAsync(ClusterGateway gateway, string name, CancellationToken cancellationToken)
    {
        try
        {
            var o = await gateway.CallAsync("read FlexDaemonsetTemplate", name,
                (c, ct) => c.CustomObjects.GetClusterCustomObjectAsync(FlexNames.Group, FlexNames.Version, FlexNames.Plural, name, ct), cancellationToken).ConfigureAwait(false);
            return ToNode(o) as JsonObject;
        }
        catch (ClydeException e) when (e.StatusCode == 404)
        {
            return null;
        }
    }

    public static ClydeFlexTemplate ToModel(JsonObject o)
    {
        var name = (string?)o["metadata"]?["name"] ?? "";
        var spec = FlexTemplateSpec.FromJson(o["spec"], name);
        DateTimeOffset? created = DateTimeOffset.TryParse((string?)o["metadata"]?["creationTimestamp"], out var t) ? t : null;
        return new ClydeFlexTemplate
        {
            Name = name,
            CpuPercentage = spec.CpuPercentage,
            MemoryPercentage = spec.MemoryPercentage,
            StoragePercentage = spec.StoragePercentage,
            MinCpu = spec.MinCpu,
            MinMemory = spec.MinMemory,
            MinStorage = spec.MinStorage,
            CreationTimestamp = created,
        };
    }

    /// <summary>The template; throws ClydeFlexTemplateNotFound (or ClydeFlexCrdNotInstalled) when absent.</summary>
    public static async Task<ClydeFlexTemplate> GetAsync(ClusterGateway gateway, string name, CancellationToken cancellationToken)
    {
        var o = await GetRawAsync(gateway, name, cancellationToken).ConfigureAwait(false);
        if (o is null)
        {
            await ListAsync(gateway, cancellationToken).ConfigureAwait(false); // a missing CRD is the better message
            throw new ClydeException(ClydeErrorKind.NotFound, FlexErrorIds.TemplateNotFound,
                $"FlexDaemonsetTemplate '{name}' was not found. List templates with Get-ClydeFlexTemplate.", name);
        }
        return ToModel(o);
    }

    /// <summary>Every template (unusable ones are skipped by the caller through <paramref name="onInvalid"/>).</summary>
    public static async Task<IReadOnlyList<ClydeFlexTemplate>> ListAsync(ClusterGateway gateway, CancellationToken cancellationToken, Action<ClydeException>? onInvalid = null)
    {
        object list;
        try
        {
            list = await gateway.CallAsync("list FlexDaemonsetTemplates", null,
                (c, ct) => c.CustomObjects.ListClusterCustomObjectAsync(FlexNames.Group, FlexNames.Version, FlexNames.Plural, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        }
        catch (ClydeException e) when (e.StatusCode == 404)
        {
            throw NoCrd(e);
        }
        var result = new List<ClydeFlexTemplate>();
        foreach (var item in ToNode(list)?["items"] as JsonArray ?? [])
        {
            if (item is not JsonObject o) continue;
            try { result.Add(ToModel(o)); }
            catch (ClydeException e) { onInvalid?.Invoke(e); }
        }
        return result.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>The custom resource for a template.</summary>
    public static JsonObject Manifest(string name, FlexTemplateSpec spec) => new()
    {
        ["apiVersion"] = FlexNames.ApiVersion,
        ["kind"] = FlexNames.Kind,
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { [FlexNames.ManagedByLabel] = FlexNames.ManagedByValue } },
        ["spec"] = spec.ToJson(),
    };

    public static async Task<ClydeFlexTemplate> CreateAsync(ClusterGateway gateway, string name, FlexTemplateSpec spec, CancellationToken cancellationToken)
    {
        spec.Validate();
        var body = Manifest(name, spec);
        try
        {
            var o = await gateway.CallAsync("create FlexDaemonsetTemplate", name,
                (c, ct) => c.CustomObjects.CreateClusterCustomObjectAsync(body, FlexNames.Group, FlexNames.Version, FlexNames.Plural, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            return ToModel((JsonObject)ToNode(o)!);
        }
        catch (ClydeException e) when (e.StatusCode == 404)
        {
            throw NoCrd(e);
        }
    }

    /// <summary>Deletes a template; false when it did not exist.</summary>
    public static async Task<bool> DeleteAsync(ClusterGateway gateway, string name, CancellationToken cancellationToken)
    {
        try
        {
            await gateway.CallAsync("delete FlexDaemonsetTemplate", name,
                (c, ct) => c.CustomObjects.DeleteClusterCustomObjectAsync(FlexNames.Group, FlexNames.Version, FlexNames.Plural, name, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ClydeException e) when (e.StatusCode == 404)
        {
            return false;
        }
    }

    /// <summary>A node's <c>status.allocatable</c> as quantity texts.</summary>
    public static IReadOnlyDictionary<string, string> Allocatable(V1Node node) =>
        (node.Status?.Allocatable ?? new Dictionary<string, ResourceQuantity>()).ToDictionary(kv => kv.Key, kv => kv.Value?.ToString() ?? "");

    /// <summary>What a pod of the template would get on each node (all nodes, or the named ones; unknown names are reported through <paramref name="onMissing"/>).</summary>
    public static async Task<IReadOnlyList<ClydeFlexAllocation>> PreviewAsync(ClusterGateway gateway, string template, IReadOnlyList<string>? nodes,
        Action<ClydeException>? onMissing, CancellationToken cancellationToken)
    {
        var t = await GetAsync(gateway, template, cancellationToken).ConfigureAwait(false);
        var spec = t.ToSpec();
        var all = await gateway.ListNodesAsync(null, cancellationToken).ConfigureAwait(false);
        IEnumerable<V1Node> chosen = all.OrderBy(n => n.Metadata.Name, StringComparer.Ordinal);
        if (nodes is { Count: > 0 })
        {
            var byName = all.ToDictionary(n => n.Metadata.Name, StringComparer.OrdinalIgnoreCase);
            var list = new List<V1Node>();
            foreach (var name in nodes.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                if (byName.TryGetValue(name, out var n)) list.Add(n);
                else onMissing?.Invoke(new ClydeException(ClydeErrorKind.NotFound, FlexErrorIds.NodeNotFound,
                    $"Node '{name}' was not found. List nodes with Get-ClydeNodeNetwork.", name));
            }
            chosen = list;
        }
        return chosen.Select(n => Allocation(t.Name, spec, n)).ToList();
    }

    public static ClydeFlexAllocation Allocation(string template, FlexTemplateSpec spec, V1Node node)
    {
        var allocatable = Allocatable(node);
        var a = FlexCalculator.Calculate(spec, allocatable);
        return new ClydeFlexAllocation
        {
            Name = node.Metadata.Name,
            Template = template,
            NodeCpu = allocatable.GetValueOrDefault("cpu"),
            NodeMemory = allocatable.GetValueOrDefault("memory"),
            NodeEphemeralStorage = allocatable.GetValueOrDefault("ephemeral-storage"),
            Cpu = a.Cpu,
            Memory = a.Memory,
            EphemeralStorage = a.EphemeralStorage,
            CpuMillicores = a.CpuMillicores,
            MemoryBytes = a.MemoryBytes,
            EphemeralStorageBytes = a.StorageBytes,
        };
    }

    /// <summary>The custom resource as YAML (for -AsManifest).</summary>
    public static string ManifestYaml(string name, FlexTemplateSpec spec)
    {
        static string Q(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        var sb = new System.Text.StringBuilder();
        sb.Append("apiVersion: ").Append(FlexNames.ApiVersion).Append('\n');
        sb.Append("kind: ").Append(FlexNames.Kind).Append('\n');
        sb.Append("metadata:\n  name: ").Append(Q(name)).Append('\n');
        sb.Append("  labels:\n    ").Append(FlexNames.ManagedByLabel).Append(": ").Append(FlexNames.ManagedByValue).Append('\n');
        sb.Append("spec:\n");
        sb.Append("  cpuPercentage: ").Append(spec.CpuPercentage).Append('\n');
        sb.Append("  memoryPercentage: ").Append(spec.MemoryPercentage).Append('\n');
        sb.Append("  storagePercentage: ").Append(spec.StoragePercentage).Append('\n');
        if (spec.MinCpu is not null) sb.Append("  minCPU: ").Append(Q(spec.MinCpu)).Append('\n');
        if (spec.MinMemory is not null) sb.Append("  minMemory: ").Append(Q(spec.MinMemory)).Append('\n');
        if (spec.MinStorage is not null) sb.Append("  minStorage: ").Append(Q(spec.MinStorage)).Append('\n');
        return sb.ToString();
    }
}
