using k8s.Models;

namespace ClydePS.Engine.Seeding;

/// <summary>How ClydePS knows whether a node holds an image (ARCHITECTURE.md "Definitions": compare digests, never tags).</summary>
public enum ImageEvidence
{
    /// <summary>A seed pod's <c>seed</c> container on the node reports a matching <c>imageID</c>: the pull completed there (proof).</summary>
    SeedPod,

    /// <summary>The node's <c>status.images</c> names the digest (a hint: kubelet's list, which lags and can be garbage-collected).</summary>
    NodeImageList,

    /// <summary>The node lists fewer than 50 images and none is this one: the node does not hold it.</summary>
    NotListed,

    /// <summary>The node lists 50 or more images and none is this one: kubelet caps the list at 50, so the node may still hold it.</summary>
    Unknown,
}

/// <summary>Whether one node holds an image, how we know, the size the node reports, and the seed pod that proves it.</summary>
/// <param name="SeedPod"><c>namespace/name</c> of the seed pod whose imageID proves the pull (only with <see cref="ImageEvidence.SeedPod"/>).</param>
/// <param name="SizeBytes">The size the node's <c>status.images</c> entry reports (as stored on the node), null when it does not list the image.</param>
public sealed record NodeImageFact(string Node, bool Holds, ImageEvidence Evidence, long? SizeBytes, string? SeedPod);

/// <summary>
/// Decides from a node object and the seed pods on it whether the node holds an image, by digest. Pure functions:
/// the seeding executor and <c>Get-ClydeNodeImage</c> both call them on objects they listed once.
/// </summary>
/// <remarks>
/// The seed pod contract read here (the executor creates them): labels <c>app.kubernetes.io/managed-by=ClydePS</c>,
/// <c>clydeps.io/role=seed</c>, <c>clydeps.io/run=&lt;run id&gt;</c>; annotations <c>clydeps.io/node</c>, <c>clydeps.io/image</c>,
/// <c>clydeps.io/digest</c>, and <c>clydeps.io/workload=&lt;namespace&gt;/&lt;daemonset&gt;</c> when seeding for a DaemonSet;
/// pinned with <c>spec.nodeName</c>; main container <c>seed</c>, whose <c>status.containerStatuses[].imageID</c> proves the pull
/// once set.
/// </remarks>
public static class NodeImages
{
    public const string ManagedByLabel = ClydePS.Engine.Probe.ProbePod.ManagedByLabel;
    public const string ManagedByValue = "ClydePS";
    public const string RoleLabel = ClydePS.Engine.Probe.ProbePod.RoleLabel;
    public const string RunLabel = ClydePS.Engine.Probe.ProbePod.RunLabel;
    public const string SeedRole = SeedPod.Role;
    public const string SeedContainer = SeedPod.ContainerName;
    public const string NodeAnnotation = ClydePS.Engine.Probe.ProbePod.NodeAnnotation;
    public const string ImageAnnotation = SeedPod.ImageAnnotation;
    public const string DigestAnnotation = SeedPod.DigestAnnotation;
    public const string WorkloadAnnotation = SeedPod.WorkloadAnnotation;

    /// <summary>Label selector of every seed pod (all runs).</summary>
    public const string SeedPodSelector = RoleLabel + "=" + SeedRole;

    /// <summary>kubelet caps <c>node.status.images</c> at this many entries.</summary>
    public const int NodeImageListCap = 50;

    /// <summary>
    /// The digests that identify an image on a node: the digest the reference resolves to (the index digest of a
    /// multi-platform image, which kubelet reports), the chosen platform's manifest digest, and every manifest digest the
    /// index lists.
    /// </summary>
    public static IReadOnlyCollection<string> DigestsOf(ClydeImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var digests = new List<string>();
        foreach (var d in new[] { image.Digest, image.PlatformDigest }.Concat(image.ManifestDigests ?? []))
        {
            if (!string.IsNullOrEmpty(d) && !digests.Contains(d, StringComparer.OrdinalIgnoreCase))
            {
                digests.Add(d);
            }
        }
        return digests;
    }

    /// <summary>
    /// True when <paramref name="imageIdOrName"/> carries one of <paramref name="digests"/>: a kubelet imageID
    /// (<c>repo@sha256:..</c>, <c>docker-pullable://repo@sha256:..</c>, <c>docker://sha256:..</c>), a status.images name, or a bare
    /// digest. A name with a tag and no digest never matches (tags move).
    /// </summary>
    public static bool Matches(string? imageIdOrName, IReadOnlyCollection<string> digests)
    {
        ArgumentNullException.ThrowIfNull(digests);
        var digest = DigestOf(imageIdOrName);
        return digest is not null && digests.Any(d => string.Equals(d?.Trim(), digest, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The digest an imageID or image name carries (<c>algorithm:hex</c>), else null.</summary>
    public static string? DigestOf(string? imageIdOrName)
    {
        if (string.IsNullOrWhiteSpace(imageIdOrName))
        {
            return null;
        }
        var text = imageIdOrName.Trim();
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            text = text[(scheme + 3)..];
        }
        var at = text.LastIndexOf('@');
        if (at >= 0)
        {
            text = text[(at + 1)..];
        }
        else if (text.Contains('/'))
        {
            return null; // repo[:tag] without a digest
        }
        var colon = text.IndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            return null;
        }
        var algorithm = text[..colon];
        var hex = text[(colon + 1)..];
        if (!algorithm.All(c => char.IsAsciiLetter(c) || char.IsAsciiDigit(c) || c is '+' or '.' or '_' or '-')
            || hex.Length < 32 || !hex.All(char.IsAsciiHexDigit))
        {
            return null; // e.g. busybox:1.36
        }
        return text;
    }

    /// <summary>
    /// Whether <paramref name="node"/> holds the image with one of <paramref name="digests"/>: proved by a seed pod on the node
    /// whose <c>seed</c> container reports a matching imageID; else hinted by a matching <c>status.images</c> name; else
    /// <see cref="ImageEvidence.NotListed"/> when the node lists fewer than 50 images, <see cref="ImageEvidence.Unknown"/> when 50
    /// or more. Pods in <paramref name="seedPodsOnNode"/> pinned to another node are ignored.
    /// </summary>
    public static NodeImageFact Inspect(V1Node node, IReadOnlyCollection<string> digests, IEnumerable<V1Pod> seedPodsOnNode)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(digests);
        var name = node.Metadata?.Name ?? "";
        var images = node.Status?.Images ?? [];
        var listed = images.FirstOrDefault(i => i.Names?.Any(n => Matches(n, digests)) == true);
        var size = listed?.SizeBytes;

        var proof = (seedPodsOnNode ?? [])
            .Where(p => p is not null && PodNode(p) == name && ProvesPull(p, digests))
            .OrderBy(p => p.Metadata?.NamespaceProperty, StringComparer.Ordinal)
            .ThenBy(p => p.Metadata?.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        if (proof is not null)
        {
            return new NodeImageFact(name, true, ImageEvidence.SeedPod, size, $"{proof.Metadata.NamespaceProperty}/{proof.Metadata.Name}");
        }
        if (listed is not null)
        {
            return new NodeImageFact(name, true, ImageEvidence.NodeImageList, size, null);
        }
        return new NodeImageFact(name, false, images.Count >= NodeImageListCap ? ImageEvidence.Unknown : ImageEvidence.NotListed, null, null);
    }

    /// <summary>
    /// <see cref="Inspect"/> for many nodes at once, the seed pods grouped by their node (<c>spec.nodeName</c>); one fact per
    /// node, in the order given.
    /// </summary>
    public static IReadOnlyList<NodeImageFact> InspectAll(IEnumerable<V1Node> nodes, IReadOnlyCollection<string> digests, IEnumerable<V1Pod> seedPods)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var byNode = (seedPods ?? []).Where(p => p is not null).ToLookup(PodNode, StringComparer.Ordinal);
        return nodes.Select(n => Inspect(n, digests, byNode[n.Metadata?.Name ?? ""])).ToArray();
    }

    /// <summary>True when the pod's <c>seed</c> container reports an imageID carrying one of the digests.</summary>
    public static bool ProvesPull(V1Pod pod, IReadOnlyCollection<string> digests)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return pod.Status?.ContainerStatuses?.Any(c => c.Name == SeedContainer && Matches(c.ImageID, digests)) == true;
    }

    /// <summary>The node a pod runs on: <c>spec.nodeName</c>, else its <c>clydeps.io/node</c> annotation.</summary>
    public static string PodNode(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        if (!string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            return pod.Spec.NodeName;
        }
        return pod.Metadata?.Annotations is { } a && a.TryGetValue(NodeAnnotation, out var n) ? n : "";
    }
}
