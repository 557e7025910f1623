using ClydePS.Engine.Transfer;

namespace ClydePS.Engine.Seeding.Simulation;

/// <summary>
/// When the Pipelined policy's followers start while the registry's first copy is under way: offsets in seconds after
/// the first registry-lane start, sorted, one per follower; the model's predicted completion of the planned nodes
/// (without the executor's overheads) and how many schedules the planner tried.
/// </summary>
public sealed record StartSchedule(IReadOnlyList<double> OffsetsSeconds, double PredictedSeconds, int Evaluations);

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
    /// <summary>At most this many followers are planned; larger clusters start by the policy's rules alone.</summary>
    public const int MaxFollowers = 64;

    /// <summary>Schedules are planned against a registry this much slower than given: a margin for what the model cannot foresee exactly (which holder a download picks among equals, the executor's latencies).</summary>
    public const double Margin = 0.05;

    /// <summary>The default search budget in node-layer units (32 nodes x 40 layers get about 780 schedules, in a second or two).</summary>
    public const long DefaultBudget = 1_000_000;

    /// <summary>
    /// Plans <paramref name="followers"/> start offsets, or null when there is nothing to plan (no follower, more than
    /// <see cref="MaxFollowers"/>, a single layer, one layer of half the image or more) or no schedule without a second registry fetch was found.
    /// </summary>
    /// <param name="registryMBps">The registry rate the first copy gets (the effective rate: the NAT gateway's when lower).</param>
    /// <param name="laneNodes">Nodes pulling the first copy from the registry from offset 0.</param>
    public static StartSchedule? Plan(IReadOnlyList<TransferLayer> layers, double registryMBps, double nodeMBps, int laneNodes, int followers, long budget = DefaultBudget)
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
        var search = new Search(layers, registryMBps, nodeMBps, laneNodes, followers, budget);
        return search.Run();
    }

    sealed class Search(IReadOnlyList<TransferLayer> layers, double registryMBps, double nodeMBps, int lane, int followers, long budget)
    {
        long _spent;
        int _evaluations;
        double[]? _best;
        double _bestEnd = double.PositiveInfinity;

        long Cost => (long)(lane + followers) * layers.Count;

        public StartSchedule? Run()
        {
            var bytes = layers.Sum(l => l.SizeBytes);
            // the first copy's duration: the scale of every offset
            var t = bytes / (Math.Min(registryMBps / lane, nodeMBps) * Bandwidth.BytesPerMB);
            foreach (var first in new[] { 1, 2, 3 })
            {
                for (var x = 1; x <= 16; x++)
                {
                    for (var y = 1; y <= 6; y++)
                    {
                        foreach (var spread in new[] { false, true })
                        {
                            var gap = t * y / 48;
                            if (!Try(Groups(first, t * x / 20, gap, spread ? gap : 0)))
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
            var random = new Random(1);
            for (var i = 0; ; i++)
            {
                var step = t * (i % 2 == 0 ? 0.08 : 0.03);
                var candidate = (double[])_best.Clone();
                var moves = random.Next(1, 4);
                for (var m = 0; m < moves; m++)
                {
                    var k = random.Next(followers);
                    candidate[k] = Math.Max(0, candidate[k] + (random.NextDouble() * 2 - 1) * step);
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
                    offsets[i++] = at + spread * m / n;
                }
                at += gap;
                size *= 2;
            }
            return offsets;
        }

        /// <summary>Evaluates a schedule; false when the budget is spent (the schedule is not evaluated).</summary>
        bool Try(double[] offsets)
        {
            if (_spent + Cost > budget)
            {
                return false;
            }
            _spent += Cost;
            _evaluations++;
            var end = Evaluate(offsets, _bestEnd);
            if (end < _bestEnd)
            {
                _bestEnd = end;
                _best = offsets;
            }
            return true;
        }

        /// <summary>The planned nodes' last completion, or +infinity when a follower fetched from the registry or the run passed <paramref name="cutoff"/>.</summary>
        double Evaluate(double[] offsets, double cutoff)
        {
            // planned against a slower registry, so the first copy has a margin over followers the plan did not foresee exactly
            var net = new TransferNetwork(new TransferNetworkOptions { RegistryBandwidthMBps = registryMBps * (1 - Margin), PeerToPeer = true });
            var names = new string[lane + followers];
            for (var i = 0; i < names.Length; i++)
            {
                names[i] = (i < lane ? "lane-" : "follower-") + i;
                net.AddNode(names[i], nodeMBps);
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
            for (var i = 0; i < lane; i++)
            {
                net.StartPull(names[i], layers);
            }
            var order = Enumerable.Range(0, followers).OrderBy(i => offsets[i]).ToArray();
            var next = 0;
            while (true)
            {
                var start = next < order.Length ? offsets[order[next]] : double.PositiveInfinity;
                var due = net.NextEventTime ?? double.PositiveInfinity;
                if (double.IsPositiveInfinity(start) && double.IsPositiveInfinity(due))
                {
                    break;
                }
                if (start <= due)
                {
                    net.AdvanceTo(start);
                    net.StartPull(names[lane + order[next]], layers);
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
