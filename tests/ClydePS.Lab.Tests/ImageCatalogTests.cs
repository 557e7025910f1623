using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ClydePS.Lab.Cluster;
using ClydePS.Lab.Images;

namespace ClydePS.Lab.Tests;

public class ImageCatalogTests
{
    static string Sha(byte[] b) => "sha256:" + Convert.ToHexString(SHA256.HashData(b)).ToLowerInvariant();

    [Theory]
    [InlineData("busybox", "docker.io/library/busybox:latest")]
    [InlineData("busybox:1.36", "docker.io/library/busybox:1.36")]
    [InlineData("registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10")]
    [InlineData("localhost:5000/a/b", "localhost:5000/a/b:latest")]
    [InlineData("ghcr.io/org/img@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "ghcr.io/org/img@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void ReferencesAreNormalised(string text, string expected) =>
        Assert.Equal(expected, ImageReference.Parse(text)!.ToString());

    [Theory]
    [InlineData("")]
    [InlineData("Busybox")]
    [InlineData("busybox:")]
    [InlineData("a b")]
    [InlineData("x@sha256:123")]
    public void MalformedReferencesDoNotResolve(string text) => Assert.Null(new ImageCatalog().Resolve(text));

    [Fact]
    public void SyntheticImagesAreDeterministicAndRealistic()
    {
        var a = new ImageCatalog();
        var b = new ImageCatalog();
        var x = a.Resolve("example.com/team/server:v2")!;
        var y = b.Resolve("example.com/team/server:v2")!;
        Assert.Equal(x.Digest, y.Digest);
        Assert.Equal(x.Platforms[0].Layers, y.Platforms[0].Layers);
        Assert.NotEqual(x.Digest, a.Resolve("example.com/team/server:v3")!.Digest);
        Assert.True(x.HasShell);
        Assert.InRange(x.Platforms[0].Layers.Count, 3, 8);
        Assert.InRange(x.Platforms[0].SizeBytes, 25_000_000, 1_500_000_000);
        Assert.Equal(["linux/amd64", "linux/arm64"], x.Platforms.Select(p => p.PlatformString).ToArray());
        Assert.NotNull(x.OciIndex);
        Assert.Equal(x.OciIndex!.Digest, x.Digest);
        Assert.Matches("^sha256:[0-9a-f]{64}$", x.Platforms[0].Layers[0].Digest);

        var pause = a.Resolve("registry.k8s.io/pause:3.10")!;
        Assert.False(pause.HasShell);
        Assert.InRange(pause.Platforms[0].SizeBytes, 250_000, 400_000);
        var busybox = a.Resolve("busybox:1.36")!;
        Assert.InRange(busybox.Platforms[0].SizeBytes, 1_900_000, 2_500_000);
        Assert.True(busybox.HasShell);
        Assert.False(a.Resolve("gcr.io/distroless/static:nonroot")!.HasShell);
        Assert.Equal("docker.io/library/busybox@" + busybox.Digest, busybox.ImageId);
    }

    [Fact]
    public void DocumentsAreRealJsonMatchingTheirDigests()
    {
        var img = new ImageCatalog().Resolve("nginx:1.27")!;
        Assert.Equal(img.OciIndex!.Digest, Sha(img.OciIndex.Content));
        var index = JsonNode.Parse(img.OciIndex.Content)!;
        Assert.Equal(MediaTypes.OciIndex, (string?)index["mediaType"]);
        foreach (var p in img.Platforms)
        {
            Assert.Equal(p.OciManifest.Digest, Sha(p.OciManifest.Content));
            Assert.Equal(p.DockerManifest.Digest, Sha(p.DockerManifest.Content));
            Assert.Equal(p.Config.Digest, Sha(p.Config.Content));
            var manifest = JsonNode.Parse(p.OciManifest.Content)!;
            Assert.Equal(p.Config.Digest, (string?)manifest["config"]!["digest"]);
            Assert.Equal(p.Layers.Count, manifest["layers"]!.AsArray().Count);
            var config = JsonNode.Parse(p.Config.Content)!;
            Assert.Equal(p.Architecture, (string?)config["architecture"]);
            Assert.Equal(p.Layers.Count, config["rootfs"]!["diff_ids"]!.AsArray().Count);
        }
    }

    [Fact]
    public void DeclaredImagesFollowTheClusterFile()
    {
        var spec = ClusterFile.ParseYaml("""
            images:
            - reference: example.com/llm/server:v1
              platforms: [linux/amd64]
              size: 20Gi
              layerCount: 10
            - reference: example.com/tools/probe:1
              layers: [{size: 1Mi}, {size: "2048"}]
              hasShell: false
            - reference: example.com/ghost:1
              missing: true
            network:
              registryBandwidthMBps: 1000
              natBandwidthMBps: 200
              nodeBandwidthMBps: 125
              p2p: true
              latencyMs: 5
              jitterMs: 2
              failureRate: 0.01
            nodeGroups:
            - count: 2
              bandwidthMBps: 50
            """);
        Assert.True(spec.Network!.P2p);
        Assert.Equal(50, spec.NodeGroups[0].BandwidthMBps);
        var catalog = new ImageCatalog(spec.Images);
        var llm = catalog.Resolve("example.com/llm/server:v1")!;
        Assert.True(llm.Declared);
        Assert.Single(llm.Platforms);
        Assert.Null(llm.OciIndex);
        Assert.Equal(llm.Platforms[0].OciManifest.Digest, llm.Digest);
        Assert.Equal(10, llm.Platforms[0].Layers.Count);
        Assert.Equal(20L << 30, llm.Platforms[0].Layers.Sum(l => l.SizeBytes));
        var probe = catalog.Resolve("example.com/tools/probe:1")!;
        Assert.False(probe.HasShell);
        Assert.Equal([1L << 20, 2048], probe.Platforms[0].Layers.Select(l => l.SizeBytes).ToArray());
        Assert.True(catalog.Resolve("example.com/ghost:1")!.Missing);
        Assert.False(catalog.Resolve("example.com/ghost:2")!.Missing);
        Assert.NotNull(catalog.FindLayer(probe.Platforms[0].Layers[0].Digest));
    }

    [Fact]
    public void BadImageEntriesAreRejected()
    {
        Assert.Throws<LabOptionsException>(() => new ImageCatalog([new ClusterImageSpec { Reference = "Bad Ref" }]));
        Assert.Throws<LabOptionsException>(() => new ImageCatalog([new ClusterImageSpec { Reference = "a:1", Size = "lots" }]));
        Assert.Throws<LabOptionsException>(() => new ImageCatalog([new ClusterImageSpec { Reference = "a:1", Platforms = ["linux"] }]));
    }
}
