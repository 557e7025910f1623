using ClydePS.Engine.Seeding;

namespace ClydePS.Engine.Tests.Seeding;

public sealed class SeedTargetsTests
{
    [Theory]
    [InlineData(10, 0.5, 5)]
    [InlineData(11, 0.5, 6)]
    [InlineData(30, 0.1, 3)] // 0.1 x 30 is 3.0000000000000004 in double: still 3
    [InlineData(7, 0.3, 3)] // 2.1 -> 3
    [InlineData(1, 0.5, 1)]
    [InlineData(1, 0.01, 1)]
    [InlineData(0, 0.5, 0)]
    [InlineData(200, 1.0, 200)]
    [InlineData(200, 0.5, 100)]
    [InlineData(3, 0.34, 2)]
    public void StopTargetIsTheCeilingOfRatioTimesEligible(int eligible, double ratio, int expected) =>
        Assert.Equal(expected, SeedTargets.StopTarget(eligible, ratio));

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void StopRatioOutsideZeroToOneIsRejected(double ratio) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SeedTargets.StopTarget(10, ratio));

    [Theory]
    [InlineData(10, null, 5, 2)] // max(2, 1)
    [InlineData(30, null, 15, 3)]
    [InlineData(39, null, 20, 3)] // floor(3.9)
    [InlineData(200, null, 100, 20)]
    [InlineData(1, null, 1, 1)] // auto 2, capped at the target
    [InlineData(0, null, 0, 0)]
    [InlineData(100, 0, 50, 10)] // 0 = automatic, as clydectl's --initial-seeds 0
    [InlineData(100, 7, 50, 7)]
    [InlineData(5, 7, 3, 3)] // explicit, capped at the target
    [InlineData(200, 1, 100, 1)]
    public void InitialSeedsDefaultsToTenPercentAtLeastTwoCappedAtTheTarget(int eligible, int? requested, int target, int expected) =>
        Assert.Equal(expected, SeedTargets.InitialSeeds(eligible, requested, target));

    [Fact]
    public void NegativeInitialSeedsAreRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SeedTargets.InitialSeeds(10, -1, 5));

    [Fact]
    public void PlannerCountsAlreadySeededNodesTowardTheTarget()
    {
        var nodes = Enumerable.Range(0, 9).Select(i => EligibilityTests.Node($"n{i}", holds: i < 2)).ToList();
        var plan = SeedPlanner.Create(Eligibility.Evaluate(nodes, WorkloadPlacement.Anywhere, [], null), new SeedPolicyOptions());
        Assert.Equal(5, plan.Target); // ceil(4.5)
        Assert.Equal(2, plan.InitialSeeds);
        Assert.Equal(9, plan.Eligible.Count);
        Assert.Equal(["n0", "n1"], plan.AlreadySeeded.Order());
        Assert.Equal(ClusterNetworkClass.Private, plan.ClusterClass);
    }

    [Theory]
    [InlineData("StopRatio")]
    [InlineData("InitialSeeds")]
    [InlineData("PublicSeeds")]
    [InlineData("MonitorWindow")]
    [InlineData("MonitorInterval")]
    [InlineData("MaxWindowRetries")]
    [InlineData("MaxFailedSeeds")]
    [InlineData("ProbeNodes")]
    public void PlannerRejectsInvalidOptions(string which)
    {
        var o = which switch
        {
            "StopRatio" => new SeedPolicyOptions { StopRatio = 1.5 },
            "InitialSeeds" => new SeedPolicyOptions { InitialSeeds = -1 },
            "PublicSeeds" => new SeedPolicyOptions { PublicSeeds = -2 },
            "MonitorWindow" => new SeedPolicyOptions { MonitorWindow = TimeSpan.Zero },
            "MonitorInterval" => new SeedPolicyOptions { MonitorInterval = TimeSpan.FromSeconds(-1) },
            "MaxWindowRetries" => new SeedPolicyOptions { MaxWindowRetries = -1 },
            "MaxFailedSeeds" => new SeedPolicyOptions { MaxFailedSeeds = -1 },
            _ => new SeedPolicyOptions { ProbeNodes = -1 },
        };
        var eligibility = Eligibility.Evaluate([EligibilityTests.Node("a")], WorkloadPlacement.Anywhere, [], null);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => SeedPlanner.Create(eligibility, o));
        Assert.Contains(which == "StopRatio" ? "stopRatio" : which, ex.ParamName);
    }
}
