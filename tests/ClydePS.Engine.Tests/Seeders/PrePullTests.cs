using ClydePS.Engine.Seeders;
using ClydePS.Engine.Seeding;
using k8s;
using k8s.Models;

namespace ClydePS.Engine.Tests.Seeders;

public sealed class PrePullImageListTests
{
    [Fact]
    public void Parse_skips_blank_lines_and_comments_and_keeps_order()
    {
        var text = "# images for the seeders\n\nexample.com/a:1\r\n   \n  docker.io/library/busybox:1.36   # helper\n\t# indented comment\nexample.com/a:1\nghcr.io/x/y@sha256:" + new string('a', 64) + "\n";
        var list = PrePullImageList.Parse(text, "images.txt");
        Assert.Equal(["example.com/a:1", "docker.io/library/busybox:1.36", "ghcr.io/x/y@sha256:" + new string('a', 64)], list.Select(i => i.Reference));
        Assert.Equal([3, 5, 8], list.Select(i => i.Line));
    }

    [Fact]
    public void Parse_names_the_first_invalid_line()
    {
        var e = Assert.Throws<ClydeException>(() => PrePullImageList.Parse("example.com/a:1\n\n# c\nNot Valid//x\nexample.com/b:1\n", "/tmp/images.txt"));
        Assert.Equal(SeederErrorIds.InvalidImageList, e.ErrorId);
        Assert.Equal(ClydeErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("Line 4", e.Message, StringComparison.Ordinal);
        Assert.Contains("/tmp/images.txt", e.Message, StringComparison.Ordinal);
        Assert.Contains("Not Valid//x", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# nothing\n\n   \n")]
    public void Parse_rejects_a_list_without_images(string text)
    {
        var e = Assert.Throws<ClydeException>(() => PrePullImageList.Parse(text, "images.txt"));
        Assert.Equal(SeederErrorIds.NoImages, e.ErrorId);
    }

    [Fact]
    public void Read_reports_a_missing_file()
    {
        var e = Assert.Throws<ClydeException>(() => PrePullImageList.Read(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "images.txt")));
        Assert.Equal(SeederErrorIds.ImageFileNotFound, e.ErrorId);
    }

    [Fact]
    public void FromArguments_validates_each_reference_and_drops_duplicates()
    {
        Assert.Equal(["a.io/x:1", "b.io/y:2"], PrePullImageList.FromArguments(["a.io/x:1", " b.io/y:2 ", "a.io/x:1"]).Select(i => i.Reference));
        Assert.Throws<ClydeException>(() => PrePullImageList.FromArguments(["a.io/x:1", "UPPER/Case"]));
    }
}

public sealed class PrePullNamesTests
{
    const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public void Names_are_stable_and_differ_by_image_digest_and_node()
    {
        var key = PrePullNames.ImageKey("example.com/llm/server:v1", Digest);
        Assert.Equal(key, PrePullNames.ImageKey("example.com/llm/server:v1", Digest));
        Assert.NotEqual(key, PrePullNames.ImageKey("example.com/llm/server:v2", Digest));
        Assert.NotEqual(key, PrePullNames.ImageKey("example.com/llm/server:v1", Digest.Replace('0', '1')));
        Assert.Equal(10, key.Length);
        Assert.Equal($"clydeps-prepull-{key}-w-1", PrePullNames.PodName(key, "w-1"));
        Assert.NotEqual(PrePullNames.PodName(key, "w-1"), PrePullNames.PodName(key, "w-2"));
    }

    [Theory]
    [InlineData("ip-10-0-0-1.eu-west-1.compute.internal")]
    [InlineData("a-very-long-node-name-that-would-not-fit-into-sixty-three-characters")]
    [InlineData("Node_With_Odd.Chars")]
    [InlineData("w-1")]
    public void Names_are_valid_dns_labels_for_any_node(string node)
    {
        foreach (var image in new[] { "busybox", "registry.example.com:5000/team/app@sha256:" + new string('f', 64), "a/b/c/d/e:very_long-tag.1" })
        {
            var name = PrePullNames.PodName(PrePullNames.ImageKey(image, Digest), node);
            Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", name);
            Assert.True(name.Length <= 63, name);
            Assert.Equal(name, PrePullNames.PodName(PrePullNames.ImageKey(image, Digest), node));
        }
    }
}

public sealed class PrePullLogTests
{
    [Fact]
    public void Format_is_the_originals()
    {
        var at = new DateTimeOffset(2024, 5, 1, 12, 3, 4, 56, TimeSpan.Zero);
        Assert.Equal("2024-05-01 12:03:04,056 - clyde-seeder - INFO - pulled x", PrePullLog.Format(at, "clyde-seeder", "info", "pulled x"));
        Assert.Equal("2024-05-01 12:03:04,056 - l - ERROR - a b", PrePullLog.Format(at, "l", "ERROR", "a\nb"));
    }

    [Fact]
    public void Writes_append_lines()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "seeder.log");
        using (var log = new PrePullLog(path))
        {
            log.Info("one");
            log.Warning("two");
        }
        using (var log = new PrePullLog(path))
        {
            log.Error("three");
        }
        var lines = File.ReadAllLines(path);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - clyde-seeder - WARNING - two$", lines[1]);
        Assert.EndsWith(" - ERROR - three", lines[2], StringComparison.Ordinal);
    }
}

public sealed class PrePullRunnerTests
{
    static V1Node Node(string name, bool ready = true, bool labelled = true, bool cordoned = false, params V1Taint[] taints) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Labels = labelled ? new Dictionary<string, string> { ["p2p-seeder"] = "true" } : new Dictionary<string, string>(),
        },
        Spec = new V1NodeSpec { Unschedulable = cordoned, Taints = taints.ToList() },
        Status = new V1NodeStatus { Conditions = [new V1NodeCondition { Type = "Ready", Status = ready ? "True" : "Unknown" }] },
    };

    [Fact]
    public void Seeders_are_the_labelled_ready_schedulable_nodes_with_tolerations_for_their_taints()
    {
        var nodes = new[]
        {
            Node("b"), Node("a", taints: [new V1Taint { Key = "dedicated", Value = "gpu", Effect = "NoSchedule" }, new V1Taint { Key = "soft", Effect = "PreferNoSchedule" }]),
            Node("c", ready: false, taints: [new V1Taint { Key = "node.kubernetes.io/unreachable", Effect = "NoExecute" }]),
            Node("d", cordoned: true), Node("e", labelled: false),
            Node("f", taints: [new V1Taint { Key = "only-key", Effect = "NoExecute" }, new V1Taint { Key = "node.kubernetes.io/not-ready", Effect = "NoExecute" }]),
        };
        var (seeders, skipped) = PrePullRunner.SeedersOf(nodes, SeederLabel.Default);
        Assert.Equal(["a", "b", "f"], seeders.Select(s => s.Node));
        Assert.Equal([("c", "NotReady"), ("d", "cordoned (unschedulable)")], skipped);
        var gpu = Assert.Single(seeders[0].Tolerations);
        Assert.Equal(("dedicated", "Equal", "gpu", "NoSchedule"), (gpu.Key, gpu.OperatorProperty, gpu.Value, gpu.Effect));
        Assert.Empty(seeders[1].Tolerations);
        var only = Assert.Single(seeders[2].Tolerations);
        Assert.Equal(("only-key", "Exists", (string?)null, "NoExecute"), (only.Key, only.OperatorProperty, only.Value, only.Effect));
    }

    static V1Pod Holder(string name, string node, string image, string digest, string? hold = "p2p-seeder=true") => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Labels = new Dictionary<string, string> { ["clydeps.io/role"] = "prepull" },
            Annotations = new Dictionary<string, string> { [SeedPod.ImageAnnotation] = image, [SeedPod.DigestAnnotation] = digest }
                .Concat(hold is null ? [] : new[] { KeyValuePair.Create(PrePullRunner.HoldAnnotation, hold) }).ToDictionary(kv => kv.Key, kv => kv.Value),
        },
        Spec = new V1PodSpec { NodeName = node },
    };

    static PrePullImageSpec Spec(string reference, string digest) => new(reference, new ClydeImage { Reference = reference, Digest = digest });

    [Fact]
    public void Stale_holders_are_those_of_lost_seeders_dropped_images_and_moved_tags()
    {
        var nodes = new[] { Node("s1"), Node("s2"), Node("x", labelled: false) };
        var pods = new[]
        {
            Holder("keep", "s1", "a.io/x:1", "sha256:1"),
            Holder("unlabelled", "x", "a.io/x:1", "sha256:1"),
            Holder("gone", "s9", "a.io/x:1", "sha256:1"),
            Holder("dropped", "s2", "a.io/old:1", "sha256:2"),
            Holder("moved", "s2", "a.io/x:1", "sha256:0"),
            Holder("other-label", "x", "a.io/x:1", "sha256:1", hold: "pool=b"),
            Holder("not-a-holder", "x", "a.io/x:1", "sha256:1", hold: null),
        };
        var listed = new[] { Spec("a.io/x:1", "sha256:1") };
        var stale = PrePullRunner.StaleHolders(pods, nodes, SeederLabel.Default, listed);
        Assert.Equal(["dropped", "gone", "moved", "unlabelled"], stale.Select(s => s.Name));
        Assert.Contains("dropped from the image list", stale[0].Reason, StringComparison.Ordinal);
        Assert.Contains("no longer a seeder", stale[1].Reason, StringComparison.Ordinal);
        Assert.Contains("now resolves to sha256:1", stale[2].Reason, StringComparison.Ordinal);

        // -Image is not the whole list: only lost seeders count.
        Assert.Equal(["gone", "unlabelled"], PrePullRunner.StaleHolders(pods, nodes, SeederLabel.Default, null).Select(s => s.Name));
    }

    [Fact]
    public void Leftover_rules_keep_a_holder_while_its_node_is_a_seeder()
    {
        var labels = new Dictionary<string, IDictionary<string, string>>(StringComparer.Ordinal)
        {
            ["s1"] = new Dictionary<string, string> { ["p2p-seeder"] = "true" },
            ["x"] = new Dictionary<string, string>(),
        };
        var all = new LeftoverQuery();
        Assert.True(Leftovers.HolderDecision("p2p-seeder=true", "s1", "a.io/x:1", labels, all).Keep);
        Assert.False(Leftovers.HolderDecision("p2p-seeder=true", "x", "a.io/x:1", labels, all).Keep);
        Assert.False(Leftovers.HolderDecision("p2p-seeder=true", "gone", "a.io/x:1", labels, all).Keep);
        Assert.False(Leftovers.HolderDecision("p2p-seeder=true", "s1", "a.io/x:1", labels, all with { Force = true }).Keep);
        Assert.False(Leftovers.HolderDecision("p2p-seeder=true", "s1", "a.io/x:1", labels, all with { Run = "abc" }).Keep);
    }

    [Fact]
    public void Build_with_the_prepull_role_keeps_the_seed_contract()
    {
        var pod = SeedPod.Build(new SeedPodOptions
        {
            Namespace = "clyde", RunId = "r1", Image = "a.io/x:1", Digest = "sha256:1", Role = SeedPod.PrePullRole, PodName = "clydeps-prepull-abc-w-1",
            Annotations = new Dictionary<string, string> { [PrePullRunner.HoldAnnotation] = "p2p-seeder=true" },
        }, "w-1", 0);
        Assert.Equal("clydeps-prepull-abc-w-1", pod.Metadata.Name);
        Assert.Equal("prepull", pod.Metadata.Labels["clydeps.io/role"]);
        Assert.Equal("p2p-seeder=true", pod.Metadata.Annotations[PrePullRunner.HoldAnnotation]);
        Assert.Equal("w-1", pod.Spec.NodeName);
        Assert.True(SeedPod.IsSeedPod(pod));
    }
}

public sealed class SeedPodObserveTests
{
    const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    static V1Pod Pod(V1ContainerStatus? seed = null, V1ContainerStatus? init = null, string phase = "Pending", string? reason = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "p" },
        Status = new V1PodStatus
        {
            Phase = phase,
            Reason = reason,
            ContainerStatuses = seed is null ? null : [seed],
            InitContainerStatuses = init is null ? null : [init],
        },
    };

    [Fact]
    public void Done_only_when_the_node_reports_the_digest_not_when_running()
    {
        var running = Pod(new V1ContainerStatus { Name = "seed", State = new V1ContainerState { Running = new V1ContainerStateRunning() } }, phase: "Running");
        Assert.Equal(SeedPodObservation.Pending, SeedPod.Observe(running, [Digest], Digest, "h"));
        var done = SeedPod.Observe(Pod(new V1ContainerStatus { Name = "seed", ImageID = "a.io/x@" + Digest }), [Digest], Digest, "h");
        Assert.True(done.Done);
        var moved = SeedPod.Observe(Pod(new V1ContainerStatus { Name = "seed", ImageID = "a.io/x@sha256:" + new string('9', 64) }), [Digest], Digest, "h");
        Assert.Equal("TagMoved", moved.Reason);
    }

    [Fact]
    public void Failures_carry_their_reason()
    {
        var backoff = Pod(new V1ContainerStatus { Name = "seed", State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ImagePullBackOff", Message = "no" } } });
        Assert.Equal("ImagePullBackOff", SeedPod.Observe(backoff, [Digest], Digest, "h").Reason);
        var errPull = Pod(new V1ContainerStatus { Name = "seed", State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ErrImagePull", Message = "x" } } });
        Assert.False(SeedPod.Observe(errPull, [Digest], Digest, "h").Failed);
        Assert.Equal("ErrImagePull: x", SeedPod.LastWaitingReason(errPull));
        var helper = Pod(init: new V1ContainerStatus { Name = SeedPod.HelperContainerName, State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ImagePullBackOff" } } });
        Assert.Equal("HelperImage", SeedPod.Observe(helper, [Digest], Digest, "h").Reason);
        var lost = SeedPod.Observe(Pod(phase: "Failed", reason: "NodeLost"), [Digest], Digest, "h");
        Assert.True(lost.NodeLost);
        Assert.Equal("NodeLost", lost.Reason);
        Assert.Equal("the node was deleted", SeedPod.NodeLostReason(WatchEventType.Deleted, new V1Node()));
    }
}
