using System.Globalization;
using System.Text;
using ClydePS.Engine.Probe;
using ClydePS.Engine.Seeding;

namespace ClydePS.Engine.Tests.Seeding;

/// <summary>How the probed network behaves in a fake run.</summary>
public enum FakeNetwork
{
    /// <summary>~60-120 MB/s, ttfb 10 +- 2 ms, no drops: every decided window is healthy.</summary>
    Healthy,

    /// <summary>5-20 MB/s: every decided window is unhealthy.</summary>
    Unhealthy,

    /// <summary>Every sample fails: every window is undecided.</summary>
    Silent,
}

/// <summary>One fake run's inputs. FailsOn: nodes whose pull fails (NodeLost for the even-numbered ones).</summary>
public sealed record FakeScenario(int Seed, FakeNetwork Network, Func<string, bool> FailsOn, double MinPullSeconds = 10, double MaxPullSeconds = 120);

/// <summary>One wave start the driver saw, with its own count of seeded and running nodes just before it.</summary>
public sealed record WaveStart(int Wave, int Size, SeedSource Source, int SeededBefore, int RunningBefore, int AvailableBefore, bool WhileProbing, DateTimeOffset At);

public sealed class FakeRun
{
    public List<(DateTimeOffset At, SeedAction Action)> Actions { get; } = [];
    public List<SeedDecision> Decisions { get; } = [];
    public List<WaveStart> Waves { get; } = [];
    public List<string> Violations { get; } = [];
    public int Replacements { get; set; }
    public int Failures { get; set; }
    public int MaxSeededPlusRunning { get; set; }
    public int MaxNewPlusRunning { get; set; }
    public DeployAction? Deploy { get; set; }
    public AbortAction? Abort { get; set; }
    public int ProbeStarts { get; set; }
    public SeedRunState? Final { get; set; }

    /// <summary>Everything the policy said, as text, to compare runs.</summary>
    public string Transcript()
    {
        var sb = new StringBuilder();
        foreach (var (at, a) in Actions)
        {
            sb.Append(at.ToString("O", CultureInfo.InvariantCulture)).Append(' ').AppendLine(a switch
            {
                StartSeedsAction s => $"StartSeeds {s.Wave} {s.Source} {string.Join(",", s.Nodes)}",
                StartProbesAction p => $"StartProbes {string.Join(",", p.Nodes)} {p.Interval} {p.MaxDuration}",
                _ => a.ToString(),
            });
        }
        foreach (var d in Decisions)
        {
            sb.AppendLine(d.ToString() + $" [{d.BandwidthMBps} {d.JitterMs} {d.DropRatePct} {d.Samples} {d.SuccessfulSamples}]");
        }
        return sb.ToString();
    }
}

/// <summary>
/// Drives a policy in virtual time with a seeded Random: pull durations, failures and probe samples; it sends a
/// TickEvent at every WakeUpAt and checks the contract's invariants from its own bookkeeping (not the policy's).
/// </summary>
public sealed class FakeSeedDriver
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly PriorityQueue<SeedEvent, (long Ticks, long Seq)> _queue = new();
    private long _seq;

    public FakeRun Run(ISeedPolicy policy, SeedPlan plan, FakeScenario sc)
    {
        var run = new FakeRun();
        var rng = new Random(sc.Seed);
        var eligible = plan.Eligible.ToHashSet(StringComparer.Ordinal);
        var candidates = plan.Eligible.Where(n => !plan.AlreadySeeded.Contains(n)).ToList();
        var started = new HashSet<string>(StringComparer.Ordinal);
        var running = new HashSet<string>(StringComparer.Ordinal);
        var seeded = new HashSet<string>(plan.AlreadySeeded, StringComparer.Ordinal);
        var failed = new HashSet<string>(StringComparer.Ordinal);
        var waveSizes = new Dictionary<int, int>();
        var probeGen = 0;
        var probing = false;
        DateTimeOffset? tickAt = null;
        var isPublicPath = policy.Name == nameof(SeedStrategy.Adaptive) && plan.ClusterClass == ClusterNetworkClass.Public;

        void Check(bool ok, string what)
        {
            if (!ok)
            {
                run.Violations.Add(what);
            }
        }

        void Apply(SeedStep step, DateTimeOffset now, SeedEvent? cause)
        {
            run.Decisions.AddRange(step.Decisions);
            foreach (var action in step.Actions)
            {
                run.Actions.Add((now, action));
                Check(run.Deploy is null && run.Abort is null, $"action {action} after the run finished");
                switch (action)
                {
                    case StartSeedsAction s:
                        var fresh = !waveSizes.ContainsKey(s.Wave);
                        if (fresh)
                        {
                            Check(s.Wave == waveSizes.Count + 1, $"wave {s.Wave} out of order");
                            waveSizes[s.Wave] = s.Nodes.Count;
                            run.Waves.Add(new WaveStart(s.Wave, s.Nodes.Count, s.Source, seeded.Count, running.Count, candidates.Count(n => !started.Contains(n)), probing, now));
                        }
                        else
                        {
                            run.Replacements++;
                            Check(s.Nodes.Count == 1 && cause is SeedFailedEvent, $"wave {s.Wave} grew without a failure");
                        }
                        Check(s.Nodes.Count > 0, "empty wave");
                        foreach (var n in s.Nodes)
                        {
                            Check(eligible.Contains(n), $"pull started on ineligible node {n}");
                            Check(!plan.AlreadySeeded.Contains(n), $"pull started on already seeded node {n}");
                            Check(!failed.Contains(n), $"pull started again on failed node {n}");
                            Check(started.Add(n), $"pull started twice on {n}");
                            running.Add(n);
                            if (sc.FailsOn(n))
                            {
                                var lost = int.Parse(n[(n.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture) % 2 == 0;
                                Enqueue(new SeedFailedEvent(now.AddSeconds(1 + rng.NextDouble() * 40), n, lost ? "node lost" : "ErrImagePull", lost));
                            }
                            else
                            {
                                var d = TimeSpan.FromSeconds(sc.MinPullSeconds + rng.NextDouble() * (sc.MaxPullSeconds - sc.MinPullSeconds));
                                Enqueue(new SeedCompletedEvent(now + d, n, d, 1L << 30));
                            }
                        }
                        run.MaxSeededPlusRunning = Math.Max(run.MaxSeededPlusRunning, seeded.Count + running.Count);
                        run.MaxNewPlusRunning = Math.Max(run.MaxNewPlusRunning, seeded.Count - plan.AlreadySeeded.Count + running.Count);
                        if (!isPublicPath)
                        {
                            Check(seeded.Count + running.Count <= plan.Target, $"seeded {seeded.Count} + running {running.Count} > target {plan.Target}");
                        }
                        break;
                    case StartProbesAction p:
                        run.ProbeStarts++;
                        Check(!probing, "probes started twice");
                        Check(p.Nodes.Count > 0 && p.Nodes.All(eligible.Contains), "probe on a non-eligible node");
                        probing = true;
                        probeGen++;
                        foreach (var n in p.Nodes)
                        {
                            Enqueue(new FakeSample(now + p.Interval, n, probeGen, now + p.MaxDuration, p.Interval));
                        }
                        Enqueue(new FakeProbesEnd(now + p.MaxDuration, probeGen));
                        break;
                    case StopProbesAction:
                        probing = false;
                        probeGen++;
                        break;
                    case DeployAction d:
                        run.Deploy = d;
                        break;
                    case AbortAction a:
                        run.Abort = a;
                        break;
                }
            }
            var wake = step.State.WakeUpAt;
            Check(wake is null || wake >= now, "wake-up in the past");
            if (wake is { } w && w != tickAt)
            {
                tickAt = w;
                Enqueue(new TickEvent(w));
            }
            run.Final = step.State as SeedRunState;
        }

        var step = policy.Begin(plan, T0);
        Apply(step, T0, null);
        var guard = 0;
        while (!step.State.Finished && _queue.TryDequeue(out var e, out _))
        {
            Check(++guard < 100_000, "runaway");
            if (guard >= 100_000)
            {
                break;
            }
            switch (e)
            {
                case FakeSample fs:
                    if (fs.Gen != probeGen)
                    {
                        continue;
                    }
                    if (fs.At + fs.Interval < fs.Until)
                    {
                        Enqueue(fs with { At = fs.At + fs.Interval });
                    }
                    e = new ProbeSampleEvent(fs.At, MakeSample(sc.Network, fs.Node, fs.At, rng));
                    break;
                case FakeProbesEnd pe:
                    if (pe.Gen != probeGen)
                    {
                        continue;
                    }
                    e = new ProbesEndedEvent(pe.At, "probe pods reached their maximum duration");
                    break;
                case SeedCompletedEvent c:
                    running.Remove(c.Node);
                    seeded.Add(c.Node);
                    break;
                case SeedFailedEvent f:
                    running.Remove(f.Node);
                    failed.Add(f.Node);
                    run.Failures++;
                    break;
            }
            step = policy.Next(step.State, e);
            Apply(step, e.At, e);
        }
        Check(step.State.Finished, "the run stalled before Deploy or Abort");
        Check(run.Deploy is null != (run.Abort is null), "exactly one of Deploy and Abort");
        if (run.Deploy is not null)
        {
            Check(running.Count == 0, "deployed while pulls still ran");
            Check(run.Failures <= plan.Options.MaxFailedSeeds, "deployed although too many pulls failed");
            if (!isPublicPath)
            {
                Check(seeded.Count >= plan.Target || candidates.All(started.Contains), "deployed short of the target while unused nodes remained");
            }
        }
        if (run.Abort is not null)
        {
            Check(run.Failures > plan.Options.MaxFailedSeeds, "aborted without too many failures");
        }
        return run;
    }

    static ClydeProbeSample MakeSample(FakeNetwork network, string node, DateTimeOffset at, Random rng)
    {
        switch (network)
        {
            case FakeNetwork.Silent:
                return ProbeMetrics.Sample(node, at, 0, 0, 2, null, "timeout");
            default:
                var mbps = network == FakeNetwork.Healthy ? 60 + rng.NextDouble() * 60 : 5 + rng.NextDouble() * 15;
                var seconds = 1.0;
                return ProbeMetrics.Sample(node, at - TimeSpan.FromSeconds(seconds), 206, (long)(mbps * ProbeMetrics.BytesPerMB * seconds), seconds, 10 + rng.NextDouble() * 4 - 2, null);
        }
    }

    void Enqueue(SeedEvent e) => _queue.Enqueue(e, (e.At.UtcTicks, _seq++));

    sealed record FakeSample(DateTimeOffset At, string Node, int Gen, DateTimeOffset Until, TimeSpan Interval) : SeedEvent(At);

    sealed record FakeProbesEnd(DateTimeOffset At, int Gen) : SeedEvent(At);
}
