using ClydePS.Lab.Resources;
using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Kubelet;

/// <summary>What one image garbage collection on a node did.</summary>
public sealed record ImageGcResult(string Node, IReadOnlyList<string> Removed, IReadOnlyList<string> Kept);

/// <summary>
/// Kubelet's image garbage collection on one node, run on demand (<c>POST /clydelab/v1/nodes/&lt;node&gt;/imagegc</c>) as if disk
/// use had passed <c>imageGCHighThresholdPercent</c>: every image in <c>node.status.images</c> that no container of an existing pod
/// on the node references is removed, from the list and from the node's layers in the transfer model (so a later pull fetches it
/// again). Containers of every phase count, exited ones included, as in kubelet (an exited container's image is in use until its
/// pod is deleted): that is what keeps a completed seed or pre-pull holder pod's image. The pause image always stays.
/// </summary>
public static class ImageGarbageCollector
{
    /// <exception cref="KeyNotFoundException">The node does not exist.</exception>
    public static ImageGcResult Collect(LabHost lab, string nodeName)
    {
        ArgumentNullException.ThrowIfNull(lab);
        var nodes = lab.Registry.Nodes();
        if (lab.Store.Get(nodes, "", nodeName)?.Object is not V1Node node)
        {
            throw new KeyNotFoundException($"node \"{nodeName}\" not found");
        }

        var inUse = lab.Store.List(lab.Registry.Pods(), null).Items
            .Select(o => (V1Pod)o.Object)
            .Where(p => p.Spec?.NodeName == nodeName)
            .SelectMany(p => (p.Spec.InitContainers ?? []).Concat(p.Spec.Containers ?? []))
            .Select(c => c.Image)
            .Where(i => !string.IsNullOrEmpty(i))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var usedNames = new HashSet<string>(inUse.Select(ImageNames.Normalize), StringComparer.Ordinal);
        var usedDigests = new HashSet<string>(inUse.Select(i => lab.ImagePuller.Describe(i)?.Digest).OfType<string>(), StringComparer.OrdinalIgnoreCase);

        bool InUse(V1ContainerImage image) =>
            (image.Names ?? []).Any(n => usedNames.Contains(n) || n.Contains("pause", StringComparison.Ordinal)
                || n.LastIndexOf('@') is var at and >= 0 && usedDigests.Contains(n[(at + 1)..]));

        var removed = new List<V1ContainerImage>();
        lab.Store.Update(nodes, "", nodeName, cur =>
        {
            var n = (V1Node)nodes.Clone(cur.Object);
            removed = (n.Status?.Images ?? []).Where(i => !InUse(i)).ToList();
            if (removed.Count > 0)
            {
                n.Status!.Images = n.Status.Images.Where(InUse).ToList();
            }
            return n;
        });

        foreach (var image in removed)
        {
            var name = (image.Names ?? []).FirstOrDefault(n => !n.Contains('@', StringComparison.Ordinal)) ?? image.Names?.FirstOrDefault();
            if (name is not null)
            {
                lab.Transfer?.RemoveImage(nodeName, name, inUse);
            }
        }

        var kept = (node.Status?.Images ?? []).Where(InUse).SelectMany(i => i.Names ?? []).ToList();
        return new ImageGcResult(nodeName, removed.SelectMany(i => i.Names ?? []).ToList(), kept);
    }
}
