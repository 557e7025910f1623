using System.Globalization;
using System.Threading.Channels;
using ClydePS.Engine.Kube;
using ClydePS.Engine.Network;
using ClydePS.Engine.Probe;
using ClydePS.Engine.Transfer;
using k8s;
using k8s.Models;

namespace ClydePS.Engine.Seeding;

/// <summary>What to seed, where, and how (the cmdlet's parameters, resolved and validated).</summary>
public sealed record SeedRequest
{
    /// <summary>The image as the registry describes it (digest, platforms, size, largest layer).</summary>
    public required ClydeImage Image { get; init; }

    /// <summary>The reference seed pods name (as the workload names it, so kubelet resolves it the same way).</summary>
    public required string Reference { get; init; }

    public required string Namespace { get; init; }
    public string RunId { get; init; } = ProbePod.NewRunId();
    public WorkloadPlacement Placement { get; init; } = WorkloadPlacement.Anywhere;
    public IReadOnlyList<string> ImagePullSecrets { get; init; } = [];
    public IReadOnlyCollection<string>? Nodes { get; init; }
    public SeedPolicyOptions Policy { get; init; } = new();
    public string HelperImage { get; init; } = SeedPodOptions.DefaultHelperImage;

    /// <summary>Limit for one node's seed pull; null derives it from the image size and the measured bandwidth.</summary>
    public TimeSpan? PullTimeout { get; init; }

    /// <summary><c>namespace/name</c> of the DaemonSet being seeded for, when known.</summary>
    public string? Workload { get; init; }

    /// <summary>The blob the probe pods sample (Adaptive on a private or mixed cluster); null disables probing.</summary>
    public string? ProbeBlobUrl { get; init; }
    public string ProbeImage { get; init; } = ProbePodOptions.DefaultImage;
    public long ProbeSampleBytes { get; init; } = 8 * 1024 * 1024;
    public string? ProbePullSecret { get; init; }

    /// <summary>
    /// The registry's bandwidth as the nodes see it (MB/s; e.g. Measure-ClydeRegistryProbe's median) and a node's
    /// download bandwidth: given both, the Pipelined policy sizes its registry lane from them and, with a P2P mirror and
    /// nothing seeded yet, follows a start schedule planned in the transfer model (<see cref="Simulation.StartSchedulePlanner"/>).
    /// </summary>
    public double? RegistryBandwidthMBps { get; init; }

    public double? NodeBandwidthMBps { get; init; }

    /// <summary>The digests that prove a pull: the resolved digest and every platform manifest digest.</summary>
    public IReadOnlyCollection<string> Digests => NodeImages.DigestsOf(Image);
}

/// <summary>The cluster as seeding found it, before anything is created: what <c>-WhatIf</c> shows and <see cref="SeedExecutor.RunAsync"/> runs.</summary>
public sealed class SeedPreparation
{
    internal SeedPreparation(SeedRequest request, EligibilityResult eligibility, SeedPlan plan, IReadOnlyList<SkippedNode> skipped,
        string? mirror, IReadOnlyList<string> warnings, IReadOnlyDictionary<string, string> heldPods)
    {
        Request = request;
        Eligibility = eligibility;
        Plan = plan;
        Skipped = skipped;
        Mirror = mirror;
        Warnings = warnings;
        HeldPods = heldPods;
    }

    public SeedRequest Request { get; }
    public EligibilityResult Eligibility { get; }
    public SeedPlan Plan { get; }

    /// <summary>Every node not seeded by this run, with the reason (ineligible, no mirror, already holds the digest).</summary>
    public IReadOnlyList<SkippedNode> Skipped { get; }

    /// <summary>The P2P mirror DaemonSet (<c>namespace/name</c>), null when none was found.</summary>
    public string? Mirror { get; }
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Seed pods of earlier runs that prove the digest on their node (node -> pod name).</summary>
    public IReadOnlyDictionary<string, string> HeldPods { get; }

    public ISeedPolicy Policy => SeedPolicies.For(Request.Policy.Strategy);

    /// <summary>The waves if every pull succeeds and no expansion happens.</summary>
    public IReadOnlyList<IReadOnlyList<string>> PreviewWaves() => Policy.PreviewWaves(Plan);
}

/// <summary>Progress of a seeding run, for Write-Progress.</summary>
public sealed record SeedProgress(int Wave, int Seeded, int Target, int InFlight, double? BandwidthMBps, string Status);

/// <summary>
/// Runs a seeding policy on a cluster (ARCHITECTURE.md "The seeding engine"). Event-driven: one watch over the run's
/// seed pods, one over nodes, the probe pods' followed logs, and a timer for the policy's windows and the pulls'
/// deadlines; no per-pod polling. API cost per seeded node: one create and one delete of its seed pod.
/// Every decision is recorded with the metrics that led to it. Ctrl+C or a failure deletes every pod the run
/// created (a fresh token, so cleanup runs after cancellation too); a completed run keeps its successful seed
/// pods, which hold the image until the workload runs on their nodes.
/// </summary>
public sealed class SeedExecutor(ClusterGateway gateway)
{
    readonly ClusterGateway _gateway = gateway;

    /// <summary>Rate assumed for a pull deadline when nothing was measured: 5 MB/s, slow enough for congested registries.</summary>
    public const double AssumedBandwidthMBps = 5;
    public static readonly TimeSpan MinimumPullTimeout = TimeSpan.FromMinutes(3);

    /// <summary>
    /// The per-node pull deadline when -Timeout is not given: 3 minutes for pod start-up plus four times the image's
    /// transfer time at the measured bandwidth (or <see cref="AssumedBandwidthMBps"/>), since a wave shares the registry.
    /// </summary>
    public static TimeSpan DerivePullTimeout(long imageBytes, double? measuredMBps)
    {
        var rate = measuredMBps is > 0.1 ? measuredMBps.Value : AssumedBandwidthMBps;
        return MinimumPullTimeout + TimeSpan.FromSeconds(4 * imageBytes / (rate * ProbeMetrics.BytesPerMB));
    }

    /// <summary>Reads the cluster (nodes, earlier seed pods, P2P mirror) and plans: 3 list requests, nothing created.</summary>
    public async Task<SeedPreparation> PrepareAsync(SeedRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var nodes = await _gateway.ListNodesAsync(null, ct).ConfigureAwait(false);
        if (request.Nodes is { Count: > 0 } filter)
        {
            var known = nodes.Select(n => n.Metadata.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var name in filter.Where(n => !known.Contains(n)))
            {
                throw new ClydeException(ClydeErrorKind.NotFound, "ClydeNodeNotFound",
                    $"Node '{name}' was not found. List nodes with Get-ClydeNodeNetwork.", name);
            }
        }

        var ns = request.Namespace;
        var digests = request.Digests;
        var seedPods = (await _gateway.ListAsync<V1Pod, V1PodList>("list seed pods", ns,
            (c, r, t) => c.CoreV1.ListNamespacedPodWithHttpMessagesAsync(ns, labelSelector: SeedPod.Selector(null), continueParameter: r.Continue,
                limit: r.Limit, cancellationToken: t), ct).ConfigureAwait(false)).Items;
        var podsByNode = seedPods.Where(p => p.Spec?.NodeName is not null && p.Metadata.DeletionTimestamp is null)
            .GroupBy(p => p.Spec.NodeName, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

        var warnings = new List<string>();
        var (mirror, mirrorReady) = await FindMirrorAsync(ct).ConfigureAwait(false);
        if (mirror is null)
        {
            warnings.Add("No P2P mirror DaemonSet (Spegel or Clyde) was found: nodes cannot share layers, so seeding only pre-pulls " +
                "and cannot speed the rollout up. Install a P2P mirror, or deploy directly.");
        }

        var held = new Dictionary<string, string>(StringComparer.Ordinal);
        var facts = new List<NodeFacts>();
        var noMirror = new List<SkippedNode>();
        foreach (var node in nodes)
        {
            var name = node.Metadata.Name;
            var pods = podsByNode.TryGetValue(name, out var list) ? list : [];
            var image = NodeImages.Inspect(node, digests, pods);
            if (image.Holds && image.Evidence == ImageEvidence.SeedPod && image.SeedPod is { } pod)
            {
                held[name] = pod;
            }
            if (mirror is not null && !mirrorReady.Contains(name) && !image.Holds)
            {
                noMirror.Add(new SkippedNode(name, $"no Ready P2P mirror pod ({mirror}) on the node, so peers could not fetch from it"));
                continue;
            }
            facts.Add(ToFacts(node, image.Holds));
        }

        var eligibility = Eligibility.Evaluate(facts, request.Placement, request.Image.Platforms, request.Nodes, request.Image.Digest);
        var skipped = eligibility.Skipped
            .Concat(request.Nodes is { Count: > 0 } only ? noMirror.Where(s => only.Contains(s.Name)) : noMirror)
            .OrderBy(s => s.Name, StringComparer.Ordinal).ToArray();
        // The layers let the Pipelined policy reason per layer; Kubernetes reports whole pulls only, so it starts followers on completions.
        var layers = request.Image.Layers.Where(l => l.SizeBytes > 0).Select(l => new SeedLayer(l.Digest, l.SizeBytes)).ToList();
        var plan = SeedPlanner.Create(eligibility, request.Policy) with
        {
            Layers = layers.Count > 0 && layers.Select(l => l.Digest).Distinct(StringComparer.Ordinal).Count() == layers.Count ? layers : null,
        };
        if (request.RegistryBandwidthMBps is > 0 and var r && request.NodeBandwidthMBps is > 0 and var b)
        {
            plan = plan with { RegistryBandwidthMBps = r, NodeBandwidthMBps = b };
            if (request.Policy.Strategy == SeedStrategy.Pipelined && mirror is not null && plan.Layers is { } known && plan.AlreadySeeded.Count == 0 && plan.Eligible.Count > 1)
            {
                var schedule = PlanStarts(eligibility, known, r, b, request.Policy, ct);
                plan = plan with { FollowerStartOffsets = schedule?.OffsetsSeconds, FirstCopySeconds = schedule?.FirstCopySeconds };
            }
        }
        return new SeedPreparation(request, eligibility, plan, skipped, mirror, warnings, held);
    }

    /// <summary>
    /// Planned follower starts for a Pipelined run given the bandwidths: the simulator runs this cluster's eligible nodes
    /// (names, network classes), the image's layers and the bandwidths with and without a planned schedule, with the
    /// executor's view (whole pulls only), and the schedule is used only when it wins.
    /// </summary>
    static Simulation.StartSchedule? PlanStarts(EligibilityResult eligibility, IReadOnlyList<SeedLayer> layers, double registryMBps, double nodeMBps, SeedPolicyOptions policy,
        CancellationToken ct)
    {
        var input = new Simulation.SeedSimulationInput
        {
            Nodes = eligibility.Eligible.Select(n => new Simulation.SimulatedNode(n.Name, n.NetworkClass == NetworkClass.Public)).ToList(),
            Layers = layers.Select(l => new TransferLayer(l.Digest, l.SizeBytes)).ToList(),
            RegistryBandwidthMBps = registryMBps,
            NodeBandwidthMBps = nodeMBps,
            PeerToPeer = true,
            LayerProgress = false,
            BandwidthsKnown = true,
            Policy = policy,
        };
        return Simulation.SeedSimulator.ChooseStarts(input, policy, cancellationToken: ct).Schedule;
    }

    internal static NodeFacts ToFacts(V1Node node, bool holds)
    {
        var labels = node.Metadata.Labels ?? new Dictionary<string, string>();
        var mapped = NodeMapper.ToClydeNode(node);
        var taints = (node.Spec?.Taints ?? []).Select(t => new TaintFact(t.Key, t.Value, t.Effect)).ToArray();
        return new NodeFacts(node.Metadata.Name, mapped.Ready, node.Spec?.Unschedulable == true, new Dictionary<string, string>(labels), taints,
            mapped.Architecture, mapped.OperatingSystem, mapped.NetworkClass, mapped.Zone, holds);
    }

    /// <summary>A DaemonSet of Spegel or Clyde (by name or app label), and the nodes where its pod is Ready.</summary>
    async Task<(string? Mirror, HashSet<string> ReadyNodes)> FindMirrorAsync(CancellationToken ct)
    {
        var sets = (await _gateway.ListAsync<V1DaemonSet, V1DaemonSetList>("list DaemonSets", null,
            (c, r, t) => c.AppsV1.ListDaemonSetForAllNamespacesWithHttpMessagesAsync(continueParameter: r.Continue, limit: r.Limit, cancellationToken: t),
            ct).ConfigureAwait(false)).Items;
        var ds = sets.Where(IsMirror).OrderBy(d => d.Metadata.NamespaceProperty + "/" + d.Metadata.Name, StringComparer.Ordinal).FirstOrDefault();
        var ready = new HashSet<string>(StringComparer.Ordinal);
        if (ds is null)
        {
            return (null, ready);
        }
        var selector = string.Join(",", (ds.Spec?.Selector?.MatchLabels ?? new Dictionary<string, string>()).Select(kv => $"{kv.Key}={kv.Value}"));
        var dsNs = ds.Metadata.NamespaceProperty;
        var pods = (await _gateway.ListAsync<V1Pod, V1PodList>("list P2P mirror pods", $"{dsNs}/{ds.Metadata.Name}",
            (c, r, t) => c.CoreV1.ListNamespacedPodWithHttpMessagesAsync(dsNs, labelSelector: selector, continueParameter: r.Continue, limit: r.Limit, cancellationToken: t),
            ct).ConfigureAwait(false)).Items;
        foreach (var pod in pods)
        {
            if (pod.Spec?.NodeName is { } node && pod.Metadata.DeletionTimestamp is null
                && pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true)
            {
                ready.Add(node);
            }
        }
        return ($"{dsNs}/{ds.Metadata.Name}", ready);
    }

    static bool IsMirror(V1DaemonSet ds)
    {
        static bool Named(string? s) => s is not null && (s.Contains("spegel", StringComparison.OrdinalIgnoreCase)
            || s.Equals("clyde", StringComparison.OrdinalIgnoreCase) || s.StartsWith("clyde-", StringComparison.OrdinalIgnoreCase)
            && !s.StartsWith("clydeps", StringComparison.OrdinalIgnoreCase));
        var labels = ds.Metadata.Labels ?? new Dictionary<string, string>();
        if (labels.TryGetValue("app.kubernetes.io/managed-by", out var by) && by == "ClydePS")
        {
            return false;
        }
        return Named(ds.Metadata.Name) || labels.TryGetValue("app.kubernetes.io/name", out var app) && Named(app);
    }

    /// <summary>
    /// Runs the plan: creates the seed pods the policy asks for (each one through <paramref name="approve"/>, the
    /// cmdlet's ShouldProcess), follows them, feeds the policy, and returns when it decides to deploy.
    /// </summary>
    public async Task<ClydeSeedResult> RunAsync(SeedPreparation prep, Action<SeedProgress>? progress, Action<SeedDecision>? onDecision,
        Action<string>? log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prep);
        var run = new Run(this, prep, progress, onDecision, log);
        return await run.ExecuteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One run's mutable state; only the loop in <see cref="ExecuteAsync"/> touches it.</summary>
    sealed class Run(SeedExecutor owner, SeedPreparation prep, Action<SeedProgress>? progress, Action<SeedDecision>? onDecision, Action<string>? log)
    {
        readonly ClusterGateway _gw = owner._gateway;
        readonly SeedRequest _req = prep.Request;
        readonly Channel<object> _inbox = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
        readonly Dictionary<string, ClydeSeedPull> _pulls = new(StringComparer.Ordinal);      // node -> latest pull
        readonly Dictionary<string, string> _podNode = new(StringComparer.Ordinal);           // pod -> node
        readonly HashSet<string> _inFlight = new(StringComparer.Ordinal);
        readonly List<string> _created = [];
        readonly List<ClydeSeedWave> _waves = [];
        readonly List<ClydeSeedDecision> _decisions = [];
        readonly HashSet<string> _seeded = new(StringComparer.Ordinal);
        CancellationTokenSource? _probeStop;
        Task? _probeTask;
        double? _lastBandwidth;
        int _podIndex;
        TimeSpan _pullTimeout;

        TimeProvider Clock => _gw.LabTime;

        public async Task<ClydeSeedResult> ExecuteAsync(CancellationToken ct)
        {
            var start = Clock.GetUtcNow();
            _pullTimeout = _req.PullTimeout ?? DerivePullTimeout(_req.Image.SizeBytes, null);
            foreach (var node in prep.Plan.AlreadySeeded)
            {
                _seeded.Add(node);
            }
            using var loop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var ok = false;
            var outcome = "";
            Task[] watchers = [];
            try
            {
                watchers = [WatchPodsAsync(loop.Token), WatchNodesAsync(loop.Token)];
                var policy = prep.Policy;
                var step = policy.Begin(prep.Plan, start);
                outcome = await ApplyAsync(step, ct).ConfigureAwait(false) ?? "";
                var state = step.State;
                while (!state.Finished && outcome.Length == 0)
                {
                    var next = await NextEventAsync(state.WakeUpAt, ct).ConfigureAwait(false);
                    foreach (var e in next)
                    {
                        step = policy.Next(state, e);
                        state = step.State;
                        outcome = await ApplyAsync(step, ct).ConfigureAwait(false) ?? "";
                        if (outcome.Length > 0 || state.Finished)
                        {
                            break;
                        }
                    }
                }
                if (outcome.Length == 0)
                {
                    outcome = "The policy finished.";
                }
                ok = true;
            }
            finally
            {
                loop.Cancel();
                await StopProbesAsync().ConfigureAwait(false);
                foreach (var w in watchers)
                {
                    try
                    {
                        await w.ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
                // Failed pulls' pods always go; on Ctrl+C or an error every pod this run created goes.
                var delete = ok
                    ? _created.Where(p => !(_pulls.TryGetValue(_podNode[p], out var pull) && pull.Pod == p && pull.Succeeded)).ToList()
                    : [.. _created];
                await DeletePodsAsync(delete).ConfigureAwait(false);
            }

            var end = Clock.GetUtcNow();
            foreach (var wave in _waves.Where(w => w.End is null))
            {
                wave.End = end;
            }
            var held = _pulls.Values.Where(p => p.Succeeded && p.Pod.Length > 0).Select(p => p.Pod)
                .Concat(prep.HeldPods.Where(kv => prep.Plan.AlreadySeeded.Contains(kv.Key)).Select(kv => kv.Value))
                .Distinct(StringComparer.Ordinal).OrderBy(p => p, StringComparer.Ordinal).ToArray();
            return new ClydeSeedResult
            {
                Image = _req.Reference,
                Digest = _req.Image.Digest,
                Namespace = _req.Namespace,
                Strategy = prep.Policy.Name,
                NetworkClass = prep.Eligibility.ClusterClass,
                RunId = _req.RunId,
                Workload = _req.Workload,
                Eligible = prep.Eligibility.Eligible.Count,
                Target = prep.Plan.Target,
                SeededNodes = _seeded.OrderBy(n => n, StringComparer.Ordinal).ToArray(),
                AlreadySeeded = prep.Plan.AlreadySeeded.OrderBy(n => n, StringComparer.Ordinal).ToArray(),
                Skipped = prep.Skipped.Select(s => new ClydeSeedSkip { Node = s.Name, Reason = s.Reason }).ToArray(),
                Waves = [.. _waves],
                Decisions = [.. _decisions],
                Pulls = _pulls.Values.Concat(_failedPulls).OrderBy(p => p.Start).ThenBy(p => p.Node, StringComparer.Ordinal).ToArray(),
                Outcome = outcome,
                Mirror = prep.Mirror,
                Start = start,
                Duration = end - start,
                SeedPods = held,
                MonitorBandwidthThreshold = _req.Policy.Thresholds.BandwidthMBps,
                MonitorJitterThreshold = _req.Policy.Thresholds.JitterMs,
                MonitorDropThreshold = _req.Policy.Thresholds.DropRatePct,
            };
        }

        readonly List<ClydeSeedPull> _failedPulls = [];

        /// <summary>Waits for the next inbox item, the policy's wake-up, or the earliest pull deadline; returns the policy events.</summary>
        async Task<IReadOnlyList<SeedEvent>> NextEventAsync(DateTimeOffset? wakeUpAt, CancellationToken ct)
        {
            while (true)
            {
                var now = Clock.GetUtcNow();
                var due = new List<SeedEvent>();
                foreach (var node in _inFlight.ToArray())
                {
                    var pull = _pulls[node];
                    if (now - pull.Start >= _pullTimeout)
                    {
                        due.Add(Fail(node, $"the seed pull did not finish within {Format(_pullTimeout)} (set -Timeout to allow longer)", false, now));
                    }
                }
                if (wakeUpAt is { } w && now >= w)
                {
                    due.Add(new TickEvent(now));
                }
                while (_inbox.Reader.TryRead(out var item))
                {
                    if (Translate(item, now) is { } e)
                    {
                        due.Add(e);
                    }
                }
                if (due.Count > 0)
                {
                    return due;
                }

                var deadline = _inFlight.Count == 0 ? (DateTimeOffset?)null : _inFlight.Min(n => _pulls[n].Start) + _pullTimeout;
                if (wakeUpAt is { } wu && (deadline is null || wu < deadline))
                {
                    deadline = wu;
                }
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var read = _inbox.Reader.WaitToReadAsync(wait.Token).AsTask();
                if (deadline is { } d)
                {
                    var delay = Task.Delay(Max(d - now, TimeSpan.FromMilliseconds(1)), Clock, wait.Token);
                    await Task.WhenAny(read, delay).ConfigureAwait(false);
                }
                else
                {
                    await read.ConfigureAwait(false);
                }
                wait.Cancel();
                ct.ThrowIfCancellationRequested();
            }
        }

        static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

        static string Format(TimeSpan t) => t.TotalMinutes >= 1 ? $"{t.TotalMinutes:0.#} min" : $"{t.TotalSeconds:0.#} s";

        /// <summary>Carries out a step's actions; returns the outcome text when seeding is over.</summary>
        async Task<string?> ApplyAsync(SeedStep step, CancellationToken ct)
        {
            foreach (var d in step.Decisions)
            {
                var decision = new ClydeSeedDecision
                {
                    Time = d.At, Kind = d.Kind, BandwidthMBps = d.BandwidthMBps, JitterMs = d.JitterMs, DropRatePct = d.DropRatePct,
                    Samples = d.Samples, SuccessfulSamples = d.SuccessfulSamples, Verdict = d.Verdict, Narrative = d.Narrative,
                };
                _decisions.Add(decision);
                if (d.BandwidthMBps is { } bw && d.SuccessfulSamples > 0)
                {
                    _lastBandwidth = bw;
                    if (_req.PullTimeout is null)
                    {
                        _pullTimeout = DerivePullTimeout(_req.Image.SizeBytes, bw);
                    }
                }
                onDecision?.Invoke(d);
            }
            string? outcome = null;
            foreach (var action in step.Actions)
            {
                switch (action)
                {
                    case StartSeedsAction s:
                        await StartSeedsAsync(s, ct).ConfigureAwait(false);
                        break;
                    case StartProbesAction p:
                        StartProbes(p);
                        break;
                    case StopProbesAction:
                        await StopProbesAsync().ConfigureAwait(false);
                        break;
                    case CancelSeedsAction c:
                        Cancel(c, Clock.GetUtcNow());
                        break;
                    case DeployAction d:
                        outcome = d.Reason;
                        break;
                    case AbortAction a:
                        throw new ClydeException(ClydeErrorKind.Invalid, "ClydeSeedFailed",
                            $"Seeding {_req.Reference} stopped: {a.Reason} Failed pulls: " +
                            string.Join("; ", _failedPulls.Select(f => $"{f.Node}: {f.Error}")), _req.Reference);
                }
            }
            Report(outcome is null ? "Seeding" : "Seeding done");
            return outcome;
        }

        void Report(string status)
        {
            var wave = _waves.Count == 0 ? 0 : _waves[^1].Number;
            progress?.Invoke(new SeedProgress(wave, _seeded.Count, prep.Plan.Target, _inFlight.Count, _lastBandwidth, status));
        }

        async Task StartSeedsAsync(StartSeedsAction action, CancellationToken ct)
        {
            var now = Clock.GetUtcNow();
            var wave = _waves.FirstOrDefault(w => w.Number == action.Wave);
            if (wave is null)
            {
                wave = new ClydeSeedWave { Number = action.Wave, Nodes = [.. action.Nodes], Start = now, Source = action.Source.ToString() };
                _waves.Add(wave);
            }
            else
            {
                // A replacement for a failed node joins its wave.
                var merged = new ClydeSeedWave { Number = wave.Number, Nodes = [.. wave.Nodes, .. action.Nodes], Start = wave.Start, Source = wave.Source };
                _waves[_waves.IndexOf(wave)] = merged;
                wave = merged;
            }
            var options = new SeedPodOptions
            {
                Namespace = _req.Namespace,
                RunId = _req.RunId,
                Image = _req.Reference,
                Digest = _req.Image.Digest,
                HelperImage = _req.HelperImage,
                Workload = _req.Workload,
                ImagePullSecrets = _req.ImagePullSecrets,
                Tolerations = _req.Placement.Tolerations.Select(ToV1).ToArray(),
                Deadline = _pullTimeout + TimeSpan.FromMinutes(1),
            };
            foreach (var node in action.Nodes)
            {
                var pod = SeedPod.Build(options, node, _podIndex++);
                var name = pod.Metadata.Name;
                _created.Add(name); // before the call: a create cut short by Ctrl+C may still land
                _podNode[name] = node;
                _pulls[node] = new ClydeSeedPull { Node = node, Wave = action.Wave, Pod = name, Start = Clock.GetUtcNow() };
                _inFlight.Add(node);
                try
                {
                    await SeedPod.CreateAsync(_gw, pod, ct).ConfigureAwait(false);
                    log?.Invoke($"Created seed pod {_req.Namespace}/{name} on node {node}.");
                }
                catch (ClydeException e) when (e.Kind is not ClydeErrorKind.Cancelled && e.StatusCode is not (401 or 403))
                {
                    // The pod could not be made (node gone, quota, admission): the policy replaces the node.
                    _inbox.Writer.TryWrite(new CreateFailed(node, e.Message));
                }
            }
        }

        internal static V1Toleration ToV1(TolerationFact t) => new()
        {
            Key = string.IsNullOrEmpty(t.Key) ? null : t.Key,
            OperatorProperty = t.Operator,
            Value = string.IsNullOrEmpty(t.Value) ? null : t.Value,
            Effect = string.IsNullOrEmpty(t.Effect) ? null : t.Effect,
        };

        sealed record CreateFailed(string Node, string Reason);
        sealed record PodSeen(WatchEventType Type, V1Pod Pod);
        sealed record NodeSeen(WatchEventType Type, V1Node Node);
        sealed record ProbeSample(ClydeProbeSample Sample);
        sealed record ProbesEnded(string Reason);

        SeedEvent? Translate(object item, DateTimeOffset now)
        {
            switch (item)
            {
                case CreateFailed f when _inFlight.Contains(f.Node):
                    return Fail(f.Node, "the seed pod could not be created: " + f.Reason, false, now);
                case PodSeen p:
                    return OnPod(p.Type, p.Pod, now);
                case NodeSeen n:
                    return OnNode(n.Type, n.Node, now);
                case ProbeSample s:
                    return new ProbeSampleEvent(now, s.Sample);
                case ProbesEnded e:
                    return new ProbesEndedEvent(now, e.Reason);
                default:
                    return null;
            }
        }

        SeedEvent? OnPod(WatchEventType type, V1Pod pod, DateTimeOffset now)
        {
            var name = pod.Metadata?.Name;
            if (name is null || !_podNode.TryGetValue(name, out var node) || !_inFlight.Contains(node) || _pulls[node].Pod != name)
            {
                return null;
            }
            if (type == WatchEventType.Deleted)
            {
                return Fail(node, "the seed pod was deleted", false, now);
            }
            var seen = SeedPod.Observe(pod, _req.Digests, _req.Image.Digest, _req.HelperImage);
            if (seen.Done)
            {
                return Complete(node, pod, seen.ImageId!, now);
            }
            if (seen.Failed)
            {
                return Fail(node, seen.Reason == "PodFailed" || seen.NodeLost ? seen.Message!.Replace("the pod failed", "the seed pod failed", StringComparison.Ordinal) : seen.Message!, seen.NodeLost, now);
            }
            return null;
        }

        SeedEvent? OnNode(WatchEventType type, V1Node node, DateTimeOffset now)
        {
            var name = node.Metadata?.Name;
            if (name is null || !_inFlight.Contains(name))
            {
                return null;
            }
            return SeedPod.NodeLostReason(type, node) is { } lost ? Fail(name, lost, true, now) : null;
        }

        SeedEvent Complete(string node, V1Pod pod, string imageId, DateTimeOffset now)
        {
            var pull = _pulls[node];
            _inFlight.Remove(node);
            _seeded.Add(node);
            var helperDone = pod.Status?.InitContainerStatuses?.FirstOrDefault(c => c.Name == SeedPod.HelperContainerName)?.State?.Terminated?.FinishedAt;
            var seed = pod.Status?.ContainerStatuses?.FirstOrDefault(c => c.Name == SeedPod.ContainerName)?.State;
            var started = seed?.Running?.StartedAt ?? seed?.Terminated?.StartedAt;
            var duration = helperDone is { } h && started is { } s && s > h ? s - h : now - pull.Start;
            pull.End = now;
            pull.Duration = duration;
            pull.Succeeded = true;
            pull.ImageId = imageId;
            if (LabInfo.PulledBytes(pod.Metadata?.Annotations, SeedPod.ContainerName) is { } bytes)
            {
                (pull.BytesFromRegistry, pull.BytesFromPeers) = bytes;
            }
            pull.MBps = duration > TimeSpan.Zero ? _req.Image.SizeBytes / ProbeMetrics.BytesPerMB / duration.TotalSeconds : null;
            log?.Invoke($"Node {node} seeded in {duration.TotalSeconds:0.#} s{(pull.MBps is { } r ? $" ({r:0.#} MB/s)" : "")}: {imageId}.");
            CloseWaves(now);
            return new SeedCompletedEvent(now, node, duration, _req.Image.SizeBytes);
        }

        SeedEvent Fail(string node, string reason, bool nodeLost, DateTimeOffset now)
        {
            var pull = _pulls[node];
            _inFlight.Remove(node);
            pull.End = now;
            pull.Duration = now - pull.Start;
            pull.Succeeded = false;
            pull.Error = reason;
            _failedPulls.Add(pull);
            _pulls.Remove(node);
            log?.Invoke($"Seed pull on node {node} failed: {reason}.");
            _ = DeletePodsAsync([pull.Pod]);
            CloseWaves(now);
            return new SeedFailedEvent(now, node, reason, nodeLost);
        }

        /// <summary>The policy replaces stragglers: their seed pods go, and no event about them reaches the policy again.</summary>
        void Cancel(CancelSeedsAction action, DateTimeOffset now)
        {
            var pods = new List<string>();
            foreach (var node in action.Nodes.Where(_inFlight.Contains))
            {
                var pull = _pulls[node];
                _inFlight.Remove(node);
                pull.End = now;
                pull.Duration = now - pull.Start;
                pull.Succeeded = false;
                pull.Replaced = true;
                pull.Error = "replaced as a straggler: " + action.Reason;
                _failedPulls.Add(pull);
                _pulls.Remove(node);
                pods.Add(pull.Pod);
                log?.Invoke($"Seed pull on node {node} replaced as a straggler: {action.Reason}.");
            }
            if (pods.Count > 0)
            {
                _ = DeletePodsAsync(pods);
            }
            CloseWaves(now);
        }

        void CloseWaves(DateTimeOffset now)
        {
            foreach (var wave in _waves.Where(w => w.End is null))
            {
                if (wave.Nodes.All(n => !_inFlight.Contains(n)))
                {
                    wave.End = now;
                }
            }
        }

        Task WatchPodsAsync(CancellationToken ct) =>
            HelperPods.WatchAsync(_gw, _req.Namespace, SeedPod.Selector(_req.RunId), "watch seed pods", (type, pod) => _inbox.Writer.TryWrite(new PodSeen(type, pod)), ct);

        Task WatchNodesAsync(CancellationToken ct) =>
            HelperPods.WatchNodesAsync(_gw, (type, node) => _inbox.Writer.TryWrite(new NodeSeen(type, node)), ct);

        void StartProbes(StartProbesAction action)
        {
            if (_probeTask is not null || _req.ProbeBlobUrl is null || action.Nodes.Count == 0)
            {
                if (_req.ProbeBlobUrl is null)
                {
                    _inbox.Writer.TryWrite(new ProbesEnded("no registry blob to probe"));
                }
                return;
            }
            var options = new ProbePodOptions
            {
                Namespace = _req.Namespace,
                RunId = _req.RunId,
                BlobUrl = _req.ProbeBlobUrl,
                Image = _req.ProbeImage,
                ImagePullSecret = _req.ProbePullSecret,
                SampleBytes = _req.ProbeSampleBytes,
                Interval = action.Interval,
                Duration = action.MaxDuration,
            };
            var nodes = prep.Eligibility.Eligible.Where(n => action.Nodes.Contains(n.Name))
                .Select(n => new ProbeTarget(n.Name, n.Taints.Select(t => t.Value is null ? $"{t.Key}:{t.Effect}" : $"{t.Key}={t.Value}:{t.Effect}").ToArray()))
                .ToArray();
            var plan = InClusterProber.Plan(options, nodes);
            _probeStop = new CancellationTokenSource();
            var token = _probeStop.Token;
            _probeTask = Task.Run(async () =>
            {
                try
                {
                    var outcome = await new InClusterProber(_gw).RunAsync(plan, null, s => _inbox.Writer.TryWrite(new ProbeSample(s)), log, token).ConfigureAwait(false);
                    _inbox.Writer.TryWrite(new ProbesEnded(outcome.Failures.Count > 0
                        ? "probe pods ended: " + string.Join("; ", outcome.Failures.Select(f => $"{f.Key}: {f.Value}"))
                        : "the probe pods finished their samples"));
                }
                catch (OperationCanceledException)
                {
                }
                catch (ClydeException e)
                {
                    _inbox.Writer.TryWrite(new ProbesEnded("probing failed: " + e.Message));
                }
            }, CancellationToken.None);
        }

        async Task StopProbesAsync()
        {
            if (_probeTask is null)
            {
                return;
            }
            _probeStop!.Cancel();
            try
            {
                await _probeTask.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            _probeStop.Dispose();
            _probeTask = null;
            _probeStop = null;
        }

        Task DeletePodsAsync(IReadOnlyCollection<string> names) => HelperPods.DeleteAsync(_gw, _req.Namespace, names, SeedPod.Role, log);
    }

    /// <summary>
    /// Releases held seed pods: deletes each one whose node runs the workload's pod, following the workload's pods by
    /// watch until every seed pod is released or <paramref name="timeout"/> passes. Returns the pods still held.
    /// </summary>
    public async Task<IReadOnlyList<string>> ReleaseAsync(string ns, IReadOnlyCollection<string> seedPods, string workloadSelector, TimeSpan timeout,
        Action<string>? log, CancellationToken ct)
    {
        var remaining = new Dictionary<string, string>(StringComparer.Ordinal); // node -> pod
        if (seedPods.Count == 0)
        {
            return [];
        }
        var pods = (await _gateway.ListAsync<V1Pod, V1PodList>("list seed pods", ns,
            (c, r, t) => c.CoreV1.ListNamespacedPodWithHttpMessagesAsync(ns, labelSelector: SeedPod.Selector(null), continueParameter: r.Continue, limit: r.Limit, cancellationToken: t),
            ct).ConfigureAwait(false)).Items;
        foreach (var pod in pods.Where(p => seedPods.Contains(p.Metadata.Name) && p.Spec?.NodeName is not null))
        {
            remaining[pod.Spec.NodeName] = pod.Metadata.Name;
        }
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await foreach (var (type, pod) in _gateway.WatchAsync<V1Pod, V1PodList>("watch workload pods", ns,
                (c, r, t) => c.CoreV1.ListNamespacedPodWithHttpMessagesAsync(ns, labelSelector: workloadSelector, continueParameter: r.Continue, limit: r.Limit,
                    watch: r.Watch, resourceVersion: r.ResourceVersion, allowWatchBookmarks: r.AllowWatchBookmarks, timeoutSeconds: r.TimeoutSeconds,
                    cancellationToken: t), limit.Token).ConfigureAwait(false))
            {
                if (type == WatchEventType.Deleted || pod.Spec?.NodeName is not { } node || !remaining.TryGetValue(node, out var seed))
                {
                    continue;
                }
                if (pod.Status?.Phase == "Running" || pod.Status?.ContainerStatuses?.Any(c => c.State?.Running is not null) == true)
                {
                    remaining.Remove(node);
                    await _gateway.CallAsync("delete seed pod", $"{ns}/{seed}", async (c, t) =>
                    {
                        try
                        {
                            await c.CoreV1.DeleteNamespacedPodAsync(seed, ns, gracePeriodSeconds: 0, cancellationToken: t).ConfigureAwait(false);
                        }
                        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
                        {
                        }
                    }, ct).ConfigureAwait(false);
                    log?.Invoke($"The workload runs on {node}: deleted seed pod {ns}/{seed}.");
                    if (remaining.Count == 0)
                    {
                        break;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // the time allowed for releasing ran out: the rest stay held
        }
        return remaining.Values.OrderBy(p => p, StringComparer.Ordinal).ToArray();
    }
}
