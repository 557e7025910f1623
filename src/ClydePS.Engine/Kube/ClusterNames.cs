namespace ClydePS.Engine.Kube;

/// <summary>Names of cluster objects as plain strings, for completers (which must not see client types).</summary>
public static class ClusterNames
{
    public static async Task<string[]> NamespacesAsync(ClusterGateway gateway, CancellationToken ct) =>
        (await gateway.ListNamespacesAsync(ct).ConfigureAwait(false)).Select(n => n.Metadata.Name).ToArray();

    public static async Task<string[]> NodesAsync(ClusterGateway gateway, CancellationToken ct) =>
        (await gateway.ListNodesAsync(null, ct).ConfigureAwait(false)).Select(n => n.Metadata.Name).ToArray();

    public static async Task<string[]> DaemonSetsAsync(ClusterGateway gateway, string? ns, CancellationToken ct) =>
        (await gateway.ListAsync<k8s.Models.V1DaemonSet, k8s.Models.V1DaemonSetList>("list DaemonSets", ns ?? gateway.Namespace,
            (c, r, t) => c.AppsV1.ListNamespacedDaemonSetWithHttpMessagesAsync(ns ?? gateway.Namespace, continueParameter: r.Continue, limit: r.Limit,
                cancellationToken: t), ct).ConfigureAwait(false)).Items.Select(d => d.Metadata.Name).ToArray();
}
