namespace ClydePS.Engine.Kube;

/// <summary>Names of cluster objects as plain strings, for completers (which must not see client types).</summary>
public static class ClusterNames
{
    public static async Task<string[]> NamespacesAsync(ClusterGateway gateway, CancellationToken ct) =>
        (await gateway.ListNamespacesAsync(ct).ConfigureAwait(false)).Select(n => n.Metadata.Name).ToArray();

    public static async Task<string[]> NodesAsync(ClusterGateway gateway, CancellationToken ct) =>
        (await gateway.ListNodesAsync(null, ct).ConfigureAwait(false)).Select(n => n.Metadata.Name).ToArray();
}
