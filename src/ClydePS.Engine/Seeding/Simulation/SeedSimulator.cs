using System.Globalization;
using ClydePS.Engine.Probe;
using ClydePS.Engine.Transfer;

namespace ClydePS.Engine.Seeding.Simulation;

/// <summary>
/// Runs a seeding policy (or Direct) in virtual time over the <see cref="TransferNetwork"/> model and forecasts the
/// seeded rollout (see README.md in this folder). No wall clock, no delays: the run jumps from event to event, and
/// the same input and seed give the same forecast. It plays the executor's part: it carries out the policy's
/// actions (seed pods, probe pods, deploy), charges the executor's and Kubernetes' overheads
/// (<see cref="SeedOverheads"/>) and feeds the policy the events the executor would (SeedCompletedEvent when a node's
/// whole image is there, SeedFailedEvent, ProbeSampleEvent, ProbesEndedEvent, TickEvent at WakeUpAt). After the
/// deploy (at once for Direct) every node without the image pulls it for its DaemonSet pod, from peers when P2P is on.
/// </summary>
public static class SeedSimulator
{
    /// <summary>The virtual time origin of every simulation.</summary>
    public static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Simulates one strategy. Throws <see cref="ArgumentException"/> for invalid input.</summary>
    public static ClydeSeedForecast Run(SeedSimulationInput input, SimulatedStrategy strategy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        input.Validate();
        if (!Enum.IsDefined(strategy)) throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "Unknown strategy.");
        var policy = strategy switch
        {
            SimulatedStrategy.Doubling => SeedPolicies.For(SeedStrategy.Doubling),
            SimulatedStrategy.Adaptive => SeedPolicies.For(SeedStrategy.Adaptive),
            SimulatedStrategy.Pipelined => SeedPolicies.For(SeedStrategy.Pipelined),
            _ => null,
        };
        var options = input.Policy with
        {
            Strategy = strategy switch
            {
                SimulatedStrategy.Adaptive => SeedStrategy.Adaptive,
                SimulatedStrategy.Pipelined => SeedStrategy.Pipelined,
                _ => SeedStrategy.Doubling,
            },
        };
        return strategy == SimulatedStrategy.Pipelined
            ? ChooseStarts(input, options, cancellationToken: cancellationToken).Forecast
            : new Simulation(input, policy, options, strategy.ToString()).Execute();
    }

    /// <summary>
    /// Pipelined with and without planned follower starts (<see cref="PlanStarts"/>), both simulated in full: the
    /// schedule when it makes the rollout faster (else null), and the forecast of the faster run. Start-ClydeSeed makes
    /// the same choice when it is given the bandwidths, so a plan never makes a run slower than the rules in the model.
    /// <paramref name="budget"/> and <paramref name="margin"/> are the planner's (the defaults are what the cmdlets use;
    /// the benchmark varies them to show what a longer search or no margin would buy).
    /// </summary>
    public static (StartSchedule? Schedule, ClydeSeedForecast Forecast) ChooseStarts(SeedSimulationInput input, SeedPolicyOptions options,
        long budget = StartSchedulePlanner.DefaultBudget, double margin = StartSchedulePlanner.Margin,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        input.Validate();
        var rules = RunPipelined(input, options, null);
        if (PlanStarts(input, options, budget, margin, cancellationToken) is { } schedule)
        {
            var planned = RunPipelined(input, options, schedule);
            if (planned.RolloutTime < rules.RolloutTime)
            {
                return (schedule, planned);
            }
        }
        return (null, rules);
    }

    /// <summary>
    /// The Pipelined followers' planned starts for an input (<see cref="StartSchedulePlanner"/>), or null: only when the
    /// policy knows the bandwidths, with P2P and nodes that are all private or all public (the first
    /// <see cref="StartSchedulePlanner.MaxFollowers"/> followers are planned).
    /// </summary>
    public static StartSchedule? PlanStarts(SeedSimulationInput input, SeedPolicyOptions options,
        long budget = StartSchedulePlanner.DefaultBudget, double margin = StartSchedulePlanner.Margin,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        var allPrivate = input.Nodes.All(n => !n.Public);
        if (!input.KnowsBandwidths || !input.PeerToPeer || !(allPrivate || input.Nodes.All(n => n.Public)))
        {
            return null;
        }
        var registry = SeedBounds.EffectiveRegistryMBps(input.RegistryBandwidthMBps, input.NatBandwidthMBps, allPrivate);
        return StartSchedulePlanner.ForRun(input.Layers, registry, input.NodeBandwidthMBps, input.Nodes.Count, 0, options.PipelinedStopRatio, budget, margin, cancellationToken);
    }

    /// <summary>
    /// Pipelined following a given schedule (null: the rules alone), on this input's network: what a plan made for one
    /// registry rate does when the registry runs at another (the benchmark's robustness table).
    /// </summary>
    public static ClydeSeedForecast RunPipelined(SeedSimulationInput input, SeedPolicyOptions options, StartSchedule? schedule)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        input.Validate();
        return new Simulation(input, SeedPolicies.For(SeedStrategy.Pipelined), options with { Strategy = SeedStrategy.Pipelined }, nameof(SimulatedStrategy.Pipelined), schedule).Execute();
    }

    /// <summary>
    /// Simulates any policy: the plan is made from the input's nodes and <see cref="SeedSimulationInput.Policy"/> options
    /// (the policy follows its own rules, whatever <see cref="SeedPolicyOptions.Strategy"/> says); the forecast's Strategy
    /// is <see cref="ISeedPolicy.Name"/>.
    /// </summary>
    public static ClydeSeedForecast Run(SeedSimulationInput input, ISeedPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(policy);
        input.Validate();
        return new Simulation(input, policy, input.Policy, policy.Name).Execute();
    }

    /// <summary>Simulates each strategy on the same input.</summary>
    public static IReadOnlyList<ClydeSeedForecast> Run(SeedSimulationInput input, IEnumerable<SimulatedStrategy> strategies) =>
        strategies.Select(s => Run(input, s)).ToList();

    /// <summary>The piece-level and layer-level lower bounds for an input, in seconds.</summary>
    public static (double Piece, double Layer) Bounds(SeedSimulationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var allPrivate = input.Nodes.All(n => !n.Public);
        var sizes = input.Layers.Select(l => l.SizeBytes).ToList();
        var piece = SeedBounds.PieceLowerBoundSeconds(sizes.Sum(), input.Nodes.Count, input.RegistryBandwidthMBps, input.NodeBandwidthMBps, input.NatBandwidthMBps, allPrivate, input.PeerToPeer);
        var layer = SeedBounds.LayerLowerBoundSeconds(sizes, input.Nodes.Count, input.RegistryBandwidthMBps, input.NodeBandwidthMBps, input.NatBandwidthMBps, allPrivate, input.PeerToPeer);
        return (piece, layer);
    }

    sealed class PullInfo
    {
        public required string Node;
        public required bool Rollout;
        public int Wave;
        public double Requested;
        public double Start;
        public PullHandle? Handle;
        public bool Cancelled;
    }

    abstract record SimEvent;
    sealed record Deliver(SeedEvent Event) : SimEvent;
    sealed record StartPullAt(string Node, bool Rollout, int Wave, double Requested) : SimEvent;
    sealed record Available(string Node) : SimEvent;
    sealed record ProbeStart(string Node, int Generation, double Until) : SimEvent;
    sealed record ProbeDue(string Node, int Generation, double Until, TransferStream Stream, double Started, double TtfbSeconds) : SimEvent;
    sealed record ProbesEnd(int Generation) : SimEvent;

    sealed class Simulation
    {
        const double Eps = 1e-9;
        readonly SeedSimulationInput _in;
        readonly string _name;
        readonly SeedPolicyOptions _options;
        readonly TransferNetwork _net;
        readonly Random _random;
        readonly PriorityQueue<SimEvent, (double, long)> _queue = new();
        readonly Dictionary<long, PullInfo> _pulls = [];
        readonly List<ClydeSeedForecastNode> _timeline = [];
        readonly HashSet<string> _holding = new(StringComparer.Ordinal);
        readonly HashSet<string> _available = new(StringComparer.Ordinal);
        readonly HashSet<TransferStream> _probeStreams = [];
        readonly List<string> _decisions = [];
        readonly SeedOverheads _o;
        PullInfo? _starting;
        long _seq;
        readonly ISeedPolicy? _policy;
        SeedStep? _step;
        DateTimeOffset? _tickAt;
        int _probeGeneration;
        double? _deployAt;
        double _rolloutEnd;
        string? _abort;

        readonly StartSchedule? _schedule;

        public Simulation(SeedSimulationInput input, ISeedPolicy? policy, SeedPolicyOptions options, string name, StartSchedule? schedule = null)
        {
            _schedule = schedule;
            _in = input;
            _policy = policy;
            _options = options;
            _name = name;
            _o = input.Overheads;
            _random = new Random(unchecked(input.Seed * 31 + 7));
            _net = new TransferNetwork(new TransferNetworkOptions
            {
                RegistryBandwidthMBps = input.RegistryBandwidthMBps,
                PeerToPeer = input.PeerToPeer,
                Latency = input.Latency,
                Jitter = input.Jitter,
                FailureRate = input.FailureRate,
                Seed = input.Seed,
            });
            var nat = _net.AddNatGateway("nat", input.NatBandwidthMBps ?? double.PositiveInfinity);
            foreach (var n in input.Nodes) _net.AddNode(n.Name, input.NodeBandwidthMBps, input.NodeBandwidthMBps, n.Public ? null : nat);
            _net.PullEnded += OnPullEnded;
            if (input.LayerProgress) _net.LayerCompleted += OnLayerCompleted;
        }

        double Now => _net.Now;

        static DateTimeOffset At(double seconds) => T0 + TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));

        static double Seconds(DateTimeOffset at) => (at - T0).Ticks / (double)TimeSpan.TicksPerSecond;

        void Enqueue(double at, SimEvent e) => _queue.Enqueue(e, (Math.Max(at, Now), ++_seq));

        public ClydeSeedForecast Execute()
        {
            var facts = _in.Nodes.Select(n => new NodeFacts(n.Name, true, false, new Dictionary<string, string>(), [], null, null,
                n.Public ? NetworkClass.Public : NetworkClass.Private, null, false)).ToList();
            var eligibility = Eligibility.Evaluate(facts, WorkloadPlacement.Anywhere, [], null);
            if (_policy is null)
            {
                Deploy(); // Direct
            }
            else
            {
                // With layer progress the policy also knows the bandwidths; without, what Start-ClydeSeed knows: the layers (and the bandwidths when it is given them).
                var plan = SeedPlanner.Create(eligibility, _options) with
                {
                    Layers = _in.Layers.Select(l => new SeedLayer(l.Digest, l.SizeBytes)).ToList(),
                    NodeBandwidthMBps = _in.KnowsBandwidths ? _in.NodeBandwidthMBps : null,
                    RegistryBandwidthMBps = _in.KnowsBandwidths ? SeedBounds.EffectiveRegistryMBps(_in.RegistryBandwidthMBps, _in.NatBandwidthMBps, _in.Nodes.All(n => !n.Public)) : null,
                    StartLatency = _o.SeedPodStart + _o.HelperInit,
                    FollowerStartOffsets = _schedule?.OffsetsSeconds,
                    FirstCopySeconds = _schedule?.FirstCopySeconds,
                };
                Apply(_policy.Begin(plan, T0));
            }

            long guard = 0;
            while (true)
            {
                var netNext = _net.NextEventTime ?? double.PositiveInfinity;
                var queueNext = _queue.TryPeek(out _, out var p) ? p.Item1 : double.PositiveInfinity;
                var t = Math.Min(netNext, queueNext);
                if (double.IsPositiveInfinity(t)) break;
                if (++guard > 50_000_000) throw new InvalidOperationException("The simulation did not settle.");
                _net.AdvanceTo(t);
                while (_queue.TryPeek(out var e, out var prio) && prio.Item1 <= Now + Eps)
                {
                    _queue.Dequeue();
                    Handle(e);
                }
            }
            return Forecast(eligibility);
        }

        // ---- the policy ----

        void Apply(SeedStep step)
        {
            _step = step;
            foreach (var d in step.Decisions)
            {
                _decisions.Add(string.Create(CultureInfo.InvariantCulture, $"{Format(Seconds(d.At))} {d.Kind} {d.Verdict}: {d.Narrative}"));
            }
            foreach (var action in step.Actions)
            {
                switch (action)
                {
                    case StartSeedsAction s:
                        foreach (var node in s.Nodes)
                        {
                            Enqueue(Now + (_o.SeedPodStart + _o.HelperInit).TotalSeconds, new StartPullAt(node, false, s.Wave, Now));
                        }
                        break;
                    case StartProbesAction p:
                        StopProbes();
                        var until = Now + p.MaxDuration.TotalSeconds;
                        foreach (var node in p.Nodes)
                        {
                            Enqueue(Now + _o.ProbePodStart.TotalSeconds, new ProbeStart(node, _probeGeneration, until));
                        }
                        Enqueue(until, new ProbesEnd(_probeGeneration));
                        _probeInterval = p.Interval.TotalSeconds;
                        break;
                    case StopProbesAction:
                        StopProbes();
                        break;
                    case CancelSeedsAction c:
                        foreach (var node in c.Nodes)
                        {
                            _cancelled.Add(node);
                            foreach (var running in _pulls.Values.Where(i => !i.Rollout && i.Node == node).ToList())
                            {
                                running.Cancelled = true;
                                running.Handle?.Cancel();
                            }
                        }
                        break;
                    case DeployAction:
                        StopProbes();
                        Deploy();
                        break;
                    case AbortAction a:
                        StopProbes();
                        _abort = a.Reason;
                        foreach (var running in _pulls.Values.Where(i => !i.Rollout).ToList()) running.Handle?.Cancel();
                        break;
                }
            }
            var wake = step.State.WakeUpAt;
            if (!step.State.Finished && wake is { } w && w != _tickAt)
            {
                _tickAt = w;
                Enqueue(Seconds(w), new Deliver(new TickEvent(w)));
            }
        }

        double _probeInterval = 2;
        readonly HashSet<string> _cancelled = new(StringComparer.Ordinal);
        readonly Dictionary<string, PullInfo> _seedByNode = new(StringComparer.Ordinal);

        /// <summary>A layer completed on a node whose seed pull runs: the policy hears of it after the watch latency.</summary>
        void OnLayerCompleted(LayerCompletedEvent e)
        {
            if (_policy is null || !_seedByNode.TryGetValue(e.Node, out var info) || info.Handle is { Status: not PullStatus.Running }) return;
            var at = Now + _o.WatchLatency.TotalSeconds;
            Enqueue(at, new Deliver(new SeedLayerCompletedEvent(At(at), e.Node, e.Digest, e.SizeBytes, e.Peer is not null)));
        }

        void Feed(SeedEvent e)
        {
            if (_policy is null || _step is null || _step.State.Finished) return;
            Apply(_policy.Next(_step.State, e));
        }

        void StopProbes()
        {
            _probeGeneration++;
            foreach (var s in _probeStreams) s.Cancel();
            _probeStreams.Clear();
        }

        // ---- events ----

        void Handle(SimEvent e)
        {
            switch (e)
            {
                case Deliver d:
                    Feed(d.Event);
                    break;
                case StartPullAt s:
                    if (!s.Rollout && _cancelled.Contains(s.Node)) break; // cancelled before its pod started
                    StartPull(s);
                    break;
                case Available a:
                    _available.Add(a.Node);
                    _rolloutEnd = Math.Max(_rolloutEnd, Now);
                    break;
                case ProbeStart ps:
                    if (ps.Generation != _probeGeneration || Now >= ps.Until - Eps) break;
                    var stream = _net.StartRegistryStream(_in.ProbeSampleBytes, null, ps.Node);
                    _probeStreams.Add(stream);
                    var ttfb = _in.ProbeLatency.TotalSeconds + _in.ProbeJitter.TotalSeconds * _random.NextDouble();
                    Enqueue(Now + _probeInterval, new ProbeDue(ps.Node, ps.Generation, ps.Until, stream, Now, ttfb));
                    break;
                case ProbeDue pd:
                    if (pd.Generation != _probeGeneration) break;
                    _probeStreams.Remove(pd.Stream);
                    ClydeProbeSample sample;
                    if (pd.Stream.Completed)
                    {
                        var seconds = pd.Stream.EndTime!.Value - pd.Started + pd.TtfbSeconds;
                        sample = ProbeMetrics.Sample(pd.Node, At(pd.Started), 206, pd.Stream.SizeBytes, seconds, pd.TtfbSeconds * 1000, null);
                    }
                    else
                    {
                        var bytes = pd.Stream.BytesAvailable;
                        pd.Stream.Cancel();
                        sample = ProbeMetrics.Sample(pd.Node, At(pd.Started), bytes > 0 ? 206 : 0, bytes, Now - pd.Started,
                            bytes > 0 ? pd.TtfbSeconds * 1000 : null, "Operation timed out", timeLimited: true);
                    }
                    Feed(new ProbeSampleEvent(At(Now), sample));
                    if (pd.Generation == _probeGeneration && Now < pd.Until - Eps) Handle(new ProbeStart(pd.Node, pd.Generation, pd.Until));
                    break;
                case ProbesEnd pe:
                    if (pe.Generation != _probeGeneration) break;
                    StopProbes();
                    Feed(new ProbesEndedEvent(At(Now), "probe pods reached their maximum duration"));
                    break;
            }
        }

        void StartPull(StartPullAt s)
        {
            var info = new PullInfo { Node = s.Node, Rollout = s.Rollout, Wave = s.Wave, Requested = s.Requested, Start = Now };
            if (!s.Rollout) _seedByNode[s.Node] = info;
            _starting = info;
            var pull = _net.StartPull(s.Node, _in.Layers);
            _starting = null;
            info.Handle = pull;
            if (pull.Status == PullStatus.Running) _pulls[pull.Id] = info;
        }

        void OnPullEnded(PullHandle pull)
        {
            var info = _pulls.Remove(pull.Id, out var known) ? known : _starting;
            if (info is null) return;
            var ok = pull.Status == PullStatus.Completed;
            if (!info.Rollout) _seedByNode.Remove(info.Node);
            _timeline.Add(new ClydeSeedForecastNode
            {
                Node = info.Node,
                Phase = info.Rollout ? "Rollout" : "Seed",
                Source = info.Cancelled ? "Cancelled" : !ok ? "Failed" : pull.BytesFromPeers == 0 ? "Registry" : pull.BytesFromRegistry == 0 ? "Peers" : "Mixed",
                Wave = info.Wave,
                Requested = Span(info.Requested),
                Start = Span(info.Start),
                End = Span(Now),
                BytesFromRegistry = pull.BytesFromRegistry,
                BytesFromPeers = pull.BytesFromPeers,
            });
            if (ok) _holding.Add(info.Node);
            var watchAt = Now + _o.WatchLatency.TotalSeconds;
            if (info.Rollout)
            {
                if (ok) Enqueue(Now + _o.ContainerStart.TotalSeconds, new Available(info.Node));
                else Enqueue(Now + _o.PullBackOff.TotalSeconds, new StartPullAt(info.Node, true, 0, info.Requested));
            }
            else if (info.Cancelled)
            {
                // the policy cancelled it: no event
            }
            else if (ok)
            {
                Enqueue(watchAt, new Deliver(new SeedCompletedEvent(At(watchAt), info.Node, TimeSpan.FromSeconds(Now - info.Start), pull.TotalBytes)));
            }
            else
            {
                Enqueue(watchAt, new Deliver(new SeedFailedEvent(At(watchAt), info.Node, "ErrImagePull: " + pull.Error, false)));
            }
        }

        void Deploy()
        {
            _deployAt = Now;
            var podStart = Now + _o.DaemonSetPodStart.TotalSeconds;
            foreach (var n in _in.Nodes)
            {
                if (_holding.Contains(n.Name)) Enqueue(podStart + _o.ContainerStart.TotalSeconds, new Available(n.Name));
                else Enqueue(podStart, new StartPullAt(n.Name, true, 0, Now));
            }
        }

        // ---- the forecast ----

        static TimeSpan Span(double seconds) => TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));

        static string Format(double seconds) => Span(seconds).ToString(@"hh\:mm\:ss\.f", CultureInfo.InvariantCulture);

        ClydeSeedForecast Forecast(EligibilityResult eligibility)
        {
            var (piece, layer) = Bounds(_in);
            var waves = _step?.State.StartedWaves.Select(w => new ClydeSeedForecastWave
            {
                Number = w.Number,
                Nodes = w.Size,
                Source = w.Source.ToString(),
                Expansion = w.Expansion,
                Start = w.StartedAt - T0,
                End = _timeline.Where(t => t.Phase == "Seed" && t.Wave == w.Number).Select(t => (TimeSpan?)t.End).Max(),
            }).ToArray() ?? [];
            var deployed = _deployAt is not null && _abort is null;
            var complete = deployed && _available.Count == _in.Nodes.Count;
            var outcome = _abort is not null ? "Aborted: " + _abort
                : !deployed ? "Not deployed"
                : complete ? "Deployed"
                : $"Deployed; {_in.Nodes.Count - _available.Count} node(s) never became available";
            var publicCount = _in.Nodes.Count(n => n.Public);
            return new ClydeSeedForecast
            {
                Strategy = _name,
                NodeCount = _in.Nodes.Count,
                PublicNodeCount = publicCount,
                ClusterClass = eligibility.ClusterClass,
                ImageSizeBytes = _in.Layers.Sum(l => l.SizeBytes),
                LayerSizesBytes = _in.Layers.Select(l => l.SizeBytes).ToArray(),
                RegistryBandwidthMBps = _in.RegistryBandwidthMBps,
                NodeBandwidthMBps = _in.NodeBandwidthMBps,
                NatBandwidthMBps = _in.NatBandwidthMBps,
                PeerToPeer = _in.PeerToPeer,
                Seed = _in.Seed,
                SeedingTime = Span(_deployAt ?? Now),
                RolloutTime = complete ? Span(_rolloutEnd) : null,
                Outcome = outcome,
                RegistryBytes = _net.Stats.BytesFromRegistry,
                PeerBytes = _net.Stats.BytesFromPeers,
                Waves = waves,
                PieceLowerBound = Span(piece),
                LayerLowerBound = Span(layer),
                Timeline = _timeline.OrderBy(t => t.Start).ThenBy(t => t.Node, StringComparer.Ordinal).ToArray(),
                Decisions = [.. _decisions],
                Overheads = _o.AsSeconds(),
            };
        }
    }
}
