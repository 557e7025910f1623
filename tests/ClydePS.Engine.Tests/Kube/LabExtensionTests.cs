using ClydePS.Engine.Kube;

namespace ClydePS.Engine.Tests.Kube;

public sealed class LabExtensionTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FakeKubeEnvironment _env = new();

    public void Dispose() => _dir.Dispose();

    private string Config(string extension) => _dir.Write("config", $$"""
        apiVersion: v1
        kind: Config
        current-context: lab
        clusters:
        - name: lab
          cluster:
            server: http://127.0.0.1:5000
        {{extension}}
        - name: real
          cluster:
            server: https://real.example
        contexts:
        - name: lab
          context: {cluster: lab, user: u}
        - name: real
          context: {cluster: real, user: u}
        users:
        - name: u
          user: {token: t0ken-value}
        """);

    [Fact]
    public void LabExtensionIsRead()
    {
        var file = Config("""
                extensions:
                - name: other.example/thing
                  extension: {a: 1}
                - name: clydeps.io/lab
                  extension:
                    timeScale: 60.5
                    nodes: 100
            """);

        using var gateway = ClusterGateway.Connect(new KubeconfigOptions([file]), new GatewayOptions { Environment = _env });

        Assert.NotNull(gateway.Lab);
        Assert.Equal(60.5, gateway.Lab!.TimeScale);
        Assert.Equal("100", gateway.Lab.Properties["nodes"]);
    }

    [Fact]
    public void RegistryMirrorIsRead()
    {
        var file = Config("""
                extensions:
                - name: clydeps.io/lab
                  extension:
                    timeScale: 1
                    registryMirror: http://127.0.0.1:5000
                    version: 1
            """);
        using var gateway = ClusterGateway.Connect(new KubeconfigOptions([file]), new GatewayOptions { Environment = _env });
        Assert.Equal("http://127.0.0.1:5000", gateway.Lab!.RegistryMirror);

        var plain = Config("""
                extensions:
                - name: clydeps.io/lab
                  extension: {timeScale: 2}
            """);
        using var other = ClusterGateway.Connect(new KubeconfigOptions([plain]), new GatewayOptions { Environment = _env });
        Assert.Null(other.Lab!.RegistryMirror);
    }

    [Fact]
    public void RealClusterHasNoLab()
    {
        var file = Config("""
                extensions:
                - name: clydeps.io/lab
                  extension: {timeScale: 10}
            """);
        using var gateway = ClusterGateway.Connect(new KubeconfigOptions([file], "real"), new GatewayOptions { Environment = _env });
        Assert.Null(gateway.Lab);
    }

    [Fact]
    public void LabWithoutTimeScaleRunsInRealTime()
    {
        var file = Config("""
                extensions:
                - name: clydeps.io/lab
                  extension: {nodes: 3}
            """);
        using var gateway = ClusterGateway.Connect(new KubeconfigOptions([file]), new GatewayOptions { Environment = _env });
        Assert.Equal(1.0, gateway.Lab!.TimeScale);
    }

    [Fact]
    public void BadTimeScaleIsAConfigurationError()
    {
        var file = Config("""
                extensions:
                - name: clydeps.io/lab
                  extension: {timeScale: fast}
            """);
        var e = Assert.Throws<ClydeException>(() => ClusterGateway.Connect(new KubeconfigOptions([file]), new GatewayOptions { Environment = _env }));
        Assert.Equal("ClydeKubeconfigInvalid", e.ErrorId);
        Assert.Contains(file, e.Message);
        Assert.Contains("timeScale", e.Message);
    }
}
