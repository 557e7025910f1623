using System.Net;
using ClydePS.Engine.Registry;

namespace ClydePS.Engine.Tests.Registry;

public sealed class EnvironmentProxyTests
{
    private static EnvironmentProxy? From(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
        return EnvironmentProxy.FromEnvironment(name => map.TryGetValue(name, out var v) ? v : null);
    }

    [Fact]
    public void NoVariablesNoProxy() => Assert.Null(From());

    [Fact]
    public void ChoosesTheProxyByScheme()
    {
        var proxy = From(("HTTPS_PROXY", "http://secure:3128"), ("HTTP_PROXY", "plain:8080"))!;
        Assert.Equal(new Uri("http://secure:3128/"), proxy.GetProxy(new Uri("https://registry.example.com/v2/")));
        // No scheme means http://, as Go's httpproxy reads it.
        Assert.Equal(new Uri("http://plain:8080/"), proxy.GetProxy(new Uri("http://registry.example.com/v2/")));
        Assert.Null(From(("HTTP_PROXY", "http://plain:8080"))!.GetProxy(new Uri("https://registry.example.com/")));
    }

    [Fact]
    public void UpperCaseWinsOverLowerCase()
    {
        var proxy = From(("HTTPS_PROXY", "http://upper:1"), ("https_proxy", "http://lower:2"))!;
        Assert.Equal("upper", proxy.GetProxy(new Uri("https://r.example/"))!.Host);
        Assert.Equal("lower", From(("https_proxy", "http://lower:2"))!.GetProxy(new Uri("https://r.example/"))!.Host);
    }

    [Theory]
    [InlineData("https://127.0.0.1:5000/v2/")]
    [InlineData("https://127.4.5.6/v2/")]
    [InlineData("http://localhost:5000/v2/")]
    [InlineData("https://[::1]:5000/v2/")]
    public void NeverProxiesLoopback(string url)
    {
        var proxy = From(("HTTPS_PROXY", "http://p:1"), ("HTTP_PROXY", "http://p:1"))!;
        Assert.Null(proxy.GetProxy(new Uri(url)));
        Assert.True(proxy.IsBypassed(new Uri(url)));
    }

    [Theory]
    [InlineData("registry.example.com", "https://registry.example.com/", true)]
    [InlineData("example.com", "https://registry.example.com/", true)]
    [InlineData("example.com", "https://example.com/", true)]
    [InlineData("example.com", "https://notexample.com/", false)]
    [InlineData(".example.com", "https://example.com/", false)]
    [InlineData(".example.com", "https://a.example.com/", true)]
    [InlineData("*.example.com", "https://a.example.com/", true)]
    [InlineData("example.com:5000", "https://r.example.com:5000/", true)]
    [InlineData("example.com:5000", "https://r.example.com/", false)]
    [InlineData("10.1.2.3", "https://10.1.2.3:5000/", true)]
    [InlineData("10.1.2.3:5000", "https://10.1.2.3:5000/", true)]
    [InlineData("10.1.2.3:5000", "https://10.1.2.3:5001/", false)]
    [InlineData("10.1.0.0/16", "https://10.1.200.3/", true)]
    [InlineData("10.1.0.0/16", "https://10.2.0.1/", false)]
    [InlineData("fd00::/8", "https://[fd00::2]:5000/", true)]
    [InlineData("[fd00::2]:5000", "https://[fd00::2]:5000/", true)]
    [InlineData(" other.io , REGISTRY.example.com ", "https://registry.example.com/", true)]
    [InlineData("*", "https://anything.example/", true)]
    [InlineData("", "https://registry.example.com/", false)]
    public void HonoursNoProxy(string noProxy, string url, bool direct)
    {
        var proxy = From(("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", noProxy))!;
        Assert.Equal(direct, proxy.GetProxy(new Uri(url)) is null);
    }

    [Fact]
    public void UserInfoBecomesTheProxyCredentialAndStaysOutOfTheUrl()
    {
        var proxy = From(("HTTPS_PROXY", "http://alice:p%40ss-w0rd@proxy.example:3128"))!;
        var uri = proxy.GetProxy(new Uri("https://r.example/"))!;
        Assert.Equal("", uri.UserInfo);
        var credential = proxy.Credentials!.GetCredential(uri, "Basic")!;
        Assert.Equal("alice", credential.UserName);
        Assert.Equal("p@ss-w0rd", credential.Password);
        Assert.Contains("p@ss-w0rd", proxy.Secrets);
        Assert.DoesNotContain("p@ss", proxy.ToString());
    }

    [Fact]
    public void RejectsAValueThatIsNotAUrlWithoutQuotingIt()
    {
        var e = Assert.Throws<ClydeException>(() => From(("HTTPS_PROXY", "ftp://secret-value@proxy:21")));
        Assert.Equal(RegistryErrorIds.ProxyInvalid, e.ErrorId);
        Assert.DoesNotContain("secret-value", e.Message);
        Assert.Contains("HTTPS_PROXY", e.Message);
    }
}
