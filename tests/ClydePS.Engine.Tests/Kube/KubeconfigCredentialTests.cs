using System.Net;
using ClydePS.Engine.Kube;

namespace ClydePS.Engine.Tests.Kube;

public sealed class KubeconfigCredentialTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FakeKubeEnvironment _env = new();

    public void Dispose() => _dir.Dispose();

    private static FakeApiHandler EmptyNodes() => new((_, _) => FakeApiHandler.NodeList("1", null));

    [Fact]
    public async Task TokenIsSentAsBearer()
    {
        var file = _dir.Write("config", Kubeconfigs.ForFakeServer());
        var handler = EmptyNodes();
        using var gateway = ClusterGateway.Connect(new KubeconfigOptions([file]), new GatewayOptions { MessageHandlers = [handler], Environment = _env });

        await gateway.ListNodesAsync(null, CancellationToken.None);

        Assert.Equal($"Bearer {Kubeconfigs.Token}", handler.Authorizations.Single());
        Assert.Equal("team", gateway.Namespace);
        Assert.Equal("fake", gateway.ContextName);
    }

    [Fact]
    public async Task RelativeCertificatePathsResolveAgainstTheirOwnKubeconfigFolder()
    {
        var (cert, key) = TestCerts.Create();
        var first = _dir.Write("first/config", Kubeconfigs.Simple("plain", ("plain", "p", "http://plain.test", null)));
        _dir.Write("second/pki/ca.crt", cert);
        _dir.Write("second/pki/client.crt", cert);
        _dir.Write("second/pki/client.key", key);
        var second = _dir.Write("second/config", $$"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: tls
              cluster:
                server: https://tls.test:6443
                certificate-authority: pki/ca.crt
            contexts:
            - name: tls
              context: {cluster: tls, user: cert-user}
            users:
            - name: cert-user
              user:
                client-certificate: pki/client.crt
                client-key: pki/client.key
            """);
        _env.Variables["KUBECONFIG"] = string.Join(Path.PathSeparator, first, second);
        var handler = EmptyNodes();

        using var gateway = ClusterGateway.Connect(new KubeconfigOptions(Context: "tls"), new GatewayOptions { MessageHandlers = [handler], Environment = _env });
        await gateway.ListNodesAsync(null, CancellationToken.None);

        Assert.Equal(1, handler.Count);
        Assert.Null(handler.Authorizations.Single());
    }

    [Fact]
    public void MissingRelativeCertificateNamesTheResolvedPath()
    {
        var (cert, _) = TestCerts.Create();
        _dir.Write("kc/client.crt", cert);
        var file = _dir.Write("kc/config", """
            apiVersion: v1
            kind: Config
            current-context: c
            clusters:
            - name: c
              cluster: {server: http://c.test}
            contexts:
            - name: c
              context: {cluster: c, user: u}
            users:
            - name: u
              user: {client-certificate: client.crt, client-key: missing.key}
            """);

        var e = Assert.Throws<ClydeException>(() => ClusterGateway.Connect(new KubeconfigOptions([file]), new GatewayOptions { Environment = _env }));

        Assert.Equal("ClydeKubeconfigInvalid", e.ErrorId);
        Assert.Contains(Path.Combine(_dir.Path, "kc"), e.Message);
    }

    [Fact]
    public async Task ClientCertificateDataWorks()
    {
        var (cert, key) = TestCerts.Create();
        string B64(string s) => Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(s));
        var file = _dir.Write("config", $$"""
            apiVersion: v1
            kind: Config
            current-context: c
            clusters:
            - name: c
              cluster:
                server: https://c.test
                certificate-authority-data: {{B64(cert)}}
            contexts:
            - name: c
              context: {cluster: c, user: u}
            users:
            - name: u
              user:
                client-certificate-data: {{B64(cert)}}
                client-key-data: {{B64(key)}}
            """);
        var handler = EmptyNodes();
        using var gateway = ClusterGateway.Connect(new KubeconfigOptions([file]), new GatewayOptions { MessageHandlers = [handler], Environment = _env });
        Assert.Empty(await gateway.ListNodesAsync(null, CancellationToken.None));
    }

    [Fact]
    public async Task ExecCredentialPluginTokenIsUsed()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // the plugin here is a shell script
        }
        var plugin = _dir.Write("bin/plugin.sh", """
            #!/bin/sh
            echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"exec-token-from-plugin"}}'
            """);
        File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var file = _dir.Write("config", """
            apiVersion: v1
            kind: Config
            current-context: c
            clusters:
            - name: c
              cluster: {server: http://c.test}
            contexts:
            - name: c
              context: {cluster: c, user: u}
            users:
            - name: u
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: ./bin/plugin.sh
            """);
        var handler = EmptyNodes();

        using var gateway = ClusterGateway.Connect(new KubeconfigOptions([file]), new GatewayOptions { MessageHandlers = [handler], Environment = _env });
        await gateway.ListNodesAsync(null, CancellationToken.None);

        Assert.Equal("Bearer exec-token-from-plugin", handler.Authorizations.Single());
    }

    [Fact]
    public void FailingExecPluginIsReportedWithoutSecrets()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var plugin = _dir.Write("bin/fail.sh", """
            #!/bin/sh
            echo 'partial output token=leaky-plugin-secret'
            echo 'sign-in failed: Authorization: Bearer leaky-header-secret' >&2
            exit 1
            """);
        File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var file = _dir.Write("config", """
            apiVersion: v1
            kind: Config
            current-context: c
            clusters:
            - name: c
              cluster: {server: http://c.test}
            contexts:
            - name: c
              context: {cluster: c, user: u}
            users:
            - name: u
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: ./bin/fail.sh
            """);

        var e = Assert.Throws<ClydeException>(() => ClusterGateway.Connect(new KubeconfigOptions([file]), new GatewayOptions { Environment = _env }));

        Assert.Equal("ClydeCredentialPluginFailed", e.ErrorId);
        Assert.Equal(ClydeErrorKind.Configuration, e.Kind);
        Assert.DoesNotContain("leaky-plugin-secret", e.ToString());
        Assert.DoesNotContain("leaky-header-secret", e.ToString());
    }
}
