using ClydePS.Engine.Seeding;

namespace ClydePS.Engine.Seeders;

/// <summary>What Set-ClydeSeeder asks for.</summary>
/// <param name="Percentage">Share of the eligible nodes that should be seeders, 0 &lt; pct &lt;= 100.</param>
/// <param name="Label">The seeder label.</param>
/// <param name="IncludeControlPlane">Control-plane nodes are eligible too.</param>
/// <param name="Prune">Unlabel valid seeders beyond the target (without it they are kept and reported).</param>
public sealed record SeederPoolRequest(double Percentage, SeederLabel Label, bool IncludeControlPlane, bool Prune)
{
    public const double DefaultPercentage = 40;

    /// <exception cref="ClydeException">InvalidArgument (ClydeInvalidSeederPercentage).</exception>
    public void Validate()
    {
        if (double.IsNaN(Percentage) || Percentage <= 0 || Percentage > 100)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, SeederErrorIds.InvalidPercentage,
                $"-Percentage {Percentage} is not valid: it must be greater than 0 and at most 100.", Percentage);
        }
    }
}

/// <summary>One node the plan keeps, adds, removes or reports. Node is null when the node no longer exists.</summary>
public sealed record SeederPlanEntry(string Name, ClydeNode? Node, bool Labelled, bool Tracked, SeederAction Action, string Reason)
{
    /// <summary>The change this entry needs on the cluster: true = add the label, false = remove it, null = none.</summary>
    public bool? LabelChange => Action switch
    {
        SeederAction.Labelled => true,
        SeederAction.Unlabelled => false,
        _ => null,
    };
}

/// <summary>
/// The pool Set-ClydeSeeder aims for. Entries: every node the plan touches or keeps, kept and surplus seeders first (pick
/// order), then new ones, then removals. <see cref="Pool"/>: the tracker's content once every change is made.
/// </summary>
public sealed record SeederPlan(int EligibleCount, int Target, IReadOnlyList<SeederPlanEntry> Entries)
{
    /// <summary>The seeders after the plan: kept, labelled and (without -Prune) surplus, in entry order.</summary>
    public IReadOnlyList<string> Pool => Entries
        .Where(e => e.Action is SeederAction.Kept or SeederAction.Labelled or SeederAction.Surplus)
        .Select(e => e.Name).ToArray();

    public IEnumerable<SeederPlanEntry> Changes => Entries.Where(e => e.LabelChange is not null);
}

/// <summary>What a Set-ClydeSeeder run ended with: one ClydeSeeder per planned node and the tracker's new content.</summary>
public sealed record SeederPoolResult(SeederPlan Plan, IReadOnlyList<string> Tracker, IReadOnlyList<ClydeSeeder> Seeders);

/// <summary>
/// The seeder pool's decisions. Pure: no I/O. Target = max(1, floor(eligible x pct / 100)) over the eligible nodes
/// (Ready, schedulable, not control plane unless asked). Tracked seeders that still exist, are eligible and carry the
/// label are kept, then labelled untracked ones are adopted; others are replaced. New seeders are chosen one at a time
/// to spread the pool across zones and network classes (fewest seeders in the node's zone, then in its zone and class,
/// then in its class), ties broken by <see cref="Eligibility.PickOrder"/>, so the same cluster gives the same pool.
/// </summary>
public static class SeederPool
{
    /// <summary>max(1, floor(eligible x pct / 100)); 0 when nothing is eligible. Computed in decimal, so 30 % of 10 is 3.</summary>
    public static int TargetOf(int eligible, double percentage)
    {
        if (eligible <= 0)
        {
            return 0;
        }

        decimal exact = eligible * (decimal)percentage / 100m;
        return Math.Min(eligible, Math.Max(1, (int)Math.Floor(exact)));
    }

    /// <summary>Why the node cannot be a seeder, or null when it can.</summary>
    public static string? IneligibleReason(ClydeNode node, bool includeControlPlane)
    {
        if (!node.Ready)
        {
            return "NotReady";
        }

        if (!node.Schedulable)
        {
            return "cordoned (unschedulable)";
        }

        return node.ControlPlane && !includeControlPlane ? "control-plane node (use -IncludeControlPlane)" : null;
    }

    /// <summary>Plans the pool for these nodes and the tracker's names.</summary>
    public static SeederPlan Plan(IReadOnlyList<ClydeNode> nodes, IReadOnlyList<string> tracked, SeederPoolRequest request)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(tracked);
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var label = request.Label;
        var byName = nodes.GroupBy(n => n.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var trackedSet = new HashSet<string>(tracked, StringComparer.Ordinal);

        var eligible = nodes.Where(n => IneligibleReason(n, request.IncludeControlPlane) is null).ToList();
        var order = Eligibility.PickOrder(eligible.Select(ToFacts)).Select((f, i) => (f.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        int target = TargetOf(eligible.Count, request.Percentage);

        var removals = new List<SeederPlanEntry>();
        var keepCandidates = new List<(ClydeNode Node, int Priority)>();
        var droppedLabel = new HashSet<string>(StringComparer.Ordinal);

        // Tracked nodes: keep the valid ones; replace the rest.
        foreach (string name in tracked)
        {
            if (!byName.TryGetValue(name, out ClydeNode? node))
            {
                removals.Add(new SeederPlanEntry(name, null, false, true, SeederAction.Dropped, "the node no longer exists"));
                continue;
            }

            bool on = label.IsOn(node.Labels);
            if (!on)
            {
                droppedLabel.Add(name);
                removals.Add(new SeederPlanEntry(name, node, false, true, SeederAction.Dropped, $"no longer labelled {label}"));
                continue;
            }

            string? why = IneligibleReason(node, request.IncludeControlPlane);
            if (why is not null)
            {
                removals.Add(new SeederPlanEntry(name, node, true, true, SeederAction.Unlabelled, $"replaced: {why}"));
                continue;
            }

            keepCandidates.Add((node, 0));
        }

        // Labelled nodes the tracker does not list: adopt the valid ones (so labels never exceed the target), unlabel the rest.
        foreach (ClydeNode node in nodes.Where(n => !trackedSet.Contains(n.Name) && label.IsOn(n.Labels)).OrderBy(n => n.Name, StringComparer.Ordinal))
        {
            string? why = IneligibleReason(node, request.IncludeControlPlane);
            if (why is not null)
            {
                removals.Add(new SeederPlanEntry(node.Name, node, true, false, SeederAction.Unlabelled, $"labelled but {why}"));
            }
            else
            {
                keepCandidates.Add((node, 1));
            }
        }

        var pool = new SpreadCounter();
        var entries = new List<SeederPlanEntry>();
        var kept = PickSpread(keepCandidates, Math.Min(target, keepCandidates.Count), pool, order);
        var keptNames = new HashSet<string>(kept.Select(n => n.Name), StringComparer.Ordinal);
        foreach (ClydeNode node in kept)
        {
            bool isTracked = trackedSet.Contains(node.Name);
            entries.Add(new SeederPlanEntry(node.Name, node, true, isTracked, SeederAction.Kept,
                isTracked ? "" : $"adopted: already labelled {label}"));
        }

        // Surplus: valid seeders beyond the target, in the order they would have been picked.
        var surplus = PickSpread(keepCandidates.Where(c => !keptNames.Contains(c.Node.Name)).ToList(), int.MaxValue, new SpreadCounter(pool), order);
        foreach (ClydeNode node in surplus)
        {
            bool isTracked = trackedSet.Contains(node.Name);
            entries.Add(request.Prune
                ? new SeederPlanEntry(node.Name, node, true, isTracked, SeederAction.Unlabelled, $"pruned: beyond the target of {target}")
                : new SeederPlanEntry(node.Name, node, true, isTracked, SeederAction.Surplus, $"beyond the target of {target} (use -Prune to unlabel)"));
        }

        // New seeders: eligible, not labelled; nodes whose label was just taken off by someone come last.
        int need = target - kept.Count;
        if (need > 0)
        {
            var fresh = eligible
                .Where(n => !label.IsOn(n.Labels))
                .Select(n => (Node: n, Priority: droppedLabel.Contains(n.Name) ? 1 : 0))
                .ToList();
            foreach (ClydeNode node in PickSpread(fresh, need, pool, order))
            {
                entries.Add(new SeederPlanEntry(node.Name, node, false, trackedSet.Contains(node.Name), SeederAction.Labelled,
                    $"new seeder ({node.Zone ?? "no zone"}, {node.NetworkClass})"));
            }
        }

        entries.AddRange(removals.Where(r => !entries.Any(e => e.Name == r.Name)));
        return new SeederPlan(eligible.Count, target, entries);
    }

    /// <summary>
    /// The pool after the plan ran: each entry's final state and action (WouldLabel/WouldUnlabel/WouldDrop under -WhatIf;
    /// Skipped when the change was declined or failed, with the reason), and the tracker's new content: every node that
    /// ends up tracked, in entry order. A node whose change did not happen keeps its old state.
    /// </summary>
    public static SeederPoolResult Complete(SeederPlan plan, IReadOnlyDictionary<string, LabelOutcome> outcomes, IReadOnlySet<string> declined,
        bool whatIf, SeederLabel label, string trackerPath)
    {
        var seeders = new List<ClydeSeeder>();
        var tracker = new List<string>();
        foreach (SeederPlanEntry e in plan.Entries)
        {
            bool labelled = e.Labelled;
            bool tracked = e.Tracked;
            SeederAction action = e.Action;
            string reason = e.Reason;
            if (whatIf)
            {
                action = e.Action switch
                {
                    SeederAction.Labelled => SeederAction.WouldLabel,
                    SeederAction.Unlabelled => SeederAction.WouldUnlabel,
                    SeederAction.Dropped => SeederAction.WouldDrop,
                    _ => e.Action,
                };
            }
            else if (e.LabelChange is not null && declined.Contains(e.Name))
            {
                action = SeederAction.Skipped;
                reason = "not confirmed; " + e.Reason;
            }
            else if (e.LabelChange is not null && outcomes.TryGetValue(e.Name, out LabelOutcome? outcome) && !outcome.Succeeded)
            {
                action = SeederAction.Skipped;
                reason = outcome.Error!.Message;
            }
            else
            {
                switch (e.Action)
                {
                    case SeederAction.Kept:
                    case SeederAction.Surplus:
                    case SeederAction.Labelled:
                        labelled = true;
                        tracked = true;
                        break;
                    case SeederAction.Unlabelled:
                        labelled = false;
                        tracked = false;
                        break;
                    case SeederAction.Dropped:
                        tracked = false;
                        break;
                }
            }

            if (tracked)
            {
                tracker.Add(e.Name);
            }

            seeders.Add(ToSeeder(e.Name, e.Node, labelled, tracked, action, reason, label, trackerPath));
        }

        return new SeederPoolResult(plan, tracker, seeders);
    }

    /// <summary>The Status of a node in the pool: see <see cref="SeederStatus"/>.</summary>
    public static SeederStatus StatusOf(ClydeNode? node, bool labelled, bool tracked)
    {
        if (node is null)
        {
            return tracked ? SeederStatus.Missing : SeederStatus.NotSeeder;
        }

        if (!labelled)
        {
            return tracked ? SeederStatus.Unlabelled : SeederStatus.NotSeeder;
        }

        if (!node.Ready)
        {
            return SeederStatus.NotReady;
        }

        if (!node.Schedulable)
        {
            return SeederStatus.Cordoned;
        }

        return tracked ? SeederStatus.Healthy : SeederStatus.Untracked;
    }

    /// <summary>Get-ClydeSeeder: every labelled or tracked node, labelled ones in name order, then tracked nodes that are not labelled.</summary>
    public static IReadOnlyList<ClydeSeeder> Describe(IReadOnlyList<ClydeNode> nodes, IReadOnlyList<string> tracked, SeederLabel label, string trackerPath)
    {
        var trackedSet = new HashSet<string>(tracked, StringComparer.Ordinal);
        var byName = nodes.GroupBy(n => n.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var result = new List<ClydeSeeder>();
        foreach (ClydeNode node in nodes.Where(n => label.IsOn(n.Labels)).OrderBy(n => n.Name, StringComparer.Ordinal))
        {
            result.Add(ToSeeder(node.Name, node, true, trackedSet.Contains(node.Name), SeederAction.None, "", label, trackerPath));
        }

        foreach (string name in tracked.Where(n => !byName.TryGetValue(n, out var node) || !label.IsOn(node.Labels)).OrderBy(n => n, StringComparer.Ordinal))
        {
            byName.TryGetValue(name, out ClydeNode? node);
            result.Add(ToSeeder(name, node, false, true, SeederAction.None, "", label, trackerPath));
        }

        return result;
    }

    /// <summary>A ClydeSeeder for a node in a given state.</summary>
    public static ClydeSeeder ToSeeder(string name, ClydeNode? node, bool labelled, bool tracked, SeederAction action, string reason, SeederLabel label, string trackerPath) => new()
    {
        Name = name,
        NetworkClass = node?.NetworkClass,
        Zone = node?.Zone,
        Ready = node?.Ready ?? false,
        Labelled = labelled,
        Tracked = tracked,
        Status = StatusOf(node, labelled, tracked),
        Action = action,
        Reason = reason,
        Exists = node is not null,
        Schedulable = node?.Schedulable ?? false,
        ControlPlane = node?.ControlPlane ?? false,
        Label = label.ToString(),
        TrackerPath = trackerPath,
    };

    /// <summary>
    /// The node that replaces a failed seeder (Watch-ClydeSeeder): an eligible node (Ready, schedulable, not control plane
    /// unless asked) that is neither labelled nor in <paramref name="pool"/>, preferring the failed seeder's zone and network
    /// class, then its zone, then its class, then a zone with the fewest seeders; ties broken by pick order. Null when none is left.
    /// </summary>
    public static ClydeNode? PickReplacement(IReadOnlyList<ClydeNode> nodes, IReadOnlyCollection<string> pool, SeederLabel label,
        string? zone, NetworkClass? networkClass, bool includeControlPlane)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(label);
        var inPool = new HashSet<string>(pool, StringComparer.Ordinal);
        var candidates = nodes.Where(n => IneligibleReason(n, includeControlPlane) is null && !label.IsOn(n.Labels) && !inPool.Contains(n.Name)).ToList();
        if (candidates.Count == 0)
        {
            return null;
        }
        var order = Eligibility.PickOrder(candidates.Select(ToFacts)).Select((f, i) => (f.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        var seedersPerZone = nodes.Where(n => inPool.Contains(n.Name) || label.IsOn(n.Labels))
            .GroupBy(n => n.Zone ?? "", StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        int Affinity(ClydeNode n)
        {
            bool sameZone = zone is not null && n.Zone == zone;
            bool sameClass = networkClass is not null && n.NetworkClass == networkClass;
            return sameZone && sameClass ? 0 : sameZone ? 1 : sameClass ? 2 : 3;
        }
        return candidates
            .OrderBy(Affinity)
            .ThenBy(n => seedersPerZone.GetValueOrDefault(n.Zone ?? ""))
            .ThenBy(n => order.TryGetValue(n.Name, out int i) ? i : int.MaxValue)
            .ThenBy(n => n.Name, StringComparer.Ordinal)
            .First();
    }

    /// <summary>The eligibility engine's view of a node (only what the pick order reads matters here).</summary>
    public static NodeFacts ToFacts(ClydeNode node) =>
        new(node.Name, node.Ready, !node.Schedulable, node.Labels, [], node.Architecture, node.OperatingSystem, node.NetworkClass, node.Zone, false);

    /// <summary>Greedy spread: repeatedly the candidate with the lowest (priority, seeders in its zone, in its zone and class, in its class, pick order).</summary>
    private static List<ClydeNode> PickSpread(List<(ClydeNode Node, int Priority)> candidates, int count, SpreadCounter pool, IReadOnlyDictionary<string, int> order)
    {
        var left = candidates.ToList();
        var picked = new List<ClydeNode>();
        while (picked.Count < count && left.Count > 0)
        {
            int best = 0;
            for (int i = 1; i < left.Count; i++)
            {
                if (Compare(left[i], left[best], pool, order) < 0)
                {
                    best = i;
                }
            }

            ClydeNode node = left[best].Node;
            left.RemoveAt(best);
            picked.Add(node);
            pool.Add(node);
        }

        return picked;
    }

    private static int Compare((ClydeNode Node, int Priority) a, (ClydeNode Node, int Priority) b, SpreadCounter pool, IReadOnlyDictionary<string, int> order)
    {
        int c = a.Priority.CompareTo(b.Priority);
        if (c == 0) c = pool.InZone(a.Node).CompareTo(pool.InZone(b.Node));
        if (c == 0) c = pool.InZoneClass(a.Node).CompareTo(pool.InZoneClass(b.Node));
        if (c == 0) c = pool.InClass(a.Node).CompareTo(pool.InClass(b.Node));
        if (c == 0) c = Index(a.Node, order).CompareTo(Index(b.Node, order));
        return c != 0 ? c : string.CompareOrdinal(a.Node.Name, b.Node.Name);
    }

    private static int Index(ClydeNode node, IReadOnlyDictionary<string, int> order) =>
        order.TryGetValue(node.Name, out int i) ? i : int.MaxValue;

    /// <summary>How many seeders the pool holds per zone, zone and class, and class.</summary>
    private sealed class SpreadCounter
    {
        private readonly Dictionary<string, int> zones;
        private readonly Dictionary<string, int> zoneClasses;
        private readonly Dictionary<NetworkClass, int> classes;

        public SpreadCounter()
        {
            zones = new Dictionary<string, int>(StringComparer.Ordinal);
            zoneClasses = new Dictionary<string, int>(StringComparer.Ordinal);
            classes = [];
        }

        public SpreadCounter(SpreadCounter other)
        {
            zones = new Dictionary<string, int>(other.zones, StringComparer.Ordinal);
            zoneClasses = new Dictionary<string, int>(other.zoneClasses, StringComparer.Ordinal);
            classes = new Dictionary<NetworkClass, int>(other.classes);
        }

        public int InZone(ClydeNode n) => zones.GetValueOrDefault(n.Zone ?? "");

        public int InZoneClass(ClydeNode n) => zoneClasses.GetValueOrDefault(ZoneClass(n));

        public int InClass(ClydeNode n) => classes.GetValueOrDefault(n.NetworkClass);

        public void Add(ClydeNode n)
        {
            zones[n.Zone ?? ""] = InZone(n) + 1;
            zoneClasses[ZoneClass(n)] = InZoneClass(n) + 1;
            classes[n.NetworkClass] = InClass(n) + 1;
        }

        private static string ZoneClass(ClydeNode n) => (n.Zone ?? "") + "\u0001" + n.NetworkClass;
    }
}
