namespace ClydePS.Engine.Kube;

/// <summary>How a <see cref="ClusterGateway"/> behaves beyond what the kubeconfig says. Tests inject time, randomness and HTTP.</summary>
public sealed record GatewayOptions
{
    public RetryOptions Retry { get; init; } = new();

    /// <summary>Called (from any thread) before each retry wait; the cmdlet layer queues a warning when a failure persists.</summary>
    public Action<RetryNotice>? OnRetry { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Source of backoff jitter; pass a seeded one for reproducible waits.</summary>
    public Random? Random { get; init; }

    /// <summary>Where kubeconfig resolution reads environment variables, the home folder and in-cluster state.</summary>
    public IKubeEnvironment Environment { get; init; } = SystemKubeEnvironment.Instance;

    /// <summary>Extra handlers put in front of the client's HTTP handler (tests answer requests here).</summary>
    public IReadOnlyList<DelegatingHandler> MessageHandlers { get; init; } = [];

    /// <summary>The server-side timeout of one watch request; the gateway re-watches when it ends.</summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Page size of list calls.</summary>
    public int PageSize { get; init; } = 500;
}
