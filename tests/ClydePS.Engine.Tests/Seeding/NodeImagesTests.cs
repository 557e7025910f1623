using ClydePS.Engine.Seeding;
using k8s.Models;

namespace ClydePS.Engine.Tests.Seeding;

public class NodeImagesTests
{
    const string Index = "sha256:e85af478accb80d50f36695d529071c1919629830934674b63449b9e44265728";
    const string Amd64 = "sha256:e4375336ccff8f5ee708a26d9b19909288d5158e37120a80c3cb00802457eaa6";
    const string Arm64 = "sha256:bf93e5eb166f808dbe005f09b51ca5d6ba54a63b09746ac25615cc23b776f90c";
    const string Other = "sha256:0000000000000000000000000000000000000000000000000000000000000001";

    static readonly string[] IndexOnly = [Index];
    static readonly string[] All = [Index, Amd64, Arm64];

    [Theory]
    [InlineData("docker.io/library/busybox@" + Index, true)]
    [InlineData("docker-pullable://busybox@" + Index, true)]
    [InlineData("docker-pullable://registry.example.com:5000/team/app@" + Index, true)]
    [InlineData(Index, true)]
    [InlineData("docker://" + Index, true)]
    [InlineData("  " + Index + " ", true)]
    [InlineData("docker.io/library/busybox:1.36@" + Index, true)]
    [InlineData("docker.io/library/busybox@SHA256:E85AF478ACCB80D50F36695D529071C1919629830934674B63449B9E44265728", true)]
    [InlineData("docker.io/library/busybox@" + Other, false)]
    [InlineData(Other, false)]
    [InlineData("docker.io/library/busybox:1.36", false)]
    [InlineData("busybox:1.36", false)]
    [InlineData("busybox", false)]
    [InlineData("registry.example.com:5000/team/app:v1", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Matches_index_digest(string? imageIdOrName, bool expected) =>
        Assert.Equal(expected, NodeImages.Matches(imageIdOrName, IndexOnly));

    [Fact]
    public void A_tag_never_matches_even_when_it_looks_like_the_digest_text()
    {
        // A tag equal to the hex part is still a tag.
        Assert.False(NodeImages.Matches("busybox:" + Index[7..], IndexOnly));
        Assert.False(NodeImages.Matches("docker.io/library/busybox:latest", [Index, "latest"]));
    }

    [Fact]
    public void Platform_manifest_digest_matches_only_when_given()
    {
        var pulledByPlatform = "docker.io/library/busybox@" + Arm64;
        Assert.False(NodeImages.Matches(pulledByPlatform, IndexOnly));
        Assert.True(NodeImages.Matches(pulledByPlatform, All));
        // An index digest is found among platform digests too.
        Assert.True(NodeImages.Matches("busybox@" + Index, [Amd64, Index]));
        Assert.False(NodeImages.Matches("busybox@" + Index, [Amd64, Arm64]));
    }

    [Fact]
    public void DigestsOf_takes_the_index_the_chosen_platform_and_every_manifest_once()
    {
        var image = new ClydeImage { Digest = Index, PlatformDigest = Amd64, ManifestDigests = [Amd64, Arm64] };
        Assert.Equal([Index, Amd64, Arm64], NodeImages.DigestsOf(image));
        var single = new ClydeImage { Digest = Amd64, PlatformDigest = Amd64, ManifestDigests = [Amd64] };
        Assert.Equal([Amd64], NodeImages.DigestsOf(single));
    }

    static V1Node Node(string name, params V1ContainerImage[] images) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Status = new V1NodeStatus { Images = images.ToList() },
    };

    static V1ContainerImage Listed(long size, params string[] names) => new() { Names = names.ToList(), SizeBytes = size };

    static V1ContainerImage[] Fillers(int count) =>
        Enumerable.Range(1, count).Select(i => Listed(1000 + i, $"example.com/filler/img-{i}@sha256:{i:x64}", $"example.com/filler/img-{i}:1")).ToArray();

    static V1Pod SeedPod(string name, string node, string? imageId, string container = NodeImages.SeedContainer, string ns = "default") => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = ns,
            Labels = new Dictionary<string, string> { [NodeImages.RoleLabel] = NodeImages.SeedRole, [NodeImages.RunLabel] = "r1" },
        },
        Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = container, Image = "busybox:1.36" }] },
        Status = new V1PodStatus
        {
            ContainerStatuses = imageId is null ? [] : [new V1ContainerStatus { Name = container, ImageID = imageId, Image = "busybox:1.36" }],
        },
    };

    [Fact]
    public void A_seed_pod_with_a_matching_image_id_is_proof()
    {
        var node = Node("n1", Listed(5000, "docker.io/library/busybox@" + Index, "docker.io/library/busybox:1.36"));
        var fact = NodeImages.Inspect(node, All, [SeedPod("seed-1", "n1", "docker.io/library/busybox@" + Index)]);
        Assert.Equal(new NodeImageFact("n1", true, ImageEvidence.SeedPod, 5000, "default/seed-1"), fact);
    }

    [Fact]
    public void A_seed_pod_proves_even_when_the_node_does_not_list_the_image()
    {
        var node = Node("n1", Fillers(50));
        var fact = NodeImages.Inspect(node, All, [SeedPod("seed-1", "n1", "docker-pullable://busybox@" + Amd64)]);
        Assert.Equal(new NodeImageFact("n1", true, ImageEvidence.SeedPod, null, "default/seed-1"), fact);
    }

    [Fact]
    public void Seed_pods_that_prove_nothing_are_ignored()
    {
        var node = Node("n1", Listed(5000, "docker.io/library/busybox@" + Index));
        V1Pod[] pods =
        [
            SeedPod("pending", "n1", null),
            SeedPod("empty-id", "n1", ""),
            SeedPod("other-image", "n1", "busybox@" + Other),
            SeedPod("other-node", "n2", "busybox@" + Index),
            SeedPod("sidecar", "n1", "busybox@" + Index, container: "helper"),
        ];
        var fact = NodeImages.Inspect(node, All, pods);
        Assert.Equal(new NodeImageFact("n1", true, ImageEvidence.NodeImageList, 5000, null), fact);
    }

    [Fact]
    public void The_node_image_list_is_a_hint_by_digest_never_by_tag()
    {
        var byDigest = Node("n1", Listed(1, "registry.k8s.io/pause:3.10"), Listed(7000, "docker.io/library/busybox@" + Index, "docker.io/library/busybox:1.36"));
        Assert.Equal(new NodeImageFact("n1", true, ImageEvidence.NodeImageList, 7000, null), NodeImages.Inspect(byDigest, All, []));

        var byPlatform = Node("n2", Listed(6000, "docker.io/library/busybox@" + Arm64));
        Assert.Equal(ImageEvidence.NodeImageList, NodeImages.Inspect(byPlatform, All, []).Evidence);
        Assert.Equal(ImageEvidence.NotListed, NodeImages.Inspect(byPlatform, IndexOnly, []).Evidence);

        var byTag = Node("n3", Listed(7000, "docker.io/library/busybox:1.36"));
        Assert.Equal(new NodeImageFact("n3", false, ImageEvidence.NotListed, null, null), NodeImages.Inspect(byTag, All, []));
    }

    [Theory]
    [InlineData(0, ImageEvidence.NotListed)]
    [InlineData(49, ImageEvidence.NotListed)]
    [InlineData(50, ImageEvidence.Unknown)]
    [InlineData(51, ImageEvidence.Unknown)]
    public void Not_listed_is_unknown_once_the_node_lists_50_images(int listed, ImageEvidence expected)
    {
        var fact = NodeImages.Inspect(Node("n1", Fillers(listed)), All, []);
        Assert.False(fact.Holds);
        Assert.Equal(expected, fact.Evidence);
        Assert.Null(fact.SizeBytes);
        Assert.Null(fact.SeedPod);
    }

    [Fact]
    public void Exactly_50_images_including_this_one_is_held()
    {
        var images = Fillers(49).Append(Listed(9000, "docker.io/library/busybox@" + Index)).ToArray();
        Assert.Equal(new NodeImageFact("n1", true, ImageEvidence.NodeImageList, 9000, null), NodeImages.Inspect(Node("n1", images), All, []));
    }

    [Fact]
    public void A_node_without_status_is_not_listed()
    {
        var fact = NodeImages.Inspect(new V1Node { Metadata = new V1ObjectMeta { Name = "bare" } }, All, []);
        Assert.Equal(new NodeImageFact("bare", false, ImageEvidence.NotListed, null, null), fact);
    }

    [Fact]
    public void The_proving_seed_pod_is_chosen_by_namespace_and_name()
    {
        var node = Node("n1");
        var fact = NodeImages.Inspect(node, All, [SeedPod("b", "n1", "busybox@" + Index, ns: "z"), SeedPod("c", "n1", "busybox@" + Index, ns: "a"), SeedPod("a", "n1", "busybox@" + Index, ns: "z")]);
        Assert.Equal("a/c", fact.SeedPod);
    }

    [Fact]
    public void InspectAll_groups_seed_pods_by_node()
    {
        var nodes = new[] { Node("n1"), Node("n2", Listed(3, "busybox@" + Index)), Node("n3", Fillers(50)) };
        var facts = NodeImages.InspectAll(nodes, All, [SeedPod("s1", "n1", "busybox@" + Index), SeedPod("s3", "n3", null)]);
        Assert.Equal(
        [
            new NodeImageFact("n1", true, ImageEvidence.SeedPod, null, "default/s1"),
            new NodeImageFact("n2", true, ImageEvidence.NodeImageList, 3, null),
            new NodeImageFact("n3", false, ImageEvidence.Unknown, null, null),
        ], facts);
    }

    [Fact]
    public void Leftover_selector_requires_managed_by_a_helper_role_and_a_run()
    {
        Assert.Equal("app.kubernetes.io/managed-by=ClydePS,clydeps.io/role in (agent,prepull,probe,seed),clydeps.io/run", Leftovers.Selector(null));
        Assert.EndsWith(",clydeps.io/run=abc123", Leftovers.Selector("abc123"));
    }

    [Theory]
    [InlineData("ClydePS", "seed", "r1", null, true)]
    [InlineData("ClydePS", "probe", "r1", "r1", true)]
    [InlineData("ClydePS", "probe", "r1", "r2", false)]
    [InlineData("ClydePS", "mesh", "r1", null, false)]
    [InlineData("ClydePS", null, "r1", null, false)]
    [InlineData("ClydePS", "agent", null, null, false)]
    [InlineData("ClydePS", "agent", "", null, false)]
    [InlineData("helm", "agent", "r1", null, false)]
    [InlineData(null, "prepull", "r1", null, false)]
    public void IsHelper_needs_every_label(string? managedBy, string? role, string? run, string? wanted, bool expected)
    {
        var labels = new Dictionary<string, string>();
        if (managedBy is not null) labels[NodeImages.ManagedByLabel] = managedBy;
        if (role is not null) labels[NodeImages.RoleLabel] = role;
        if (run is not null) labels[NodeImages.RunLabel] = run;
        Assert.Equal(expected, Leftovers.IsHelper(new V1ObjectMeta { Labels = labels }, wanted));
    }

    [Theory]
    [InlineData("bad run")]
    [InlineData("-leading")]
    [InlineData("trailing.")]
    [InlineData("")]
    public void An_invalid_run_id_is_rejected(string run)
    {
        var e = Assert.Throws<ClydeException>(() => Leftovers.Validate(new LeftoverQuery { Run = run }));
        Assert.Equal("ClydeInvalidRunId", e.ErrorId);
        Assert.Equal(ClydeErrorKind.InvalidArgument, e.Kind);
    }
}
