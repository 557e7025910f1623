using ClydePS.Engine.Seeders;
using k8s.Models;

namespace ClydePS.Engine.Tests.Seeders;

public sealed class SeederWatchTests
{
    static ClydeNode N(string name, string? zone, NetworkClass net = NetworkClass.Private, bool seeder = false, bool ready = true, bool cp = false) =>
        SeederPoolTests.Node(name, zone, net, ready: ready, controlPlane: cp, seeder: seeder);

    [Fact]
    public void Replacement_prefers_same_zone_and_class_then_zone_then_class()
    {
        var nodes = new[]
        {
            N("a1", "z-a", seeder: true), N("a2", "z-a", NetworkClass.Public), N("a3", "z-a"),
            N("b1", "z-b", seeder: true), N("b2", "z-b"), N("c1", "z-c", NetworkClass.Public), N("cp", "z-a", cp: true),
        };
        string[] pool = ["a1", "b1"];
        Assert.Equal("a3", SeederPool.PickReplacement(nodes, pool, SeederLabel.Default, "z-a", NetworkClass.Private, false)!.Name);
        Assert.Equal("a2", SeederPool.PickReplacement(nodes, pool, SeederLabel.Default, "z-a", NetworkClass.Public, false)!.Name);
        Assert.Equal("c1", SeederPool.PickReplacement(nodes, pool, SeederLabel.Default, "z-x", NetworkClass.Public, false)!.Name);
        // Unknown zone and class (a node gone before it was seen): the zone with the fewest seeders.
        Assert.Equal("c1", SeederPool.PickReplacement(nodes, pool, SeederLabel.Default, null, null, false)!.Name);
        // Never a labelled node, a pool member, a NotReady or (unless asked) a control-plane node.
        var few = new[] { N("s", "z-a", seeder: true), N("down", "z-a", ready: false), N("cp", "z-a", cp: true) };
        Assert.Null(SeederPool.PickReplacement(few, ["s"], SeederLabel.Default, "z-a", NetworkClass.Private, false));
        Assert.Equal("cp", SeederPool.PickReplacement(few, ["s"], SeederLabel.Default, "z-a", NetworkClass.Private, true)!.Name);
    }

    static V1Node Node(string name, bool ready, DateTime? since = null, string? zone = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["topology.kubernetes.io/zone"] = zone ?? "z" } },
        Status = new V1NodeStatus { Conditions = [new V1NodeCondition { Type = "Ready", Status = ready ? "True" : "Unknown", LastTransitionTime = since }] },
    };

    [Fact]
    public void Evaluate_replaces_gone_seeders_and_those_NotReady_beyond_the_grace_period()
    {
        var now = new DateTimeOffset(2024, 1, 1, 12, 0, 0, TimeSpan.Zero);
        var nodes = new Dictionary<string, V1Node>
        {
            ["ok"] = Node("ok", true),
            ["long"] = Node("long", false, now.UtcDateTime.AddSeconds(-90), "z-b"),
            ["short"] = Node("short", false, now.UtcDateTime.AddSeconds(-20)),
            ["seen"] = Node("seen", false),
        };
        var seen = new Dictionary<string, DateTimeOffset> { ["seen"] = now.AddSeconds(-5) };
        var last = new Dictionary<string, ClydeNode> { ["gone"] = N("gone", "z-c", NetworkClass.Public) };
        var (due, wake) = SeederWatch.Evaluate(nodes, ["ok", "long", "short", "seen", "gone"], seen, last, now, TimeSpan.FromSeconds(60));
        Assert.Equal(["gone", "long"], due.Select(d => d.Node));
        Assert.Equal(("z-c", NetworkClass.Public), (due[0].Zone, due[0].NetworkClass));
        Assert.Equal("z-b", due[1].Zone);
        Assert.Contains("NotReady for 90 s", due[1].Reason, StringComparison.Ordinal);
        Assert.Equal(now.AddSeconds(40), wake);
        Assert.Empty(SeederWatch.Evaluate(nodes, ["ok"], seen, last, now, TimeSpan.Zero).Due);
    }
}
