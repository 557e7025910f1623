using ClydePS.Engine.Kube;
using ClydePS.Engine.Network;

namespace ClydePS.Engine.Registry;

/// <summary>
/// The platform a cluster's nodes run, so a multi-platform image resolves to the manifest kubelet will pull:
/// the most common OS/architecture among the eligible nodes (all nodes when none is eligible), ties broken
/// by name for a stable answer; linux/amd64 for a cluster without nodes.
/// </summary>
public static class ClusterPlatform
{
    public static async Task<Platform> DetectAsync(ClusterGateway gateway, CancellationToken ct)
    {
        var nodes = await NodeNetworkService.GetNodesAsync(gateway, null, null, ct).ConfigureAwait(false);
        return Choose(nodes);
    }

    public static Platform Choose(IReadOnlyCollection<ClydeNode> nodes)
    {
        var deciding = nodes.Any(n => n.Eligible) ? nodes.Where(n => n.Eligible) : nodes;
        var best = deciding
            .Where(n => !string.IsNullOrEmpty(n.Architecture))
            .GroupBy(n => Platform.Normalize(n.OperatingSystem ?? "linux", n.Architecture, null))
            .OrderByDescending(g => g.Count())
            .ThenBy(g => g.Key.ToString(), StringComparer.Ordinal)
            .FirstOrDefault();
        return best?.Key ?? Platform.LinuxAmd64;
    }
}
