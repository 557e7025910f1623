using System.Collections.Concurrent;
using ClydePS.Engine.Seeding;

namespace ClydePS.Engine.Tests.Seeding;

public enum FailureMode
{
    None,
    Few,
    ManyAbort,
    ManyTolerated,
}

/// <summary>One flag combination of the property runs.</summary>
public sealed record SeedCase(int N, SeedStrategy Strategy, ClusterNetworkClass Class, int? Initial, double Ratio, bool SomeSeeded, FailureMode Failures, FakeNetwork Network)
{
    public override string ToString() =>
        $"N={N} {Strategy} {Class} initial={(Initial?.ToString() ?? "auto")} ratio={Ratio} seeded={SomeSeeded} failures={Failures} network={Network}";
}

/// <summary>
/// Properties over N = 1..200 nodes and every flag combination, run by <see cref="FakeSeedDriver"/>:
/// never more than the target seeded + running, never a pull on an ineligible / seeded / failed node, wave sizes
/// as specified, a Deploy or Abort at the end for the right reasons, undecided windows retried at most 3 times.
/// </summary>
public sealed class SeedPolicyPropertyTests
{
    internal static int Index(string node) => int.Parse(node[(node.LastIndexOf('-') + 1)..]);

    /// <summary>N nodes, some of them ineligible in every way eligibility knows (NotReady, cordoned, tainted, wrong arch).</summary>
    internal static List<NodeFacts> Nodes(int n, ClusterNetworkClass cls, bool someSeeded)
    {
        var nodes = new List<NodeFacts>(n);
        for (var i = 0; i < n; i++)
        {
            var taints = new List<TaintFact>();
            if (i % 17 == 16)
            {
                taints.Add(new TaintFact("dedicated", "gpu", "NoSchedule"));
            }
            if (i % 19 == 18)
            {
                taints.Add(new TaintFact("soft", "x", "PreferNoSchedule"));
            }
            var netClass = cls switch
            {
                ClusterNetworkClass.Public => NetworkClass.Public,
                ClusterNetworkClass.Mixed => i % 2 == 0 ? NetworkClass.Public : NetworkClass.Private,
                _ => NetworkClass.Private,
            };
            nodes.Add(new NodeFacts(
                $"node-{i:000}",
                Ready: i % 11 != 10,
                Unschedulable: i % 23 == 22,
                Labels: new Dictionary<string, string> { ["kubernetes.io/hostname"] = $"node-{i:000}" },
                Taints: taints,
                Architecture: i % 29 == 28 ? "arm64" : "amd64",
                OperatingSystem: "linux",
                NetworkClass: netClass,
                Zone: $"zone-{(char)('a' + i % 3)}",
                HoldsImage: someSeeded && i % 7 == 3));
        }
        return nodes;
    }

    internal static Func<string, bool> Failing(FailureMode mode) => mode switch
    {
        FailureMode.Few => n => Index(n) % 41 == 5,
        FailureMode.ManyAbort or FailureMode.ManyTolerated => n => Index(n) % 3 == 1,
        _ => _ => false,
    };

    static readonly ConcurrentDictionary<(int, ClusterNetworkClass, bool), EligibilityResult> EligibilityCache = new();

    internal static (SeedPlan Plan, EligibilityResult Eligibility) Plan(SeedCase c)
    {
        var eligibility = EligibilityCache.GetOrAdd((c.N, c.Class, c.SomeSeeded),
            k => Eligibility.Evaluate(Nodes(k.Item1, k.Item2, k.Item3), WorkloadPlacement.Anywhere, ["linux/amd64"], null));
        var options = new SeedPolicyOptions
        {
            Strategy = c.Strategy,
            StopRatio = c.Ratio,
            InitialSeeds = c.Initial,
            PublicSeeds = c.N % 5,
            MaxFailedSeeds = c.Failures == FailureMode.ManyTolerated ? 1000 : 3,
        };
        return (SeedPlanner.Create(eligibility, options), eligibility);
    }

    internal static FakeRun Run(SeedCase c, SeedPlan? plan = null)
    {
        plan ??= Plan(c).Plan;
        return new FakeSeedDriver().Run(SeedPolicies.For(c.Strategy), plan, new FakeScenario(c.N * 7919 + (int)c.Failures, c.Network, Failing(c.Failures)));
    }

    public static IEnumerable<SeedCase> Cases(int n)
    {
        foreach (var strategy in new[] { SeedStrategy.Doubling, SeedStrategy.Adaptive })
        foreach (var cls in new[] { ClusterNetworkClass.Private, ClusterNetworkClass.Mixed, ClusterNetworkClass.Public })
        foreach (var initial in new int?[] { null, 1, 1000 })
        foreach (var ratio in new[] { 0.1, 0.5, 1.0 })
        foreach (var seeded in new[] { false, true })
        foreach (var failures in Enum.GetValues<FailureMode>())
        foreach (var network in Enum.GetValues<FakeNetwork>())
        {
            // Doubling ignores the network class and the probes; public Adaptive ignores the probes.
            if (strategy == SeedStrategy.Doubling && (cls != ClusterNetworkClass.Private || network != FakeNetwork.Healthy)
                || strategy == SeedStrategy.Adaptive && cls == ClusterNetworkClass.Public && network != FakeNetwork.Healthy)
            {
                continue;
            }
            yield return new SeedCase(n, strategy, cls, initial, ratio, seeded, failures, network);
        }
    }

    /// <summary>
    /// Every flag combination for N = 1..40, every 7th N above and N = 200; for the other N a rotating sixteenth of
    /// the combinations, so every N from 1 to 200 and every combination runs while the suite stays quick.
    /// </summary>
    public static IEnumerable<SeedCase> CasesFor(int n) =>
        n <= 40 || n % 7 == 0 || n == 200 ? Cases(n) : Cases(n).Where((_, i) => i % 16 == n % 16);

    public static TheoryData<int, int> Ranges()
    {
        var data = new TheoryData<int, int>();
        for (var from = 1; from <= 200; from += 25)
        {
            data.Add(from, Math.Min(200, from + 24));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Ranges))]
    public void EveryFlagCombinationKeepsTheInvariants(int from, int to)
    {
        var problems = new ConcurrentBag<string>();
        var cases = Enumerable.Range(from, to - from + 1).SelectMany(CasesFor).ToList();
        Parallel.ForEach(cases, c =>
        {
            try
            {
                foreach (var p in CheckCase(c))
                {
                    problems.Add($"{c}: {p}");
                }
            }
            catch (Exception ex)
            {
                problems.Add($"{c}: threw {ex}");
            }
        });
        Assert.True(problems.IsEmpty, $"{problems.Count} problem(s), first: " + string.Join("\n", problems.OrderBy(p => p, StringComparer.Ordinal).Take(10)));
    }

    static IEnumerable<string> CheckCase(SeedCase c)
    {
        var (plan, _) = Plan(c);
        var run = Run(c, plan);
        foreach (var v in run.Violations)
        {
            yield return v;
        }
        var o = plan.Options;
        var already = plan.AlreadySeeded.Count;
        var isPublic = c.Strategy == SeedStrategy.Adaptive && plan.ClusterClass == ClusterNetworkClass.Public;
        var monitored = c.Strategy == SeedStrategy.Adaptive && !isPublic;

        if (!monitored && run.ProbeStarts > 0)
        {
            yield return "probes started outside the monitored path";
        }
        if (isPublic)
        {
            var want = Math.Min(Math.Max(0, o.PublicSeeds - already), plan.Eligible.Count - already);
            if (want == 0 ? run.Waves.Count != 0 : run.Waves.Count != 1 || run.Waves[0].Size != want || run.Waves[0].Source != SeedSource.Registry)
            {
                yield return $"public pre-seed: expected one registry wave of {want}, got {string.Join(",", run.Waves.Select(w => w.Size))}";
            }
            if (run.MaxNewPlusRunning > Math.Max(0, o.PublicSeeds - already))
            {
                yield return "public pre-seed seeded more than PublicSeeds";
            }
            yield break;
        }

        if (already >= plan.Target)
        {
            if (run.Waves.Count != 0 || run.Deploy is null || run.Actions.Count != 1)
            {
                yield return "target already met: expected Deploy at once and nothing else";
            }
            yield break;
        }
        if (run.MaxSeededPlusRunning > plan.Target)
        {
            yield return "more than the target seeded + running";
        }
        for (var i = 0; i < run.Waves.Count; i++)
        {
            var w = run.Waves[i];
            int expected;
            if (i == 0)
            {
                expected = Math.Min(Math.Min(plan.InitialSeeds, plan.Target - already), w.AvailableBefore);
                var source = already > 0 ? SeedSource.Unknown : SeedSource.Registry;
                if (w.Source != source)
                {
                    yield return $"wave 1 source {w.Source}, expected {source}";
                }
            }
            else if (w.WhileProbing)
            {
                if (!monitored || w.Source != SeedSource.Registry)
                {
                    yield return $"expansion wave {w.Wave} outside monitoring or not from the registry";
                }
                expected = Math.Min(Math.Min(2 * run.Waves[i - 1].Size, plan.Target - w.SeededBefore - w.RunningBefore), w.AvailableBefore);
            }
            else
            {
                if (w.RunningBefore != 0)
                {
                    yield return $"classic wave {w.Wave} started while {w.RunningBefore} pulls ran (no barrier)";
                }
                if (w.Source != SeedSource.Unknown)
                {
                    yield return $"classic wave {w.Wave} source {w.Source}";
                }
                expected = Math.Min(Math.Min(2 * run.Waves[i - 1].Size, plan.Target - w.SeededBefore), w.AvailableBefore);
            }
            if (w.Size != expected)
            {
                yield return $"wave {w.Wave} size {w.Size}, expected {expected}";
            }
        }

        // Windows: undecided at most 1 + MaxWindowRetries in a row; Silent networks never expand.
        var windows = run.Decisions.Where(d => d.Kind == "Window").ToList();
        var inARow = 0;
        foreach (var d in windows)
        {
            inARow = d.Verdict == "Undecided" ? inARow + 1 : 0;
            if (inARow > 1 + o.MaxWindowRetries)
            {
                yield return "undecided window retried more than MaxWindowRetries times";
            }
        }
        var expansions = run.Waves.Count(w => w.WhileProbing);
        var expectedVerdict = c.Network switch
        {
            FakeNetwork.Healthy => "Healthy",
            FakeNetwork.Unhealthy => "Unhealthy",
            _ => "Undecided",
        };
        if (windows.Any(d => d.Verdict != expectedVerdict))
        {
            yield return $"a window's verdict differs from {expectedVerdict}";
        }
        if (c.Network != FakeNetwork.Healthy && expansions > 0)
        {
            yield return "expanded on a network that was not healthy";
        }
        if (c.Network == FakeNetwork.Unhealthy && windows.Count > 1)
        {
            yield return "monitoring went on after an unhealthy window";
        }
        if (c.Network == FakeNetwork.Healthy && windows.Count(d => d.Narrative.Contains("add another seed wave")) != expansions)
        {
            yield return "healthy windows and expansion waves do not match";
        }
        if (c.Network == FakeNetwork.Silent && windows.Count > 1 + o.MaxWindowRetries)
        {
            yield return "more undecided windows than allowed";
        }
    }

    [Fact]
    public void SameInputsGiveTheSameDecisions()
    {
        foreach (var n in new[] { 1, 2, 7, 40, 113, 200 })
        {
            foreach (var c in Cases(n).Where((_, i) => i % 5 == 0))
            {
                Assert.Equal(Run(c).Transcript(), Run(c).Transcript());
            }
        }
    }
}
