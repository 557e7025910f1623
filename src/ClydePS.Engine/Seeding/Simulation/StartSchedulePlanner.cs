using ClydePS.Engine.Transfer;

namespace ClydePS.Engine.Seeding.Simulation;

/// <summary>
/// When the Pipelined policy's followers start while the registry's first copy is under way: offsets in seconds after
/// the first registry-lane start, sorted, one per follower; the model's predicted completion of the planned nodes
/// (without the executor's overheads) and how many schedules the planner tried.
/// </summary>
public sealed record StartSchedule(IReadOnlyList<double> OffsetsSeconds, double PredictedSeconds, int Evaluations)
{
    /// <summary>When the registry lane's copy completes in the model, in seconds after it starts, at the registry rate given (not the planner's slower one).</summary>
    public double? FirstCopySeconds { get; init; }
}

/// <summary>
/// Plans the followers' start times in the transfer model (see README.md in this folder). A layer-level mirror shares
/// complete layers only, containerd asks for them in order and falls back to the registry when no peer holds one, and
/// each download keeps the source it started with: followers that start together move in lockstep and cannot feed
/// each other, and a follower that catches up with the registry's first copy fetches the same layers from the registry
/// again. The planner searches start schedules in the same model the simulator and the Lab use: groups doubling in
/// size (1 to 3 nodes first) at a first offset and a gap, spread or together, then random moves of single starts
/// (a seeded generator: the same input gives the same plan). A schedule is feasible only when no follower fetches
/// anything from the registry; the fastest feasible one wins. The search is bounded by <paramref name="budget"/> units
/// of work (one unit = one node x one layer simulated), so its cost does not grow with the cluster.
/// </summary>
public static class StartSchedulePlanner
{
    /// <summary>At most this many followers are planned; on a larger cluster the policy's rules start the rest once the plan is used up.</summary>
    public const int MaxFollowers = 64;

    /// <summary>Schedules are planned against a registry this much slower than given: a margin for what the model cannot foresee exactly (which holder a download picks among equals, the executor's latencies).</summary>
    public const double Margin = 0.05;

    /// <summary>The default search budget in node-layer units (each schedule is run twice; 32 nodes x 40 layers get about 780 schedules, 2-3 s).</summary>
    public const long DefaultBudget = 2_000_000;

    /// <summary>Starts in one group are at least this many seconds apart (per member).</summary>
    const double MinSpread = 0.5;

    /// <summary>
    /// Plans the followers of a Pipelined run over <paramref name="eligible"/> nodes: its registry lane
    /// (<c>ceil(R/B)</c> nodes) and its stop target, as the policy computes them. Null when some node already holds the
    /// image (every layer is in the cluster from the start, so the policy's rules decide) or <see cref="Plan"/> says so.
    /// </summary>
    public static StartSchedule? ForRun(IEnumerable<TransferLayer> layers, double registryMBps, double nodeMBps, int eligible, int alreadySeeded, double pipelinedStopRatio, long budget = DefaultBudget, double margin = Margin,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (alreadySeeded > 0 || !(registryMBps > 0) || !(nodeMBps > 0))
        {
            return null;
        }
        var lane = PipelinedSeedPolicy.RegistryLaneSize(registryMBps, nodeMBps);
        // On a larger cluster the first MaxFollowers followers are planned (the pipeline behind the first copy), and the
        // rules start the rest once the plan is used up.
        var followers = Math.Min(SeedTargets.StopTarget(eligible, pipelinedStopRatio) - lane, MaxFollowers);
        return Plan(layers.ToList(), registryMBps, nodeMBps, lane, followers, budget, margin, cancellationToken);
    }

    /// <summary>
    /// Plans <paramref name="followers"/> start offsets, or null when there is nothing to plan (no follower, more than
    /// <see cref="MaxFollowers"/>, a single layer, one layer of half the image or more) or no schedule without a second registry fetch was found.
    /// </summary>
    /// <param name="registryMBps">The registry rate the first copy gets (the effective rate: the NAT gateway's when lower).</param>
    /// <param name="laneNodes">Nodes pulling the first copy from the registry from offset 0.</param>
    /// <param name="margin">Plans against a registry this share slower than <paramref name="registryMBps"/> (see <see cref="Margin"/>).</param>
    public static StartSchedule? Plan(IReadOnlyList<TransferLayer> layers, double registryMBps, double nodeMBps, int laneNodes, int followers, long budget = DefaultBudget, double margin = Margin,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (followers < 1 || followers > MaxFollowers || layers.Count < 2 || laneNodes < 1 || !(registryMBps > 0) || !(nodeMBps > 0))
        {
            return null;
        }
        if (layers.Max(l => l.SizeBytes) * 2 >= layers.Sum(l => l.SizeBytes))
        {
            return null; // one layer is half the image: nothing worth sharing exists before it completes, and the rules handle that
        }
        var search = new Search(layers, registryMBps * (1 - margin), nodeMBps, laneNodes, followers, budget, cancellationToken);
        return search.Run() is { } schedule ? schedule with { FirstCopySeconds = search.LaneTimes(registryMBps).Copy } : null;
    }

    sealed class Search(IReadOnlyList<TransferLayer> layers, double registryMBps, double nodeMBps, int lane, int followers, long budget, CancellationToken cancellationToken)
    {
        long _spent;
        int _evaluations;
        double[]? _best;
        double _bestEnd = double.PositiveInfinity;

        long Cost => 2L * (lane + followers) * layers.Count;

        /// <summary>The grid's gaps between groups, in 48ths of the first copy's time.</summary>
        static readonly int[] FullGaps = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32];
        static readonly int[] CoarseGaps = [1, 2, 4, 8, 16, 32];

        public StartSchedule? Run()
        {
            // A follower asks for the first layer at once, so none starts before the registry lane holds it; the first
            // group's offset is searched between then and the first copy's end.
            var (first, end) = LaneTimes();
            (int Size, double Start, double Gap, double Spread) group = default;
            bool TryGroup((int Size, double Start, double Gap, double Spread) g)
            {
                var before = _bestEnd;
                var ok = Try(Groups(g.Size, Math.Max(first, g.Start), Math.Max(0, g.Gap), Math.Clamp(g.Spread, 0, 1) * Math.Max(0, g.Gap)));
                if (_bestEnd < before)
                {
                    group = g;
                }
                return ok;
            }
            // 1. a coarse grid over the group schedules (coarser when the budget cannot pay for the whole grid, as with many
            // followers: a grid cut short leaves part of it untried and nothing for the finer searches below)
            var full = 2L * 12 * FullGaps.Length * 2 * Cost <= budget;
            var steps = full ? 12 : 6;
            var gaps = full ? FullGaps : CoarseGaps;
            foreach (var size in new[] { 1, 2 })
            {
                for (var x = 0; x < steps; x++)
                {
                    foreach (var y in gaps)
                    {
                        foreach (var spread in new[] { 0.0, 1.0 })
                        {
                            if (!TryGroup((size, first + (end - first) * x / steps, end * y / 48, spread)))
                            {
                                return Result();
                            }
                        }
                    }
                }
            }
            if (_best is null)
            {
                return null;
            }
            // 2. a pattern search around the best group schedule: first offset, gap and spread, halving the steps
            var (dStart, dGap, dSpread) = ((end - first) / 24, end / 96, 0.25);
            while (dStart > end / 2000)
            {
                var g = group;
                var improved = false;
                foreach (var next in new[]
                {
                    g with { Start = g.Start + dStart }, g with { Start = g.Start - dStart },
                    g with { Gap = g.Gap + dGap }, g with { Gap = g.Gap - dGap },
                    g with { Spread = g.Spread + dSpread }, g with { Spread = g.Spread - dSpread },
                })
                {
                    var before = _bestEnd;
                    if (!TryGroup(next))
                    {
                        return Result();
                    }
                    improved |= _bestEnd < before;
                }
                if (!improved)
                {
                    (dStart, dGap, dSpread) = (dStart / 2, dGap / 2, dSpread / 2);
                }
            }
            // 3. random moves of single starts
            var random = new Random(1);
            for (var i = 0; ; i++)
            {
                var step = end * (i % 2 == 0 ? 0.04 : 0.015);
                var candidate = (double[])_best.Clone();
                var moves = random.Next(1, 4);
                for (var m = 0; m < moves; m++)
                {
                    var k = random.Next(followers);
                    candidate[k] = Math.Max(first, candidate[k] + (random.NextDouble() * 2 - 1) * step);
                }
                if (!Try(candidate))
                {
                    return Result();
                }
            }
        }

        StartSchedule? Result()
        {
            if (_best is null)
            {
                return null;
            }
            var offsets = _best.OrderBy(x => x).ToArray();
            return new StartSchedule(offsets, _bestEnd, _evaluations);
        }

        double[] Groups(int first, double start, double gap, double spread)
        {
            var offsets = new double[followers];
            var size = first;
            var at = start;
            for (var i = 0; i < followers;)
            {
                var n = Math.Min(size, followers - i);
                for (var m = 0; m < n; m++)
                {
                    // never two starts at once: equal starts make equal holders, and which one a download picks would decide the outcome
                    offsets[i++] = at + Math.Max(spread, MinSpread * n) * m / n;
                }
                at += gap;
                size *= 2;
            }
            return offsets;
        }

        /// <summary>When the registry lane alone holds the first layer, and its whole copy (in the planner's model, or at <paramref name="atRegistryMBps"/>).</summary>
        internal (double FirstLayer, double Copy) LaneTimes(double? atRegistryMBps = null)
        {
            var net = LaneNetwork(atRegistryMBps);
            double first = double.PositiveInfinity;
            net.LayerCompleted += e => { if (e.Digest == layers[0].Digest) first = Math.Min(first, e.Time); };
            StartLane(net);
            var copy = net.RunUntilIdle();
            return (first, copy);
        }

        TransferNetwork LaneNetwork(double? atRegistryMBps = null)
        {
            var net = new TransferNetwork(new TransferNetworkOptions { RegistryBandwidthMBps = atRegistryMBps ?? registryMBps, PeerToPeer = true });
            for (var i = 0; i < lane; i++)
            {
                net.AddNode("lane-" + i, nodeMBps);
            }
            return net;
        }

        void StartLane(TransferNetwork net)
        {
            for (var i = 0; i < lane; i++)
            {
                net.StartPull("lane-" + i, layers);
            }
        }

        /// <summary>Evaluates a schedule; false when the budget is spent (the schedule is not evaluated).</summary>
        bool Try(double[] offsets)
        {
            // a search of many followers takes seconds: Ctrl+C must not wait for it
            cancellationToken.ThrowIfCancellationRequested();
            if (_spent + Cost > budget)
            {
                return false;
            }
            _spent += Cost;
            _evaluations++;
            // Run twice, the nodes joining the network in start order and in reverse: which of two equal holders a download
            // picks follows that order, so the later of both runs is a cost that does not hang on a tie.
            var end = Evaluate(offsets, _bestEnd, reverse: false);
            if (end < _bestEnd)
            {
                end = Math.Max(end, Evaluate(offsets, _bestEnd, reverse: true));
            }
            if (end < _bestEnd)
            {
                _bestEnd = end;
                _best = offsets;
            }
            return true;
        }

        /// <summary>The planned nodes' last completion, or +infinity when a follower fetched from the registry or the run passed <paramref name="cutoff"/>.</summary>
        double Evaluate(double[] offsets, double cutoff, bool reverse)
        {
            // follower k starts k-th; the nodes join the network in that order or its reverse
            var starts = offsets.Order().ToArray();
            var net = LaneNetwork();
            for (var k = 0; k < followers; k++)
            {
                net.AddNode("follower-" + (reverse ? followers - 1 - k : k), nodeMBps);
            }
            var outrun = false;
            net.LayerCompleted += e =>
            {
                if (e.Peer is null && e.Node.StartsWith("follower-", StringComparison.Ordinal))
                {
                    outrun = true;
                }
            };
            double end = 0;
            net.PullEnded += p => end = Math.Max(end, p.Completion.Result.EndTime);
            StartLane(net);
            var next = 0;
            while (true)
            {
                var start = next < starts.Length ? starts[next] : double.PositiveInfinity;
                var due = net.NextEventTime ?? double.PositiveInfinity;
                if (double.IsPositiveInfinity(start) && double.IsPositiveInfinity(due))
                {
                    break;
                }
                if (start <= due)
                {
                    net.AdvanceTo(start);
                    net.StartPull("follower-" + next, layers);
                    next++;
                }
                else
                {
                    net.Step();
                }
                if (outrun || net.Now > cutoff)
                {
                    return double.PositiveInfinity;
                }
            }
            return end;
        }
    }
}
