using ClydePS.Engine.Kube;

namespace ClydePS.Engine.Tests.Kube;

public sealed class KubeconfigResolutionTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FakeKubeEnvironment _env = new();

    public KubeconfigResolutionTests() => _env.HomeDirectory = Path.Combine(_dir.Path, "home");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ExplicitPathWinsOverEnvironmentAndHome()
    {
        var explicitFile = _dir.Write("explicit.yaml", Kubeconfigs.Simple("a", ("a", "ca", "https://a.example:6443", "ns-a")));
        _env.Variables["KUBECONFIG"] = _dir.Write("env.yaml", Kubeconfigs.Simple("b", ("b", "cb", "https://b.example:6443", null)));
        _dir.Write("home/.kube/config", Kubeconfigs.Simple("c", ("c", "cc", "https://c.example:6443", null)));

        var loaded = KubeconfigLoader.Load(new KubeconfigOptions([explicitFile]), _env);

        Assert.Equal("a", loaded.ContextName);
        Assert.Equal("ns-a", loaded.Namespace);
        Assert.StartsWith("https://a.example:6443", loaded.ServerUrl);
        Assert.Equal([explicitFile], loaded.Files);
    }

    [Fact]
    public void MissingExplicitPathIsInvalidArgument()
    {
        var missing = Path.Combine(_dir.Path, "nope.yaml");
        var e = Assert.Throws<ClydeException>(() => KubeconfigLoader.Load(new KubeconfigOptions([missing]), _env));
        Assert.Equal(ClydeErrorKind.InvalidArgument, e.Kind);
        Assert.Equal("ClydeKubeconfigNotFound", e.ErrorId);
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void KubeconfigVariableMergesFilesFirstWinsAndIgnoresMissingOnes()
    {
        var first = _dir.Write("one/config", Kubeconfigs.Simple("shared", ("shared", "c1", "https://first.example:6443", "from-first")));
        var second = _dir.Write("two/config", Kubeconfigs.Simple("other",
            ("shared", "c1", "https://second.example:6443", "from-second"),
            ("other", "c2", "https://other.example:6443", "other-ns")));
        var missing = Path.Combine(_dir.Path, "missing", "config");
        _env.Variables["KUBECONFIG"] = string.Join(Path.PathSeparator, first, missing, second);

        var current = KubeconfigLoader.Load(new KubeconfigOptions(), _env);
        Assert.Equal("shared", current.ContextName);                  // current-context of the first file
        Assert.Equal("from-first", current.Namespace);               // first file wins for the context
        Assert.StartsWith("https://first.example:6443", current.ServerUrl); // and for the cluster
        Assert.Equal([first, second], current.Files);

        var other = KubeconfigLoader.Load(new KubeconfigOptions(Context: "other"), _env);
        Assert.Equal("other-ns", other.Namespace);
        Assert.StartsWith("https://other.example:6443", other.ServerUrl);
    }

    [Fact]
    public void HomeConfigIsTheFallbackAndNamespaceDefaults()
    {
        _dir.Write("home/.kube/config", Kubeconfigs.Simple("c", ("c", "cc", "https://c.example:6443", null)));
        var loaded = KubeconfigLoader.Load(new KubeconfigOptions(), _env);
        Assert.Equal("c", loaded.ContextName);
        Assert.Equal("default", loaded.Namespace);
    }

    [Fact]
    public void InClusterWhenNoFileExists()
    {
        _env.InCluster = true;
        var loaded = KubeconfigLoader.Load(new KubeconfigOptions(), _env);
        Assert.Equal("in-cluster", loaded.ContextName);
        Assert.Equal("clyde-system", loaded.Namespace);
    }

    [Fact]
    public void NothingFoundIsAClearConfigurationError()
    {
        var e = Assert.Throws<ClydeException>(() => KubeconfigLoader.Load(new KubeconfigOptions(), _env));
        Assert.Equal(ClydeErrorKind.Configuration, e.Kind);
        Assert.Equal("ClydeKubeconfigMissing", e.ErrorId);
        Assert.Contains("-Kubeconfig", e.Message);
        Assert.Contains(Path.Combine(_env.HomeDirectory!, ".kube", "config"), e.Message);
    }

    [Fact]
    public void UnknownContextListsFilesAndKnownContexts()
    {
        var a = _dir.Write("a.yaml", Kubeconfigs.Simple("c1", ("c1", "x", "https://x.example", null)));
        var b = _dir.Write("b.yaml", Kubeconfigs.Simple("c2", ("c2", "y", "https://y.example", null)));

        var e = Assert.Throws<ClydeException>(() => KubeconfigLoader.Load(new KubeconfigOptions([a, b], "x"), _env));

        Assert.Equal(ClydeErrorKind.InvalidArgument, e.Kind);
        Assert.Equal("ClydeContextNotFound", e.ErrorId);
        Assert.Equal($"Context 'x' is not in the kubeconfig (files: {a}, {b}). Known contexts: c1, c2.", e.Message);
        Assert.Equal("x", e.Target);
    }

    [Fact]
    public void CurrentContextNamingNothingIsReported()
    {
        var a = _dir.Write("a.yaml", Kubeconfigs.Simple("gone", ("c1", "x", "https://x.example", null)));
        var e = Assert.Throws<ClydeException>(() => KubeconfigLoader.Load(new KubeconfigOptions([a]), _env));
        Assert.Equal("ClydeContextNotFound", e.ErrorId);
        Assert.Contains("'gone'", e.Message);
        Assert.Contains("c1", e.Message);
    }

    [Theory]
    [InlineData("apiVersion: v1\nclusters:\n- name: x\n  cluster: {server: a\nusers:\n- name: u\n  user: {token: hush-hush-secret}\n", 4)]
    [InlineData("apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: hush-hush-secret\n\tbroken: [\n", 6)]
    public void MalformedFileNamesFileAndLineButNoContent(string yaml, int line)
    {
        var bad = _dir.Write("bad.yaml", yaml);
        var e = Assert.Throws<ClydeException>(() => KubeconfigLoader.Load(new KubeconfigOptions([bad]), _env));
        Assert.Equal(ClydeErrorKind.Configuration, e.Kind);
        Assert.Equal("ClydeKubeconfigInvalid", e.ErrorId);
        Assert.Contains(bad, e.Message);
        Assert.Contains($"line {line}", e.Message);
        Assert.DoesNotContain("hush-hush-secret", e.ToString());
    }

    [Fact]
    public void WrongShapeNamesFileAndLine()
    {
        var bad = _dir.Write("shape.yaml", "apiVersion: v1\nkind: Config\nclusters: 5\n");
        var e = Assert.Throws<ClydeException>(() => KubeconfigLoader.Load(new KubeconfigOptions([bad]), _env));
        Assert.Equal("ClydeKubeconfigInvalid", e.ErrorId);
        Assert.Contains(bad, e.Message);
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public void ListContextsIsCheapAndLenient()
    {
        var a = _dir.Write("a.yaml", Kubeconfigs.Simple("c1", ("c1", "x", "https://x.example", "n1"), ("c2", "y", "https://y.example", null)));
        var bad = _dir.Write("bad.yaml", "clusters: [\n");
        _env.Variables["KUBECONFIG"] = string.Join(Path.PathSeparator, a, bad);

        var contexts = KubeconfigReader.ListContexts(new KubeconfigOptions(), _env);

        Assert.Equal(["c1", "c2"], contexts.Select(c => c.Name));
        Assert.Equal("n1", contexts[0].Namespace);
        Assert.Equal("x", contexts[0].Cluster);
        Assert.True(contexts[0].IsCurrent);
        Assert.False(contexts[1].IsCurrent);
        Assert.Equal(a, contexts[0].File);
        Assert.Empty(KubeconfigReader.ListContexts(new KubeconfigOptions([Path.Combine(_dir.Path, "missing")]), _env));
    }
}
