using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ClydePS.Lab.Cluster;
using ClydePS.Lab.Faults;
using ClydePS.Lab.Images;
using ClydePS.Lab.Registry;

namespace ClydePS.Lab.Tests;

public sealed class RegistryLab : IAsyncLifetime
{
    public LabHost Lab { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!; // anonymous, as containerd's mirror client

    public async Task InitializeAsync()
    {
        Lab = await LabHost.StartAsync(new LabOptions
        {
            TimeScale = 4,
            Simulate = false, // no kubelets: the registry's bandwidth is all the test's (rates are asserted)
            Cluster = new ClusterSpec
            {
                NodeGroups = [new NodeGroupSpec { Count = 2 }],
                Network = new NetworkSpec { RegistryBandwidthMBps = 2 },
                Images =
                [
                    new ClusterImageSpec { Reference = "example.com/blob/test:1", Layers = [new ClusterLayerSpec { Size = "1Mi" }], Platforms = ["linux/amd64"] },
                    new ClusterImageSpec { Reference = "example.com/ghost:1", Missing = true },
                ],
            },
        });
        Http = new HttpClient { BaseAddress = new Uri(Lab.Url), Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Lab.DisposeAsync();
    }
}

public class RegistryMirrorTests(RegistryLab fixture) : IClassFixture<RegistryLab>
{
    readonly HttpClient _http = fixture.Http;
    readonly LabHost _lab = fixture.Lab;

    static string Sha(byte[] b) => "sha256:" + Convert.ToHexString(SHA256.HashData(b)).ToLowerInvariant();

    async Task<HttpResponseMessage> Get(string path, string? accept = null, string? range = null, HttpMethod? method = null)
    {
        var req = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        if (accept is not null) req.Headers.TryAddWithoutValidation("Accept", accept);
        if (range is not null) req.Headers.TryAddWithoutValidation("Range", range);
        return await _http.SendAsync(req);
    }

    [Fact]
    public async Task BaseEndpointIsAnonymous()
    {
        var r = await Get("/v2/");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("registry/2.0", r.Headers.GetValues("Docker-Distribution-API-Version").Single());
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get("/api/v1/nodes")).StatusCode);
    }

    [Fact]
    public async Task IndexManifestAndConfigVerify()
    {
        var expected = _lab.Images.Resolve("docker.io/library/busybox:1.36")!;
        var r = await Get("/v2/library/busybox/manifests/1.36?ns=docker.io", $"{MediaTypes.OciIndex}, {MediaTypes.OciManifest}");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var body = await r.Content.ReadAsByteArrayAsync();
        var digest = r.Headers.GetValues("Docker-Content-Digest").Single();
        Assert.Equal(Sha(body), digest);
        Assert.Equal(expected.Digest, digest);
        Assert.Equal(MediaTypes.OciIndex, r.Content.Headers.ContentType!.MediaType);
        Assert.Equal(body.Length, r.Content.Headers.ContentLength);

        var index = JsonNode.Parse(body)!;
        var amd = index["manifests"]!.AsArray().First(m => (string?)m!["platform"]!["architecture"] == "amd64")!;
        var m = await Get($"/v2/library/busybox/manifests/{(string?)amd["digest"]}?ns=docker.io", MediaTypes.OciManifest);
        var manifestBytes = await m.Content.ReadAsByteArrayAsync();
        Assert.Equal((string?)amd["digest"], Sha(manifestBytes));
        var manifest = JsonNode.Parse(manifestBytes)!;
        var configDigest = (string)manifest["config"]!["digest"]!;
        var c = await Get($"/v2/library/busybox/blobs/{configDigest}?ns=docker.io");
        Assert.Equal(configDigest, Sha(await c.Content.ReadAsByteArrayAsync()));
        var layer = (string)manifest["layers"]![0]!["digest"]!;
        var head = await Get($"/v2/library/busybox/blobs/{layer}?ns=docker.io", method: HttpMethod.Head);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal((long)manifest["layers"]![0]!["size"]!, head.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task AcceptNegotiation()
    {
        var docker = await Get("/v2/library/nginx/manifests/1.27?ns=docker.io", MediaTypes.DockerList + ", " + MediaTypes.DockerManifest);
        Assert.Equal(MediaTypes.DockerList, docker.Content.Headers.ContentType!.MediaType);
        var single = await Get("/v2/library/nginx/manifests/1.27?ns=docker.io", MediaTypes.DockerManifest);
        Assert.Equal(MediaTypes.DockerManifest, single.Content.Headers.ContentType!.MediaType);
        Assert.Equal(Sha(await single.Content.ReadAsByteArrayAsync()), single.Headers.GetValues("Docker-Content-Digest").Single());
        var head = await Get("/v2/library/nginx/manifests/1.27?ns=docker.io", MediaTypes.OciIndex, method: HttpMethod.Head);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.True(head.Content.Headers.ContentLength > 0);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task NsSelectsTheUpstreamRegistry()
    {
        var r = await Get("/v2/pause/manifests/3.10?ns=registry.k8s.io", MediaTypes.OciIndex);
        Assert.Equal(_lab.Images.Resolve("registry.k8s.io/pause:3.10")!.Digest, r.Headers.GetValues("Docker-Content-Digest").Single());
        var single = await Get("/v2/blob/test/manifests/1?ns=example.com", MediaTypes.OciManifest + "," + MediaTypes.OciIndex);
        Assert.Equal(MediaTypes.OciManifest, single.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task NotFoundBodies()
    {
        var r = await Get("/v2/ghost/manifests/1?ns=example.com");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal("MANIFEST_UNKNOWN", (string?)JsonNode.Parse(await r.Content.ReadAsStringAsync())!["errors"]![0]!["code"]);
        r = await Get("/v2/library/busybox/blobs/sha256:" + new string('0', 64));
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal("BLOB_UNKNOWN", (string?)JsonNode.Parse(await r.Content.ReadAsStringAsync())!["errors"]![0]!["code"]);
        r = await Get("/v2/library/busybox/manifests/sha256:" + new string('1', 64));
        Assert.Equal("MANIFEST_UNKNOWN", (string?)JsonNode.Parse(await r.Content.ReadAsStringAsync())!["errors"]![0]!["code"]);
        r = await Get("/v2/Bad..Name/manifests/1");
        Assert.Equal("NAME_UNKNOWN", (string?)JsonNode.Parse(await r.Content.ReadAsStringAsync())!["errors"]![0]!["code"]);
    }

    [Fact]
    public async Task RangeRequestsAndStreamingRate()
    {
        var layer = _lab.Images.Resolve("example.com/blob/test:1")!.Platforms[0].Layers[0];
        var path = $"/v2/blob/test/blobs/{layer.Digest}?ns=example.com";
        var filler = RegistryMirror.Filler(layer.Digest);

        var r = await Get(path, range: "bytes=65530-65545");
        Assert.Equal(HttpStatusCode.PartialContent, r.StatusCode);
        Assert.Equal($"bytes 65530-65545/{layer.SizeBytes}", r.Content.Headers.ContentRange!.ToString());
        var part = await r.Content.ReadAsByteArrayAsync();
        Assert.Equal(filler.Skip(65530).Take(6).Concat(filler.Take(10)).ToArray(), part);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, (await Get(path, range: $"bytes={layer.SizeBytes}-")).StatusCode);

        // 1 MiB at the registry's 2 MB/s: 0.5 s of Lab time (0.125 s of wall time at scale 4)
        var registryBefore = _lab.Transfer!.Network.Stats.BytesFromRegistry;
        var t0 = _lab.Clock.UtcNow;
        var full = await (await Get(path)).Content.ReadAsByteArrayAsync();
        var seconds = (_lab.Clock.UtcNow - t0).TotalSeconds;
        Assert.Equal(layer.SizeBytes, full.Length);
        Assert.Equal(filler, full.Take(filler.Length).ToArray());
        Assert.InRange(seconds, 0.45, 5); // no faster than the registry allows; 10x slower would mean the rate is wrong
        Assert.True(_lab.Transfer.Network.Stats.BytesFromRegistry - registryBefore >= layer.SizeBytes);
    }

    [Fact]
    public async Task RegistryFaultsSlowAndDropBlobs()
    {
        var layer = _lab.Images.Resolve("example.com/blob/test:1")!.Platforms[0].Layers[0];
        var path = $"/v2/blob/test/blobs/{layer.Digest}?ns=example.com";
        try
        {
            _lab.Faults.Set(new FaultPlan { Registry = new RegistryFault { SlowdownFactor = 2 } });
            var t0 = _lab.Clock.UtcNow;
            var full = await (await Get(path)).Content.ReadAsByteArrayAsync();
            Assert.Equal(layer.SizeBytes, full.Length);
            // 1 MiB at 1 MB/s (2 MB/s halved): never sooner than the model allows (0.5 s without the fault). No upper
            // bound: Lab time follows the wall clock, which a loaded machine stretches.
            Assert.True((_lab.Clock.UtcNow - t0).TotalSeconds >= 0.95, $"the slowed transfer took {(_lab.Clock.UtcNow - t0).TotalSeconds:0.###} s");

            _lab.Faults.Set(new FaultPlan { Registry = new RegistryFault { DropRate = 1 } });
            await Assert.ThrowsAnyAsync<Exception>(async () => await (await Get(path)).Content.ReadAsByteArrayAsync());
        }
        finally
        {
            _lab.Faults.Set(new FaultPlan());
        }
    }

    [Fact]
    public async Task KubeconfigRecordsTheMirror()
    {
        var text = await File.ReadAllTextAsync(_lab.KubeconfigPath);
        Assert.Contains($"registryMirror: {_lab.Url}", text);
    }
}
