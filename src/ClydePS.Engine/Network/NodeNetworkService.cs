using ClydePS.Engine.Kube;
using ClydePS.Engine.Util;

namespace ClydePS.Engine.Network;

/// <summary>Reads a cluster's nodes and classifies them (Get-ClydeNodeNetwork's engine).</summary>
public static class NodeNetworkService
{
    /// <summary>
    /// Nodes matching the label selector (evaluated by the API server) and, when given, any of the name
    /// patterns (wildcards allowed). One list call, paged by the gateway.
    /// </summary>
    public static async Task<IReadOnlyList<ClydeNode>> GetNodesAsync(ClusterGateway gateway, IReadOnlyList<string>? namePatterns,
        string? labelSelector, CancellationToken ct)
    {
        var nodes = await gateway.ListNodesAsync(labelSelector, ct).ConfigureAwait(false);
        IReadOnlyList<NamePattern> patterns = (namePatterns ?? []).Select(p => new NamePattern(p)).ToArray();
        return nodes
            .Where(n => patterns.Count == 0 || patterns.Any(p => p.IsMatch(n.Metadata?.Name ?? "")))
            .Select(n => NodeMapper.ToClydeNode(n, gateway.ContextName))
            .OrderBy(n => n.Name, StringComparer.Ordinal)
            .ToArray();
    }
}
