using ClydePS.Engine.Kube;

namespace ClydePS.Engine.Tests.Kube;

/// <summary>A gateway on a fake API server, in virtual time, with a seeded jitter source.</summary>
internal sealed class GatewayFixture : IDisposable
{
    private readonly TempDir _dir = new();

    public GatewayFixture(Func<HttpRequestMessage, int, HttpResponseMessage> respond, RetryOptions? retry = null)
    {
        Handler = new FakeApiHandler(respond);
        var file = _dir.Write("config", Kubeconfigs.ForFakeServer());
        Gateway = ClusterGateway.Connect(new KubeconfigOptions([file]), new GatewayOptions
        {
            MessageHandlers = [Handler],
            TimeProvider = Time,
            Random = new Random(1234),
            Retry = retry ?? new RetryOptions(),
            OnRetry = n =>
            {
                lock (Notices)
                {
                    Notices.Add(n);
                }
            },
            Environment = new FakeKubeEnvironment(),
        });
    }

    public ManualTimeProvider Time { get; } = new();

    public FakeApiHandler Handler { get; }

    public ClusterGateway Gateway { get; }

    public List<RetryNotice> Notices { get; } = [];

    public void Dispose()
    {
        Gateway.Dispose();
        _dir.Dispose();
    }
}
