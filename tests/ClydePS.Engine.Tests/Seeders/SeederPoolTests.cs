using ClydePS.Engine.Seeders;

namespace ClydePS.Engine.Tests.Seeders;

public sealed class SeederPoolTests
{
    private static readonly SeederLabel Label = SeederLabel.Default;

    internal static ClydeNode Node(string name, string? zone = null, NetworkClass net = NetworkClass.Private, bool ready = true,
        bool schedulable = true, bool controlPlane = false, bool seeder = false) => new()
    {
        Name = name,
        Zone = zone,
        NetworkClass = net,
        Ready = ready,
        Schedulable = schedulable,
        ControlPlane = controlPlane,
        Labels = seeder ? new Dictionary<string, string> { ["p2p-seeder"] = "true" } : new Dictionary<string, string>(),
    };

    private static SeederPlan Plan(IReadOnlyList<ClydeNode> nodes, IReadOnlyList<string>? tracked = null, double pct = 40,
        bool cp = false, bool prune = false) =>
        SeederPool.Plan(nodes, tracked ?? [], new SeederPoolRequest(pct, Label, cp, prune));

    private static string[] Names(SeederPlan plan, SeederAction action) =>
        plan.Entries.Where(e => e.Action == action).Select(e => e.Name).ToArray();

    /// <summary>The cluster after the plan's label changes.</summary>
    private static List<ClydeNode> Apply(IReadOnlyList<ClydeNode> nodes, SeederPlan plan)
    {
        var on = plan.Entries.Where(e => e.LabelChange == true).Select(e => e.Name).ToHashSet();
        var off = plan.Entries.Where(e => e.LabelChange == false).Select(e => e.Name).ToHashSet();
        return nodes.Select(n => on.Contains(n.Name) ? With(n, true) : off.Contains(n.Name) ? With(n, false) : n).ToList();
    }

    private static ClydeNode With(ClydeNode n, bool seeder) =>
        Node(n.Name, n.Zone, n.NetworkClass, n.Ready, n.Schedulable, n.ControlPlane, seeder);

    [Theory]
    [InlineData(10, 40, 4)]
    [InlineData(1, 40, 1)]
    [InlineData(3, 10, 1)]
    [InlineData(10, 30, 3)]
    [InlineData(7, 100, 7)]
    [InlineData(200, 0.5, 1)]
    [InlineData(1000, 12.5, 125)]
    [InlineData(0, 40, 0)]
    public void TargetIsMaxOfOneAndFloorOfEligibleTimesPercentage(int eligible, double pct, int target) =>
        Assert.Equal(target, SeederPool.TargetOf(eligible, pct));

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(100.5)]
    [InlineData(double.NaN)]
    public void RejectsAPercentageOutsideZeroToHundred(double pct)
    {
        var ex = Assert.Throws<ClydeException>(() => Plan([Node("a")], pct: pct));
        Assert.Equal(SeederErrorIds.InvalidPercentage, ex.ErrorId);
        Assert.Equal(ClydeErrorKind.InvalidArgument, ex.Kind);
    }

    [Theory]
    [InlineData("p2p-seeder=true", "p2p-seeder", "true")]
    [InlineData("example.com/seeder=yes", "example.com/seeder", "yes")]
    [InlineData("seeder", "seeder", "true")]
    public void ParsesLabels(string text, string key, string value) =>
        Assert.Equal(new SeederLabel(key, value), SeederLabel.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("=true")]
    [InlineData("bad key=true")]
    [InlineData("key=")]
    [InlineData("key=-bad-")]
    public void RejectsBadLabels(string text) =>
        Assert.Equal(SeederErrorIds.InvalidLabel, Assert.Throws<ClydeException>(() => SeederLabel.Parse(text)).ErrorId);

    [Fact]
    public void AFreshPoolSpreadsAcrossZones()
    {
        var nodes = new[] { "a", "b", "c" }.SelectMany(z => Enumerable.Range(0, 4).Select(i => Node($"{z}-{i}", "zone-" + z))).ToList();
        var plan = Plan(nodes, pct: 25);
        Assert.Equal(12, plan.EligibleCount);
        Assert.Equal(3, plan.Target);
        var added = plan.Entries.Where(e => e.Action == SeederAction.Labelled).ToList();
        Assert.Equal(3, added.Count);
        Assert.Equal(["zone-a", "zone-b", "zone-c"], added.Select(e => e.Node!.Zone).OrderBy(z => z).ToArray());
    }

    [Fact]
    public void AFreshPoolSpreadsAcrossNetworkClassesWithinAZone()
    {
        var nodes = Enumerable.Range(0, 6).Select(i => Node($"p-{i}", "z", NetworkClass.Private))
            .Concat(Enumerable.Range(0, 2).Select(i => Node($"q-{i}", "z", NetworkClass.Public))).ToList();
        var plan = Plan(nodes, pct: 50);
        var added = plan.Entries.Where(e => e.Action == SeederAction.Labelled).ToList();
        Assert.Equal(4, added.Count);
        Assert.Equal(2, added.Count(e => e.Node!.NetworkClass == NetworkClass.Public));
    }

    [Fact]
    public void ReRunningOnTheResultChangesNothing()
    {
        var nodes = Enumerable.Range(0, 20).Select(i => Node($"n-{i:00}", "z" + (i % 3), i % 4 == 0 ? NetworkClass.Public : NetworkClass.Private)).ToList();
        var first = Plan(nodes);
        Assert.Equal(8, Names(first, SeederAction.Labelled).Length);
        var after = Apply(nodes, first);
        var second = Plan(after, first.Pool);
        Assert.Empty(second.Changes);
        Assert.Equal(first.Pool.Order(), Names(second, SeederAction.Kept).Order());
        Assert.Equal(first.Pool, second.Pool);
    }

    [Fact]
    public void TheSameClusterInAnyOrderGivesTheSamePool()
    {
        var nodes = Enumerable.Range(0, 30).Select(i => Node($"n-{i:00}", "z" + (i % 4), i % 3 == 0 ? NetworkClass.Public : NetworkClass.Private)).ToList();
        var expected = Plan(nodes).Pool;
        var random = new Random(7);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(expected, Plan(nodes.OrderBy(_ => random.Next()).ToList()).Pool);
        }
    }

    [Fact]
    public void ANotReadySeederIsUnlabelledAndReplacedInItsZone()
    {
        var nodes = new[] { "a", "b" }.SelectMany(z => Enumerable.Range(0, 5).Select(i => Node($"{z}-{i}", z))).ToList();
        var first = Plan(nodes, pct: 20);
        var pool = first.Pool;
        Assert.Equal(2, pool.Count);
        var cluster = Apply(nodes, first);
        string lost = pool[0];
        string zone = cluster.Single(n => n.Name == lost).Zone!;
        cluster = cluster.Select(n => n.Name == lost ? Node(n.Name, n.Zone, ready: false, seeder: true) : n).ToList();

        var plan = Plan(cluster, pool, pct: 20);
        Assert.Equal(9, plan.EligibleCount);
        Assert.Equal(1, plan.Target);
        var unlabel = plan.Entries.Single(e => e.Name == lost);
        Assert.Equal(SeederAction.Unlabelled, unlabel.Action);
        Assert.Contains("NotReady", unlabel.Reason);
        Assert.Equal([pool[1]], Names(plan, SeederAction.Kept));
        Assert.DoesNotContain(lost, plan.Pool);
    }

    [Fact]
    public void ANotReadySeederIsReplacedBySomeoneInTheSameZoneWhenThePoolNeedsIt()
    {
        var nodes = Enumerable.Range(0, 6).Select(i => Node($"a-{i}", "a")).Concat(Enumerable.Range(0, 5).Select(i => Node($"b-{i}", "b"))).ToList();
        var first = Plan(nodes, pct: 40);
        Assert.Equal(4, first.Pool.Count);
        Assert.Equal(2, first.Pool.Count(n => n.StartsWith("a-", StringComparison.Ordinal)));
        var cluster = Apply(nodes, first);
        string lost = first.Pool.First(n => n.StartsWith("a-", StringComparison.Ordinal));
        cluster = cluster.Select(n => n.Name == lost ? Node(n.Name, n.Zone, ready: false, seeder: true) : n).ToList();
        var plan = Plan(cluster, first.Pool, pct: 40);
        Assert.Equal(4, plan.Target);
        var added = plan.Entries.Where(e => e.Action == SeederAction.Labelled).ToList();
        Assert.Single(added);
        Assert.Equal("a", added[0].Node!.Zone);
    }

    [Fact]
    public void AMissingOrUnlabelledSeederIsDroppedFromTheTrackerAndReplaced()
    {
        var nodes = Enumerable.Range(0, 5).Select(i => Node($"n-{i}", seeder: i == 1)).ToList();
        var plan = Plan(nodes, ["gone", "n-0", "n-1"], pct: 40);
        Assert.Equal(2, plan.Target);
        Assert.Equal(SeederAction.Dropped, plan.Entries.Single(e => e.Name == "gone").Action);
        Assert.Equal(SeederAction.Dropped, plan.Entries.Single(e => e.Name == "n-0").Action);
        Assert.Equal(["n-1"], Names(plan, SeederAction.Kept));
        var added = Names(plan, SeederAction.Labelled);
        Assert.Single(added);
        Assert.NotEqual("n-0", added[0]);
    }

    [Fact]
    public void ControlPlaneAndCordonedNodesAreNotEligibleUnlessAsked()
    {
        var nodes = new List<ClydeNode>
        {
            Node("cp", controlPlane: true), Node("cordoned", schedulable: false), Node("down", ready: false), Node("w-1"), Node("w-2"),
        };
        var plan = Plan(nodes, pct: 100);
        Assert.Equal(2, plan.EligibleCount);
        Assert.Equal(["w-1", "w-2"], Names(plan, SeederAction.Labelled).Order().ToArray());
        var withCp = Plan(nodes, pct: 100, cp: true);
        Assert.Equal(3, withCp.EligibleCount);
        Assert.Contains("cp", Names(withCp, SeederAction.Labelled));
    }

    [Fact]
    public void SurplusSeedersAreReportedAndPrunedOnlyWithPrune()
    {
        var nodes = Enumerable.Range(0, 10).Select(i => Node($"n-{i}", "z" + (i % 2), seeder: i < 5)).ToList();
        var tracked = Enumerable.Range(0, 5).Select(i => $"n-{i}").ToArray();
        var plan = Plan(nodes, tracked, pct: 30);
        Assert.Equal(3, plan.Target);
        Assert.Equal(3, Names(plan, SeederAction.Kept).Length);
        Assert.Equal(2, Names(plan, SeederAction.Surplus).Length);
        Assert.Empty(plan.Changes);
        Assert.Equal(5, plan.Pool.Count);

        var pruned = Plan(nodes, tracked, pct: 30, prune: true);
        Assert.Equal(Names(plan, SeederAction.Surplus), Names(pruned, SeederAction.Unlabelled));
        Assert.Equal(3, pruned.Pool.Count);
        // The pool that stays is spread: both zones keep a seeder.
        Assert.Equal(2, pruned.Pool.Select(n => nodes.Single(x => x.Name == n).Zone).Distinct().Count());
    }

    [Fact]
    public void LabelledNodesMissingFromTheTrackerAreAdoptedSoTheTargetIsNotExceeded()
    {
        var nodes = Enumerable.Range(0, 10).Select(i => Node($"n-{i}", seeder: i is 3 or 7)).ToList();
        var plan = Plan(nodes, [], pct: 40);
        Assert.Equal(["n-3", "n-7"], Names(plan, SeederAction.Kept).Order().ToArray());
        Assert.All(plan.Entries.Where(e => e.Action == SeederAction.Kept), e => Assert.Contains("adopted", e.Reason));
        Assert.Equal(2, Names(plan, SeederAction.Labelled).Length);
        Assert.Equal(4, plan.Pool.Count);
    }

    [Fact]
    public void ATrackedSeederIsPreferredToAnAdoptedOneWhenOnlyOneFits()
    {
        var nodes = Enumerable.Range(0, 4).Select(i => Node($"n-{i}", seeder: i is 0 or 3)).ToList();
        var plan = Plan(nodes, ["n-3"], pct: 25);
        Assert.Equal(["n-3"], Names(plan, SeederAction.Kept));
        Assert.Equal(["n-0"], Names(plan, SeederAction.Surplus));
    }

    [Fact]
    public void PropertiesHoldOverManyRandomClusters()
    {
        var random = new Random(12345);
        for (int round = 0; round < 300; round++)
        {
            int count = random.Next(1, 60);
            var nodes = Enumerable.Range(0, count).Select(i => Node($"n-{i:00}",
                random.Next(4) == 0 ? null : "z" + random.Next(3),
                random.Next(3) == 0 ? NetworkClass.Public : NetworkClass.Private,
                ready: random.Next(8) != 0, schedulable: random.Next(10) != 0, controlPlane: random.Next(15) == 0,
                seeder: random.Next(4) == 0)).ToList();
            var tracked = nodes.Where(_ => random.Next(3) == 0).Select(n => n.Name).Append("ghost-" + round).ToArray();
            double pct = random.Next(1, 101);
            bool prune = random.Next(2) == 0;
            var plan = Plan(nodes, tracked, pct, prune: prune);
            var eligible = nodes.Where(n => n.Ready && n.Schedulable && !n.ControlPlane).ToList();
            Assert.Equal(eligible.Count, plan.EligibleCount);
            if (eligible.Count == 0)
            {
                Assert.Empty(plan.Pool);
                continue;
            }

            var after = Apply(nodes, plan);
            var labelled = after.Where(n => Label.IsOn(n.Labels)).ToList();
            // Every labelled node afterwards is eligible, in the pool, and never more than the target unless surplus is kept.
            Assert.All(labelled, n => Assert.Contains(n, eligible.Select(e => after.Single(a => a.Name == e.Name))));
            Assert.Equal(labelled.Select(n => n.Name).Order(), plan.Pool.Order());
            Assert.True(plan.Pool.Count >= Math.Min(plan.Target, eligible.Count));
            if (prune)
            {
                Assert.Equal(plan.Target, plan.Pool.Count);
            }

            // Stable: running again on the result changes nothing.
            var again = Plan(after, plan.Pool, pct, prune: prune);
            Assert.Empty(again.Changes);
            Assert.Equal(plan.Pool.Order(), again.Pool.Order());
        }
    }

    [Fact]
    public void CompleteRecordsOutcomesAndTheTrackersNewContent()
    {
        var nodes = new List<ClydeNode> { Node("a"), Node("b"), Node("c", ready: false, seeder: true), Node("d") };
        var plan = Plan(nodes, ["c", "gone"], pct: 100);
        Assert.Equal(["a", "b", "d"], Names(plan, SeederAction.Labelled).Order().ToArray());
        var outcomes = new Dictionary<string, LabelOutcome>
        {
            ["a"] = new("a", true, null),
            ["b"] = new("b", true, new ClydeException(ClydeErrorKind.Forbidden, "ClydeApiForbidden", "Cannot label node b: forbidden.", "b")),
            ["c"] = new("c", false, null),
            ["d"] = new("d", true, null),
        };
        var result = SeederPool.Complete(plan, outcomes, new HashSet<string>(), false, Label, "/t.json");
        Assert.Equal(["a", "d"], result.Tracker.Order().ToArray());
        var byName = result.Seeders.ToDictionary(s => s.Name);
        Assert.Equal(SeederStatus.Healthy, byName["a"].Status);
        Assert.Equal(SeederAction.Labelled, byName["a"].Action);
        Assert.Equal(SeederAction.Skipped, byName["b"].Action);
        Assert.Contains("forbidden", byName["b"].Reason);
        Assert.False(byName["b"].Labelled);
        Assert.Equal(SeederAction.Unlabelled, byName["c"].Action);
        Assert.Equal(SeederStatus.NotSeeder, byName["c"].Status);
        Assert.Equal(SeederAction.Dropped, byName["gone"].Action);
        Assert.False(byName["gone"].Exists);

        var whatIf = SeederPool.Complete(plan, new Dictionary<string, LabelOutcome>(), new HashSet<string>(), true, Label, "/t.json");
        var w = whatIf.Seeders.ToDictionary(s => s.Name);
        Assert.Equal(SeederAction.WouldLabel, w["a"].Action);
        Assert.Equal(SeederAction.WouldUnlabel, w["c"].Action);
        Assert.Equal(SeederAction.WouldDrop, w["gone"].Action);
        Assert.False(w["a"].Labelled);
        Assert.Equal(SeederStatus.NotReady, w["c"].Status);
    }

    [Fact]
    public void DescribeJoinsLabelsWithTheTracker()
    {
        var nodes = new List<ClydeNode>
        {
            Node("healthy", seeder: true), Node("down", ready: false, seeder: true), Node("cordoned", schedulable: false, seeder: true),
            Node("untracked", seeder: true), Node("unlabelled"), Node("other"),
        };
        var pool = SeederPool.Describe(nodes, ["healthy", "down", "cordoned", "unlabelled", "missing"], Label, "/t.json").ToDictionary(s => s.Name);
        Assert.Equal(6, pool.Count);
        Assert.Equal(SeederStatus.Healthy, pool["healthy"].Status);
        Assert.Equal(SeederStatus.NotReady, pool["down"].Status);
        Assert.Equal(SeederStatus.Cordoned, pool["cordoned"].Status);
        Assert.Equal(SeederStatus.Untracked, pool["untracked"].Status);
        Assert.Equal(SeederStatus.Unlabelled, pool["unlabelled"].Status);
        Assert.Equal(SeederStatus.Missing, pool["missing"].Status);
        Assert.Null(pool["missing"].NetworkClass);
        Assert.DoesNotContain("other", pool.Keys);
    }

    [Fact]
    public void PatchBodiesAreMergePatchesOfTheLabel()
    {
        Assert.Equal("{\"metadata\":{\"labels\":{\"p2p-seeder\":\"true\"}}}", SeederService.PatchBody(Label, true));
        Assert.Equal("{\"metadata\":{\"labels\":{\"p2p-seeder\":null}}}", SeederService.PatchBody(Label, false));
    }
}
