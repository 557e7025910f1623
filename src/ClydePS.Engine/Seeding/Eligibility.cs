using System.Globalization;
using ClydePS.Engine.Network;
using ClydePS.Engine.Registry;

namespace ClydePS.Engine.Seeding;

/// <summary>A node taint: Effect is NoSchedule, PreferNoSchedule or NoExecute.</summary>
public sealed record TaintFact(string Key, string? Value, string Effect);

/// <summary>A pod toleration: Operator is Equal (or empty, meaning Equal) or Exists; an empty Effect matches every effect.</summary>
public sealed record TolerationFact(string? Key, string Operator, string? Value, string? Effect);

/// <summary>One requirement of a node selector term: Operator In, NotIn, Exists, DoesNotExist, Gt or Lt. Key <c>metadata.name</c> matches the node's name (matchFields).</summary>
public sealed record NodeSelectorRequirementFact(string Key, string Operator, IReadOnlyList<string> Values);

/// <summary>Where the workload may run: node selector, tolerations and the required node affinity terms (OR of ANDs).</summary>
public sealed record WorkloadPlacement(
    IReadOnlyDictionary<string, string> NodeSelector,
    IReadOnlyList<TolerationFact> Tolerations,
    IReadOnlyList<IReadOnlyList<NodeSelectorRequirementFact>> RequiredAffinityTerms)
{
    /// <summary>No constraint: runs on every node without a NoSchedule/NoExecute taint.</summary>
    public static WorkloadPlacement Anywhere { get; } = new(new Dictionary<string, string>(), [], []);
}

/// <summary>What eligibility needs to know about one node. HoldsImage: the node already holds the digest (evidence decided by the caller).</summary>
public sealed record NodeFacts(
    string Name,
    bool Ready,
    bool Unschedulable,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<TaintFact> Taints,
    string? Architecture,
    string? OperatingSystem,
    NetworkClass NetworkClass,
    string? Zone,
    bool HoldsImage);

/// <summary>A node no seed pull will start on, and why, in words.</summary>
public sealed record SkippedNode(string Name, string Reason);

/// <summary>
/// Eligible: the nodes that may run the workload, in pick order (spread across zones and network classes), including
/// those that already hold the image. Skipped: every node no pull will start on (ineligible nodes, and eligible nodes
/// that already hold the image, which are therefore in both lists). ClusterClass: the class of the eligible nodes.
/// </summary>
public sealed record EligibilityResult(IReadOnlyList<NodeFacts> Eligible, IReadOnlyList<SkippedNode> Skipped, ClusterNetworkClass ClusterClass);

/// <summary>Which nodes may be seeded, and why the others are skipped. Pure: no I/O.</summary>
public static class Eligibility
{
    /// <summary>
    /// Evaluates every node. <paramref name="imagePlatforms"/>: the <c>os/arch[/variant]</c> platforms the image provides
    /// (empty = any). <paramref name="nodeFilter"/>: the <c>-Node</c> names (null = every node; unknown names are the
    /// caller's to report). <paramref name="imageDigest"/>, when given, names the digest in the "already holds" reason.
    /// </summary>
    public static EligibilityResult Evaluate(
        IReadOnlyList<NodeFacts> nodes,
        WorkloadPlacement placement,
        IReadOnlyCollection<string> imagePlatforms,
        IReadOnlyCollection<string>? nodeFilter,
        string? imageDigest = null)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(placement);
        ArgumentNullException.ThrowIfNull(imagePlatforms);
        var platforms = imagePlatforms.Select(Platform.Parse).ToList();
        var filter = nodeFilter is null ? null : new HashSet<string>(nodeFilter, StringComparer.Ordinal);

        var eligible = new List<NodeFacts>();
        var skipped = new List<SkippedNode>();
        foreach (var node in nodes.OrderBy(n => n.Name, StringComparer.Ordinal))
        {
            var reason = IneligibleReason(node, placement, platforms, filter);
            if (reason is not null)
            {
                skipped.Add(new SkippedNode(node.Name, reason));
                continue;
            }
            eligible.Add(node);
            if (node.HoldsImage)
            {
                skipped.Add(new SkippedNode(node.Name, "already holds " + (string.IsNullOrEmpty(imageDigest) ? "the image" : ShortDigest(imageDigest))));
            }
        }
        var ordered = PickOrder(eligible);
        return new EligibilityResult(ordered, skipped, ClusterClassifier.ClassOf(ordered.Select(n => n.NetworkClass)));
    }

    /// <summary>Why the node cannot be seeded, or null when it can.</summary>
    public static string? IneligibleReason(NodeFacts node, WorkloadPlacement placement, IReadOnlyList<Platform> imagePlatforms, IReadOnlySet<string>? nodeFilter)
    {
        if (nodeFilter is not null && !nodeFilter.Contains(node.Name))
        {
            return "not selected by -Node";
        }
        if (!node.Ready)
        {
            return "NotReady";
        }
        if (node.Unschedulable)
        {
            return "cordoned (unschedulable)";
        }
        foreach (var (key, value) in placement.NodeSelector.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!node.Labels.TryGetValue(key, out var actual))
            {
                return $"node selector {key}={value} does not match (no label {key})";
            }
            if (actual != value)
            {
                return $"node selector {key}={value} does not match ({key}={actual})";
            }
        }
        if (!MatchesAffinity(node, placement.RequiredAffinityTerms))
        {
            return "does not match the workload's required node affinity";
        }
        foreach (var taint in node.Taints)
        {
            if (Blocks(taint.Effect) && !placement.Tolerations.Any(t => Tolerates(t, taint)))
            {
                return $"taint {FormatTaint(taint)} not tolerated";
            }
        }
        if (imagePlatforms.Count > 0 && !ProvidesPlatform(imagePlatforms, node))
        {
            var nodePlatform = $"{node.OperatingSystem ?? "?"}/{node.Architecture ?? "?"}";
            return $"platform {nodePlatform} not provided by the image ({string.Join(", ", imagePlatforms.Select(p => p.OperatingSystem + "/" + p.Architecture).Distinct())})";
        }
        return null;
    }

    /// <summary>Kubernetes' ToleratesTaint: effect (empty matches all), key (empty matches all), then Exists, or Equal on the value.</summary>
    public static bool Tolerates(TolerationFact toleration, TaintFact taint)
    {
        if (!string.IsNullOrEmpty(toleration.Effect) && toleration.Effect != taint.Effect)
        {
            return false;
        }
        if (!string.IsNullOrEmpty(toleration.Key) && toleration.Key != taint.Key)
        {
            return false;
        }
        var op = toleration.Operator ?? "";
        if (op.Length == 0 || op.Equals("Equal", StringComparison.OrdinalIgnoreCase))
        {
            return (toleration.Value ?? "") == (taint.Value ?? "");
        }
        return op.Equals("Exists", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Required node affinity: no terms = no constraint; otherwise any term whose requirements all hold (an empty term matches nothing).</summary>
    public static bool MatchesAffinity(NodeFacts node, IReadOnlyList<IReadOnlyList<NodeSelectorRequirementFact>> terms)
    {
        if (terms.Count == 0)
        {
            return true;
        }
        return terms.Any(term => term.Count > 0 && term.All(r => Matches(node, r)));
    }

    /// <summary>One node selector requirement, as the scheduler's NodeAffinity filter reads it.</summary>
    public static bool Matches(NodeFacts node, NodeSelectorRequirementFact requirement)
    {
        string? value = requirement.Key == "metadata.name"
            ? node.Name
            : node.Labels.TryGetValue(requirement.Key, out var v) ? v : null;
        var values = requirement.Values ?? [];
        switch (requirement.Operator)
        {
            case "In":
                return value is not null && values.Contains(value);
            case "NotIn":
                return value is null || !values.Contains(value);
            case "Exists":
                return value is not null;
            case "DoesNotExist":
                return value is null;
            case "Gt":
            case "Lt":
                if (value is null || values.Count != 1
                    || !long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var actual)
                    || !long.TryParse(values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var bound))
                {
                    return false;
                }
                return requirement.Operator == "Gt" ? actual > bound : actual < bound;
            default:
                return false;
        }
    }

    /// <summary>
    /// Pick order: zones sorted by name (nodes without a zone last), round-robin over zones; within a zone, private
    /// and public nodes alternate, names sorted within each class. Same inputs, same order.
    /// </summary>
    public static IReadOnlyList<NodeFacts> PickOrder(IEnumerable<NodeFacts> nodes)
    {
        var zones = nodes
            .GroupBy(n => n.Zone ?? "")
            .OrderBy(g => g.Key.Length == 0 ? 1 : 0)
            .ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Interleave(g
                .GroupBy(n => n.NetworkClass)
                .OrderBy(c => c.Key)
                .Select(c => c.OrderBy(n => n.Name, StringComparer.Ordinal).ToList())
                .ToList()))
            .ToList();
        return Interleave(zones);
    }

    static List<NodeFacts> Interleave(List<List<NodeFacts>> lists)
    {
        var total = lists.Sum(l => l.Count);
        var result = new List<NodeFacts>(total);
        for (var i = 0; result.Count < total; i++)
        {
            foreach (var list in lists)
            {
                if (i < list.Count)
                {
                    result.Add(list[i]);
                }
            }
        }
        return result;
    }

    static bool Blocks(string effect) => effect is "NoSchedule" or "NoExecute";

    static bool ProvidesPlatform(IReadOnlyList<Platform> platforms, NodeFacts node)
    {
        var os = string.IsNullOrEmpty(node.OperatingSystem) ? null : node.OperatingSystem.ToLowerInvariant();
        var arch = string.IsNullOrEmpty(node.Architecture) ? null : Platform.Normalize(os ?? "linux", node.Architecture, null).Architecture;
        return platforms.Any(p => (os is null || p.OperatingSystem == os) && (arch is null || p.Architecture == arch));
    }

    static string FormatTaint(TaintFact t) => string.IsNullOrEmpty(t.Value) ? $"{t.Key}:{t.Effect}" : $"{t.Key}={t.Value}:{t.Effect}";

    internal static string ShortDigest(string digest)
    {
        var colon = digest.IndexOf(':');
        return colon >= 0 && digest.Length > colon + 13 ? digest[..(colon + 13)] + "..." : digest;
    }
}
