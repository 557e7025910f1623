using System.Collections.Immutable;
using System.Globalization;
using ClydePS.Engine.Probe;

namespace ClydePS.Engine.Seeding;

/// <summary>
/// The Doubling and Adaptive policies (one reducer; Doubling never monitors). See README.md in this folder.
/// Invariants: pulls start only on unused candidates (eligible, not already seeded, never started, so never a failed
/// node), in pick order; outside the public pre-seed, seeded + running never exceeds the stop target.
/// </summary>
internal sealed class WaveSeedPolicy : ISeedPolicy
{
    private readonly SeedStrategy _strategy;

    public WaveSeedPolicy(SeedStrategy strategy) => _strategy = strategy;

    public string Name => _strategy.ToString();

    public SeedStep Begin(SeedPlan plan, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(plan);
        plan.Options.Validate();
        if (plan.AlreadySeeded.Any(n => !plan.Eligible.Contains(n)))
        {
            throw new ArgumentException("AlreadySeeded must name eligible nodes only.", nameof(plan));
        }
        if (plan.Eligible.Distinct(StringComparer.Ordinal).Count() != plan.Eligible.Count)
        {
            throw new ArgumentException("Eligible node names must be unique.", nameof(plan));
        }
        var candidates = plan.Eligible.Where(n => !plan.AlreadySeeded.Contains(n)).ToImmutableArray();
        var path = _strategy == SeedStrategy.Doubling ? SeedPath.Doubling
            : plan.ClusterClass == ClusterNetworkClass.Public ? SeedPath.PublicPreSeed
            : SeedPath.Monitored;
        var step = new Step(new SeedRunState { Strategy = _strategy, Path = path, Plan = plan, Candidates = candidates, Now = now }, now);
        var o = plan.Options;
        var eligible = plan.Eligible.Count;
        var already = plan.AlreadySeeded.Count;

        if (path == SeedPath.PublicPreSeed)
        {
            step.Info("Plan", $"{Name}: {eligible} eligible node(s), {already} already hold the image; cluster {plan.ClusterClass}: pre-seed {o.PublicSeeds} node(s) from the registry, then deploy (the stop target does not apply)");
            var need = Math.Max(0, o.PublicSeeds - already);
            var size = Math.Min(need, step.S.Available);
            if (size > 0)
            {
                StartWave(step, size, SeedSource.Registry, expansion: false);
            }
            else
            {
                Deploy(step, o.PublicSeeds == 0 ? "public cluster, no pre-seeding asked (PublicSeeds 0): deploy directly"
                    : need == 0 ? $"public cluster: {already} eligible node(s) already hold the image (PublicSeeds {o.PublicSeeds}): deploy directly"
                    : "public cluster: no eligible node left to pre-seed: deploy directly");
            }
            return step.Result();
        }

        step.Info("Plan", $"{Name}: {eligible} eligible node(s), {already} already hold the image; cluster {plan.ClusterClass}; stop target {plan.Target} = ceil({Num(o.StopRatio)} x {eligible}); initial seeds {plan.InitialSeeds}");
        if (already >= plan.Target)
        {
            Deploy(step, $"stop target reached: {already} of {eligible} eligible node(s) already hold the image (target {plan.Target})");
            return step.Result();
        }
        var first = Math.Min(Math.Min(plan.InitialSeeds, plan.Target - already), step.S.Available);
        // With nodes already seeded, a P2P mirror may serve wave 1 from them, so its source is not known in advance.
        StartWave(step, first, already > 0 ? SeedSource.Unknown : SeedSource.Registry, expansion: false);
        if (path == SeedPath.Monitored)
        {
            StartMonitoring(step);
        }
        return step.Result();
    }

    public SeedStep Next(SeedPolicyState state, SeedEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (state is not SeedRunState s || s.Strategy != _strategy)
        {
            throw new ArgumentException($"The state was not made by the {Name} policy.", nameof(state));
        }
        if (s.Finished)
        {
            return new SeedStep(s, [], []);
        }
        var step = new Step(s, e.At);
        CloseWindowIfDue(step);
        switch (e)
        {
            case SeedCompletedEvent c:
                OnCompleted(step, c);
                break;
            case SeedFailedEvent f:
                OnFailed(step, f);
                break;
            case ProbeSampleEvent p when step.S.Monitor is { } m:
                step.S = step.S with { Monitor = m with { Samples = m.Samples.Add(p.Sample) } };
                break;
            case ProbesEndedEvent pe when step.S.Monitor is not null:
                StopMonitoring(step, $"the probe pods ended ({pe.Reason})");
                break;
        }
        Advance(step);
        return step.Result();
    }

    public IReadOnlyList<IReadOnlyList<string>> PreviewWaves(SeedPlan plan) => SeedPolicies.PreviewWaves(this, plan);

    // ---- events ----

    static void OnCompleted(Step step, SeedCompletedEvent c)
    {
        if (!step.S.Pulls.TryGetValue(c.Node, out var pull) || pull.Status != SeedPullStatus.Running)
        {
            return;
        }
        step.S = step.S with
        {
            Pulls = step.S.Pulls.SetItem(c.Node, pull with { Status = SeedPullStatus.Completed, EndedAt = c.At, Duration = c.Duration, Bytes = c.Bytes }),
            Running = step.S.Running - 1,
            NewlySeeded = step.S.NewlySeeded + 1,
        };
        AfterPullEnded(step, pull.Wave);
    }

    static void OnFailed(Step step, SeedFailedEvent f)
    {
        if (!step.S.Pulls.TryGetValue(f.Node, out var pull) || pull.Status != SeedPullStatus.Running)
        {
            return;
        }
        var o = step.S.Plan.Options;
        step.S = step.S with
        {
            Pulls = step.S.Pulls.SetItem(f.Node, pull with { Status = SeedPullStatus.Failed, EndedAt = f.At, FailureReason = f.Reason, NodeLost = f.NodeLost }),
            Running = step.S.Running - 1,
            Failures = step.S.Failures + 1,
        };
        var what = $"seed pull on {f.Node} failed{(f.NodeLost ? " (node lost)" : "")}: {f.Reason}";
        if (step.S.Failures > o.MaxFailedSeeds)
        {
            step.Info("Failure", $"{what}; {step.S.Failures} failed pulls > MaxFailedSeeds {o.MaxFailedSeeds}");
            if (step.S.Monitor is not null)
            {
                step.Actions.Add(new StopProbesAction());
                step.S = step.S with { Monitor = null };
            }
            step.Actions.Add(new AbortAction($"{step.S.Failures} seed pulls failed, more than MaxFailedSeeds {o.MaxFailedSeeds} (last: {what})"));
            step.Info("Abort", $"abort: {step.S.Failures} seed pulls failed, more than MaxFailedSeeds {o.MaxFailedSeeds}; the workload is not deployed");
            step.S = step.S with { Outcome = $"aborted: {step.S.Failures} seed pulls failed", Aborted = true };
            return;
        }
        if (step.S.Available > 0)
        {
            var replacement = step.S.Candidates[step.S.NextCandidate];
            var wave = step.S.Waves[pull.Wave - 1];
            step.S = step.S with
            {
                NextCandidate = step.S.NextCandidate + 1,
                Pulls = step.S.Pulls.Add(replacement, new SeedPull(replacement, wave.Number, wave.Source, f.At, SeedPullStatus.Running)),
                Running = step.S.Running + 1,
                Waves = step.S.Waves.SetItem(wave.Number - 1, wave with { Nodes = wave.Nodes.Add(replacement), Running = wave.Running + 1 }),
            };
            step.Actions.Add(new StartSeedsAction(wave.Number, [replacement], wave.Source));
            step.Info("Failure", $"{what}; never retried there: replaced by {replacement} in wave {wave.Number} (failure {step.S.Failures}, abort above {o.MaxFailedSeeds})");
        }
        else
        {
            step.Info("Failure", $"{what}; no unused eligible node left to replace it (failure {step.S.Failures}, abort above {o.MaxFailedSeeds})");
        }
        AfterPullEnded(step, pull.Wave);
    }

    static void AfterPullEnded(Step step, int waveNumber)
    {
        var wave = step.S.Waves[waveNumber - 1];
        wave = wave with { Running = wave.Running - 1 };
        if (wave.Running > 0)
        {
            step.S = step.S with { Waves = step.S.Waves.SetItem(waveNumber - 1, wave) };
            return;
        }
        step.S = step.S with { Waves = step.S.Waves.SetItem(waveNumber - 1, wave with { CompletedAt = step.Now }) };
        var done = wave.Nodes.Count(n => step.S.Pulls[n].Status == SeedPullStatus.Completed);
        step.Info("Wave", $"wave {waveNumber} finished: {done} of {wave.Nodes.Count} pull(s) completed; seeded {step.S.Seeded}{TargetText(step.S)}, running {step.S.Running}");
        if (waveNumber == 1 && step.S.Monitor is not null)
        {
            StopMonitoring(step, "the first seed wave completed");
        }
    }

    // ---- monitoring ----

    static void StartMonitoring(Step step)
    {
        var s = step.S;
        var o = s.Plan.Options;
        if (o.ProbeNodes == 0)
        {
            step.Info("Monitoring", "no probe nodes (ProbeNodes 0): no monitoring; classic doubling, one wave at a time");
            return;
        }
        if (s.Plan.Target - s.Seeded - s.Running <= 0 || s.Available == 0)
        {
            step.Info("Monitoring", s.Available == 0
                ? "no monitoring: no eligible node is left for another wave; classic doubling"
                : $"no monitoring: wave 1 already covers the stop target {s.Plan.Target}; classic doubling");
            return;
        }
        // Probe from nodes that pull nothing now: already seeded ones first, then the candidates seeded last;
        // the wave-1 nodes only when too few others exist.
        var wave1 = s.Waves[0].Nodes;
        var probers = s.Plan.Eligible.Where(s.Plan.AlreadySeeded.Contains)
            .Concat(s.Candidates.Skip(s.NextCandidate).Reverse())
            .Concat(wave1)
            .Take(o.ProbeNodes)
            .ToImmutableList();
        var maxDuration = o.MonitorWindow * (1 + o.MaxWindowRetries);
        step.Actions.Add(new StartProbesAction(probers, o.MonitorInterval, maxDuration));
        step.S = s with { Monitor = new SeedMonitor(probers, 1, step.Now, step.Now + o.MonitorWindow, [], 0) };
        var fallback = probers.Any(wave1.Contains) ? " (too few other nodes: probing from seed nodes too)" : "";
        step.Info("Monitoring", $"monitoring the registry from {Names(probers)}{fallback}: a sample every {Secs(o.MonitorInterval)}, a decision every {Secs(o.MonitorWindow)} (first at {step.Now + o.MonitorWindow:HH:mm:ss})");
    }

    static void CloseWindowIfDue(Step step)
    {
        if (step.S.Monitor is not { } m || step.Now < m.WindowEnd)
        {
            return;
        }
        var s = step.S;
        var o = s.Plan.Options;
        var t = o.Thresholds;
        var v = HealthDecision.Decide(m.Samples, t);
        var successful = m.Samples.Count(x => x.Success);
        var compare = string.Create(CultureInfo.InvariantCulture,
            $"{v.BandwidthMBps:0.0} >= {t.BandwidthMBps:0.##} {Bool(v.BandwidthMBps >= t.BandwidthMBps)}; {(v.JitterMs is { } j ? j.ToString("0.0", CultureInfo.InvariantCulture) : "n/a")} <= {t.JitterMs:0.##} {Bool(v.JitterMs is not { } jj || jj <= t.JitterMs)}; {v.DropRatePct:0.0} <= {t.DropRatePct:0.##} {Bool(v.DropRatePct <= t.DropRatePct)}");
        void Window(string verdict, string narrative) =>
            step.Decisions.Add(new SeedDecision(step.Now, "Window", v.BandwidthMBps, v.JitterMs, v.DropRatePct, m.Samples.Count, successful, verdict, $"window {m.Window}: {narrative}"));

        if (v.Decided && v.Healthy)
        {
            var room = s.Plan.Target - s.Seeded - s.Running;
            var size = Math.Min(Math.Min(2 * s.Waves[^1].Size, room), s.Available);
            if (size > 0)
            {
                Window("Healthy", $"{compare}: network healthy, add another seed wave from the source (wave {s.Waves.Count + 1}: {size} node{(size == 1 ? "" : "s")})");
                StartWave(step, size, SeedSource.Registry, expansion: true);
                NewWindow(step, 0);
            }
            else
            {
                Window("Healthy", $"{compare}: network healthy, but no further wave fits ({(s.Available == 0 ? "no unused eligible node left" : $"seeded {s.Seeded} + running {s.Running} = target {s.Plan.Target}")})");
                StopMonitoring(step, "no further wave can start");
            }
        }
        else if (v.Decided)
        {
            Window("Unhealthy", $"{compare}: network unhealthy, keep the current seed count");
            StopMonitoring(step, "the network is unhealthy");
        }
        else
        {
            var undecided = m.UndecidedInARow + 1;
            var counted = $"{successful} of {m.Samples.Count} samples succeeded (at least {HealthThresholds.MinimumSuccessfulSamples} needed)";
            if (undecided > o.MaxWindowRetries)
            {
                Window("Undecided", $"{counted}: undecided in {undecided} windows in a row (at most {o.MaxWindowRetries} retries), counts as unhealthy");
                StopMonitoring(step, "no window could be decided");
            }
            else
            {
                Window("Undecided", $"{counted}: undecided, retry in window {m.Window + 1} (retry {undecided} of {o.MaxWindowRetries})");
                NewWindow(step, undecided);
            }
        }
    }

    static void NewWindow(Step step, int undecidedInARow)
    {
        var m = step.S.Monitor!;
        step.S = step.S with
        {
            Monitor = m with
            {
                Window = m.Window + 1,
                WindowStart = step.Now,
                WindowEnd = step.Now + step.S.Plan.Options.MonitorWindow,
                Samples = [],
                UndecidedInARow = undecidedInARow,
            },
        };
    }

    static void StopMonitoring(Step step, string why)
    {
        step.Actions.Add(new StopProbesAction());
        step.S = step.S with { Monitor = null };
        step.Info("Monitoring", $"monitoring stopped: {why}; classic doubling from here, one wave at a time");
    }

    // ---- waves ----

    /// <summary>The wave barrier: when nothing runs (and no monitoring), start the next doubling wave or finish.</summary>
    static void Advance(Step step)
    {
        var s = step.S;
        if (s.Finished || s.Monitor is not null || s.Running > 0)
        {
            return;
        }
        if (s.Path == SeedPath.PublicPreSeed)
        {
            Deploy(step, $"public cluster: {s.NewlySeeded} node(s) pre-seeded from the registry ({s.Plan.AlreadySeeded.Count} already held the image); deploy");
            return;
        }
        var eligible = s.Plan.Eligible.Count;
        if (s.Seeded >= s.Plan.Target)
        {
            Deploy(step, $"stop target reached: {s.Seeded} of {eligible} eligible node(s) seeded (target {s.Plan.Target})");
            return;
        }
        var last = s.Waves.Count > 0 ? s.Waves[^1].Size : s.Plan.InitialSeeds;
        var size = Math.Min(Math.Min(2 * last, s.Plan.Target - s.Seeded), s.Available);
        if (size > 0)
        {
            StartWave(step, size, SeedSource.Unknown, expansion: false);
            return;
        }
        Deploy(step, $"stop target {s.Plan.Target} unreachable: no unused eligible node left ({s.Seeded} of {eligible} seeded, {s.Failures} pull(s) failed); deploy with what is seeded");
    }

    static void StartWave(Step step, int size, SeedSource source, bool expansion)
    {
        var s = step.S;
        var nodes = ImmutableList.CreateRange(ImmutableArray.Create(s.Candidates, s.NextCandidate, Math.Min(size, s.Available)));
        var number = s.Waves.Count + 1;
        var pulls = s.Pulls;
        foreach (var n in nodes)
        {
            pulls = pulls.Add(n, new SeedPull(n, number, source, step.Now, SeedPullStatus.Running));
        }
        step.S = s with
        {
            NextCandidate = s.NextCandidate + nodes.Count,
            Pulls = pulls,
            Running = s.Running + nodes.Count,
            Waves = s.Waves.Add(new SeedWave(number, nodes.Count, source, expansion, step.Now, nodes, nodes.Count)),
        };
        step.Actions.Add(new StartSeedsAction(number, nodes, source));
        var from = source switch
        {
            SeedSource.Registry => "from the registry",
            SeedSource.Peers => "from peers",
            _ => "from peers or the registry",
        };
        step.Info("Wave", $"wave {number}{(expansion ? " (expansion)" : "")}: {nodes.Count} node(s) {from}: {Names(nodes)}; seeded {step.S.Seeded} + running {step.S.Running}{TargetText(step.S)}");
    }

    static void Deploy(Step step, string reason)
    {
        step.Actions.Add(new DeployAction(reason));
        step.Info("Deploy", reason);
        step.S = step.S with { Outcome = reason };
    }

    // ---- text ----

    static string TargetText(SeedRunState s) => s.Path == SeedPath.PublicPreSeed ? "" : $" of target {s.Plan.Target}";

    static string Names(IReadOnlyCollection<string> nodes) => PolicyText.Names(nodes);

    static string Bool(bool b) => b ? "true" : "false";

    static string Num(double d) => PolicyText.Num(d);

    static string Secs(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    /// <summary>One step in the making: the evolving state, the actions and the decisions.</summary>
    private sealed class Step(SeedRunState state, DateTimeOffset now)
    {
        public SeedRunState S = state;
        public readonly DateTimeOffset Now = now;
        public readonly List<SeedAction> Actions = [];
        public readonly List<SeedDecision> Decisions = [];

        public void Info(string kind, string narrative) =>
            Decisions.Add(new SeedDecision(Now, kind, null, null, null, 0, 0, "Info", narrative));

        public SeedStep Result() => new(S with { Now = Now }, Actions, Decisions);
    }
}
