using System.Text;
using ClydePS.Engine.Registry;

namespace ClydePS.Engine.Tests.Registry;

public sealed class AuthAndHostsTests
{
    [Fact]
    public void ParsesBearerChallenges()
    {
        var c = Assert.Single(AuthChallenge.Parse(["Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/nginx:pull,push\""]));
        Assert.True(c.IsBearer);
        Assert.Equal("https://auth.docker.io/token", c.Realm);
        Assert.Equal("registry.docker.io", c.Service);
        Assert.Equal("repository:library/nginx:pull,push", c.Scope);
    }

    [Fact]
    public void ParsesSeveralChallengesUnquotedValuesAndEscapes()
    {
        var list = AuthChallenge.Parse(["Basic realm=\"a \\\"quoted\\\" realm\"", "bearer realm=https://t.example/token, error=invalid_token"]);
        Assert.Equal(2, list.Count);
        Assert.True(list[0].IsBasic);
        Assert.Equal("a \"quoted\" realm", list[0].Realm);
        Assert.True(list[1].IsBearer);
        Assert.Equal("https://t.example/token", list[1].Realm);
        Assert.Equal("invalid_token", list[1].Parameters["error"]);
        var two = AuthChallenge.Parse(["Basic realm=\"r\", Bearer realm=\"https://x/t\",service=\"s\""]);
        Assert.Equal(["Basic", "Bearer"], two.Select(c => c.Scheme));
    }

    [Fact]
    public void ReadsDockerConfigForms()
    {
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:pa:ss"));
        var json = Encoding.UTF8.GetBytes("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"" + auth + "\"},\"ghcr.io\":{\"username\":\"bob\",\"password\":\"pw\"},\"x.io\":{}}}");
        var creds = DockerConfig.Parse(json, "config.json", RegistryErrorIds.RegistryConfigInvalid);
        var store = new CredentialStore();
        store.AddRange(creds);
        Assert.Equal("pa:ss", store.Find("registry-1.docker.io", "docker.io")!.Password);
        Assert.Equal("bob", store.Find("ghcr.io", "ghcr.io")!.UserName);
        Assert.Null(store.Find("x.io", "x.io"));
        var explicitStore = new CredentialStore { Explicit = new RegistryCredential("u", "p") };
        Assert.Equal("u", explicitStore.Find("127.0.0.1:5000", "127.0.0.1:5000")!.UserName);
        Assert.Null(explicitStore.Find("mirror.example", "127.0.0.1:5000"));
        Assert.DoesNotContain("p", new RegistryCredential("u", "secretvalue").ToString().Replace("u:", ""));
    }

    [Fact]
    public void ConfigErrorsNeverQuoteTheSecret()
    {
        var e = Assert.Throws<ClydeException>(() => DockerConfig.Parse(Encoding.UTF8.GetBytes("""{"auths":{"h":{"auth":"bm9jb2xvbg=="}}}"""), "c.json", RegistryErrorIds.RegistryConfigInvalid));
        Assert.DoesNotContain("bm9jb2xvbg", e.Message);
        Assert.Equal(RegistryErrorIds.RegistryConfigInvalid, e.ErrorId);
    }

    [Fact]
    public void ReadsHostsToml()
    {
        const string text = """
            # mirrors for docker.io
            server = "https://registry-1.docker.io"

            [host."https://mirror-a.example"]
              capabilities = ["pull", "resolve"]   # comment
              skip_verify = false

            [host."http://127.0.0.1:5000/v2/prefix"]
              capabilities = ["pull"]

            [host."https://push-only.example"]
              capabilities = ["push"]
            """;
        var mirrors = HostsToml.Parse(text, "hosts.toml", "docker.io");
        Assert.Equal(["https://mirror-a.example/", "http://127.0.0.1:5000/v2/prefix"], mirrors.Select(m => m.ToString()));
        var other = HostsToml.Parse("server = \"https://other.example\"", "hosts.toml", "docker.io");
        Assert.Equal("https://other.example/", Assert.Single(other).ToString());
        Assert.Equal("ClydeRegistryMirrorInvalid", Assert.Throws<ClydeException>(() => HostsToml.Parse("[host.\"x\"\nfoo", "h", "r")).ErrorId);
    }

    [Fact]
    public void FindsTheHostsFileOfARegistryElseDefault()
    {
        var dir = Directory.CreateTempSubdirectory("clyde-hosts-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, "_default"));
            File.WriteAllText(Path.Combine(dir.FullName, "_default", "hosts.toml"), "[host.\"https://all.example\"]\n");
            Directory.CreateDirectory(Path.Combine(dir.FullName, "ghcr.io"));
            File.WriteAllText(Path.Combine(dir.FullName, "ghcr.io", "hosts.toml"), "[host.\"https://ghcr-mirror.example\"]\n");
            Assert.Equal("https://ghcr-mirror.example/", Assert.Single(HostsToml.MirrorsFor(dir.FullName, "ghcr.io")).ToString());
            Assert.Equal("https://all.example/", Assert.Single(HostsToml.MirrorsFor(dir.FullName, "quay.io")).ToString());
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void ReadsTheLabMirror()
    {
        var lab = new ClydePS.Engine.Kube.LabInfo(1, new Dictionary<string, string> { ["registryMirror"] = "http://127.0.0.1:4000" });
        Assert.Equal("http://127.0.0.1:4000/", RegistryMirrors.FromLab(lab)!.ToString());
        Assert.Null(RegistryMirrors.FromLab(null));
        Assert.Equal("ClydeRegistryMirrorInvalid", Assert.Throws<ClydeException>(() => RegistryMirrors.Parse("ftp://x")).ErrorId);
    }
}
