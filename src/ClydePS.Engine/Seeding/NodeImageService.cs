using ClydePS.Engine.Kube;
using ClydePS.Engine.Network;
using k8s.Models;

namespace ClydePS.Engine.Seeding;

/// <summary>The cluster state <see cref="NodeImageService"/> reads once and then inspects for any number of images.</summary>
public sealed class NodeImageSnapshot
{
    internal NodeImageSnapshot(IReadOnlyList<V1Node> nodes, IReadOnlyList<V1Pod> seedPods, string context)
    {
        Nodes = nodes;
        SeedPods = seedPods;
        Context = context;
    }

    internal IReadOnlyList<V1Node> Nodes { get; }
    internal IReadOnlyList<V1Pod> SeedPods { get; }
    internal string Context { get; }

    /// <summary>Every node name, sorted.</summary>
    public IReadOnlyList<string> NodeNames => Nodes.Select(n => n.Metadata?.Name ?? "").ToArray();

    /// <summary>The nodes as ClydeNode objects (for choosing an image platform), sorted by name.</summary>
    public IReadOnlyList<ClydeNode> ClydeNodes => Nodes.Select(n => NodeMapper.ToClydeNode(n, Context)).ToArray();

    public int SeedPodCount => SeedPods.Count;
}

/// <summary>
/// Get-ClydeNodeImage's engine: one list of nodes and one list of seed pods (label <c>clydeps.io/role=seed</c>, all namespaces
/// or one), whatever the node count, then <see cref="NodeImages.Inspect"/> per node and image.
/// </summary>
public static class NodeImageService
{
    /// <summary>Lists the nodes and the seed pods (in <paramref name="seedNamespace"/>, or all namespaces when null): two list calls, paged.</summary>
    public static async Task<NodeImageSnapshot> ReadAsync(ClusterGateway gateway, string? seedNamespace, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        var nodes = await gateway.ListNodesAsync(null, ct).ConfigureAwait(false);
        var pods = seedNamespace is null
            ? (await gateway.ListAsync<V1Pod, V1PodList>("list seed pods", null,
                (c, r, t) => c.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(labelSelector: NodeImages.SeedPodSelector,
                    continueParameter: r.Continue, limit: r.Limit, watch: r.Watch, resourceVersion: r.ResourceVersion,
                    allowWatchBookmarks: r.AllowWatchBookmarks, timeoutSeconds: r.TimeoutSeconds, cancellationToken: t), ct).ConfigureAwait(false)).Items
            : (await gateway.ListAsync<V1Pod, V1PodList>("list seed pods", seedNamespace,
                (c, r, t) => c.CoreV1.ListNamespacedPodWithHttpMessagesAsync(seedNamespace, labelSelector: NodeImages.SeedPodSelector,
                    continueParameter: r.Continue, limit: r.Limit, watch: r.Watch, resourceVersion: r.ResourceVersion,
                    allowWatchBookmarks: r.AllowWatchBookmarks, timeoutSeconds: r.TimeoutSeconds, cancellationToken: t), ct).ConfigureAwait(false)).Items;
        var sorted = nodes.OrderBy(n => n.Metadata?.Name, StringComparer.Ordinal).ToArray();
        return new NodeImageSnapshot(sorted, pods, gateway.ContextName);
    }

    /// <summary>One <see cref="ClydeNodeImage"/> per node (all, or those named in <paramref name="nodeNames"/>, in node-name order) for one image.</summary>
    public static IReadOnlyList<ClydeNodeImage> Inspect(NodeImageSnapshot snapshot, ClydeImage image, IReadOnlyCollection<string>? nodeNames)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(image);
        var digests = NodeImages.DigestsOf(image);
        var nodes = snapshot.Nodes.Where(n => nodeNames is null || nodeNames.Count == 0 || nodeNames.Contains(n.Metadata?.Name ?? "")).ToArray();
        var facts = NodeImages.InspectAll(nodes, digests, snapshot.SeedPods);
        return nodes.Zip(facts, (node, fact) => new ClydeNodeImage
        {
            Name = fact.Node,
            Image = image.Image,
            Digest = image.Digest,
            Digests = digests.ToArray(),
            Holds = fact.Holds,
            Evidence = fact.Evidence,
            SizeBytes = fact.SizeBytes,
            SeedPod = fact.SeedPod,
            NetworkClass = NodeMapper.ToClydeNode(node).NetworkClass,
            ListedImageCount = node.Status?.Images?.Count ?? 0,
            Context = snapshot.Context,
        }).ToArray();
    }
}
