using System.Text;
using ClydePS.Engine.Registry;

namespace ClydePS.Engine.Tests.Registry;

public sealed class ManifestAndPlatformTests
{
    private const string D1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string D2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    private const string D3 = "sha256:3333333333333333333333333333333333333333333333333333333333333333";

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Theory]
    [InlineData(ManifestDocument.OciManifest)]
    [InlineData(ManifestDocument.DockerManifest)]
    public void ParsesImageManifests(string mediaType)
    {
        var json = B($$$"""{"schemaVersion":2,"mediaType":"{{{mediaType}}}","config":{"mediaType":"c","digest":"{{{D1}}}","size":7},"layers":[{"mediaType":"l","digest":"{{{D2}}}","size":100},{"mediaType":"l","digest":"{{{D3}}}","size":300}]}""");
        var doc = ManifestDocument.Parse(json, null);
        Assert.False(doc.IsIndex);
        Assert.Equal(mediaType, doc.MediaType);
        Assert.Equal(D1, doc.Config!.Digest);
        Assert.Equal([100L, 300L], doc.Layers.Select(l => l.Size));
        Assert.Equal(ManifestDocument.ComputeDigest(json), doc.Digest);
    }

    [Theory]
    [InlineData(ManifestDocument.OciIndex)]
    [InlineData(ManifestDocument.DockerManifestList)]
    public void ParsesIndexesWithPlatforms(string mediaType)
    {
        var json = B($$$"""{"schemaVersion":2,"mediaType":"{{{mediaType}}}","manifests":[{"mediaType":"{{{ManifestDocument.OciManifest}}}","digest":"{{{D1}}}","size":1,"platform":{"os":"linux","architecture":"amd64"}},{"mediaType":"{{{ManifestDocument.OciManifest}}}","digest":"{{{D2}}}","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]}""");
        var doc = ManifestDocument.Parse(json, null);
        Assert.True(doc.IsIndex);
        Assert.Equal(["linux/amd64", "linux/arm64/v8"], doc.Manifests.Select(m => m.Platform!.ToString()));
    }

    [Fact]
    public void TakesTheMediaTypeFromTheHeaderWhenTheDocumentHasNone()
    {
        var doc = ManifestDocument.Parse(B($$$"""{"schemaVersion":2,"manifests":[]}"""), ManifestDocument.DockerManifestList + "; charset=utf-8");
        Assert.Equal(ManifestDocument.DockerManifestList, doc.MediaType);
    }

    [Fact]
    public void RejectsSchema1AndGarbage()
    {
        Assert.Equal("ClydeUnsupportedManifest", Assert.Throws<ClydeException>(() => ManifestDocument.Parse(B("""{"schemaVersion":1,"fsLayers":[]}"""), null)).ErrorId);
        Assert.Equal("ClydeUnsupportedManifest", Assert.Throws<ClydeException>(() => ManifestDocument.Parse(B("not json"), null)).ErrorId);
    }

    [Fact]
    public void ChoosesThePlatformLikeContainerd()
    {
        Platform?[] offered = [Platform.Parse("linux/arm/v7"), Platform.Parse("linux/arm64/v8"), Platform.Parse("linux/amd64"), null];
        Assert.Equal(2, Platform.LinuxAmd64.Choose(offered));
        Assert.Equal(1, Platform.Parse("linux/arm64").Choose(offered));
        Assert.Equal(1, Platform.Parse("aarch64").Choose(offered));
        Assert.Equal(0, Platform.Parse("linux/arm").Choose(offered));
        Assert.Equal(-1, Platform.Parse("linux/arm/v6").Choose(offered));
        Assert.Equal(-1, Platform.Parse("windows/amd64").Choose(offered));
        // An arm64 entry without a variant fits arm64/v8 nodes.
        Assert.Equal(0, Platform.Parse("linux/arm64/v8").Choose([Platform.Parse("linux/arm64")]));
        Assert.Equal("linux/amd64", Platform.Parse("x86_64").ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("linux/")]
    [InlineData("a/b/c/d")]
    [InlineData("linux/am d64")]
    public void RejectsBadPlatforms(string text) =>
        Assert.Equal("ClydeInvalidPlatform", Assert.Throws<ClydeException>(() => Platform.Parse(text)).ErrorId);
}
