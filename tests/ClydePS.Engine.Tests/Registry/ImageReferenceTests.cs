using ClydePS.Engine.Registry;

namespace ClydePS.Engine.Tests.Registry;

/// <summary>Cases from distribution/reference's reference_test.go and normalize_test.go (ParseNormalizedNamed semantics).</summary>
public sealed class ImageReferenceTests
{
    private const string Sha = "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

    [Theory]
    [InlineData("test_com", "docker.io", "library/test_com", "latest", null)]
    [InlineData("test.com:tag", "docker.io", "library/test.com", "tag", null)]
    [InlineData("test.com:5000", "docker.io", "library/test.com", "5000", null)]
    [InlineData("test.com/repo:tag", "test.com", "repo", "tag", null)]
    [InlineData("test:5000/repo", "test:5000", "repo", "latest", null)]
    [InlineData("test:5000/repo:tag", "test:5000", "repo", "tag", null)]
    [InlineData("test:5000/repo@" + Sha, "test:5000", "repo", null, Sha)]
    [InlineData("test:5000/repo:tag@" + Sha, "test:5000", "repo", "tag", Sha)]
    [InlineData("lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", null)]
    [InlineData("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux", "some-long-tag", null)]
    [InlineData("b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app", "test.example.com", null)]
    [InlineData("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", null)]
    [InlineData("foo_bar.com:8080", "docker.io", "library/foo_bar.com", "8080", null)]
    [InlineData("foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", "8080", null)]
    [InlineData("192.168.1.1", "docker.io", "library/192.168.1.1", "latest", null)]
    [InlineData("192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", null)]
    [InlineData("[2001:db8::1]/repo", "[2001:db8::1]", "repo", "latest", null)]
    [InlineData("[2001:db8::1]:5000/repo:tag@" + Sha, "[2001:db8::1]:5000", "repo", "tag", Sha)]
    [InlineData("[::1]:5000/repo", "[::1]:5000", "repo", "latest", null)]
    [InlineData("localhost/repo", "localhost", "repo", "latest", null)]
    [InlineData("index.docker.io/debian", "docker.io", "library/debian", "latest", null)]
    [InlineData("docker.io/library/foo/bar", "docker.io", "library/foo/bar", "latest", null)]
    [InlineData("dmcgowan/myapp", "docker.io", "dmcgowan/myapp", "latest", null)]
    [InlineData("Foo/bar", "Foo", "bar", "latest", null)]
    [InlineData("docker---rules/docker", "docker.io", "docker---rules/docker", "latest", null)]
    [InlineData("dock__er/docker", "docker.io", "dock__er/docker", "latest", null)]
    [InlineData("thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "docker.io", "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "latest", null)]
    public void ParsesAndNormalizes(string input, string registry, string repository, string? tag, string? digest)
    {
        var r = ImageReference.Parse(input);
        Assert.Equal(registry, r.Registry);
        Assert.Equal(repository, r.Repository);
        Assert.Equal(tag, r.Tag);
        Assert.Equal(digest, r.Digest);
    }

    [Theory]
    [InlineData("")]
    [InlineData(":justtag")]
    [InlineData("@" + Sha)]
    [InlineData("repo@sha256:ffffffffffffffffffffffffffffffffff")]
    [InlineData("validname@invaliddigest:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")]
    [InlineData("Uppercase:tag")]
    [InlineData("test:5000/Uppercase/lowercase:tag")]
    [InlineData("aa/asdf$$^/aa")]
    [InlineData("[2001:db8::1]")]
    [InlineData("[2001:db8::1]:5000")]
    [InlineData("[fe80::1%eth0]:5000/repo")]
    [InlineData("https://github.com/docker/docker")]
    [InlineData("docker/Docker")]
    [InlineData("-docker")]
    [InlineData("docker///docker")]
    [InlineData("docker-/docker")]
    [InlineData("____/____")]
    [InlineData("dock..er/docker")]
    [InlineData("docker/")]
    [InlineData("fc00::1:5000/debian")]
    [InlineData("1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a")]
    public void RejectsInvalidReferences(string input)
    {
        var e = Assert.Throws<ClydeException>(() => ImageReference.Parse(input));
        Assert.Equal("ClydeInvalidImageReference", e.ErrorId);
        Assert.Equal(ClydeErrorKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public void EnforcesTheNameLengthLimit()
    {
        Assert.Throws<ClydeException>(() => ImageReference.Parse(string.Concat(Enumerable.Repeat("a/", 128)) + "a:tag"));
        // The limit counts the normalized name (docker.io/ included): 255 characters pass, 256 do not.
        var ok = ImageReference.Parse("example.com/" + string.Concat(Enumerable.Repeat("a/", 121)) + "a:tag-puts-this-over-max");
        Assert.Equal(255, ok.Name.Length);
        Assert.Equal("tag-puts-this-over-max", ok.Tag);
        Assert.Throws<ClydeException>(() => ImageReference.Parse("example.com/" + string.Concat(Enumerable.Repeat("a/", 121)) + "ab:tag"));
        Assert.Throws<ClydeException>(() => ImageReference.Parse(string.Concat(Enumerable.Repeat("a/", 127)) + "a:tag"));
        Assert.Throws<ClydeException>(() => ImageReference.Parse("repo:" + new string('t', 129)));
    }

    [Fact]
    public void FormatsTheNormalizedReferenceAndTheApiHost()
    {
        Assert.Equal("docker.io/library/busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
            ImageReference.Parse("busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa").ToString());
        var hub = ImageReference.Parse("nginx");
        Assert.Equal("docker.io/library/nginx:latest", hub.ToString());
        Assert.Equal("registry-1.docker.io", hub.ApiHost);
        Assert.Equal("latest", hub.ManifestReference);
        Assert.Equal(Sha, ImageReference.Parse("a/b:t@" + Sha).ManifestReference);
    }

    [Theory]
    [InlineData("127.0.0.1:5000", true)]
    [InlineData("127.1.2.3", true)]
    [InlineData("localhost:5000", true)]
    [InlineData("[::1]:5000", true)]
    [InlineData("10.0.0.1:5000", false)]
    [InlineData("registry.example.com", false)]
    public void KnowsLoopbackRegistries(string host, bool loopback) => Assert.Equal(loopback, RegistryHosts.IsLoopback(host));
}
