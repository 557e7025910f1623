using System.Security.Cryptography;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ClydePS.Engine.Kube;

/// <summary>
/// The engine's one way to a cluster: a client built from the kubeconfig (kubectl's resolution rules), and typed calls
/// that retry transient failures and turn every failure into a <see cref="ClydeException"/>.
/// Thread-safe; dispose it when the cmdlet ends.
/// </summary>
public sealed class ClusterGateway : IDisposable
{
    private readonly GatewayOptions _options;

    internal ClusterGateway(IKubernetes client, ResolvedKubeconfig kubeconfig, GatewayOptions options)
    {
        Client = client;
        _options = options;
        ContextName = kubeconfig.ContextName;
        Namespace = kubeconfig.Namespace;
        ServerUrl = kubeconfig.ServerUrl;
        Lab = kubeconfig.Lab;
        KubeconfigFiles = kubeconfig.Files;
        Errors = new ErrorMapper(ContextName, ServerUrl, kubeconfig.Redactor);
        Retry = new RetryPolicy(options.Retry, options.TimeProvider, options.Random, options.OnRetry);
        LabTime = Lab is { TimeScale: not 1.0 } lab ? new Util.ScaledTimeProvider(lab.TimeScale, options.TimeProvider) : options.TimeProvider;
    }

    /// <summary>Loads the kubeconfig, picks the context and builds the client (no request is sent yet).</summary>
    /// <exception cref="ClydeException">Kubeconfig missing, malformed or naming an unknown context; credential plugin failed; certificate files unusable.</exception>
    public static ClusterGateway Connect(KubeconfigOptions options, GatewayOptions? gatewayOptions = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        gatewayOptions ??= new GatewayOptions();
        var kubeconfig = KubeconfigLoader.Load(options, gatewayOptions.Environment);
        IKubernetes client;
        try
        {
            client = new Kubernetes(kubeconfig.ClientConfiguration, gatewayOptions.MessageHandlers.ToArray());
        }
        catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException or FormatException)
        {
            throw KubeconfigLoader.FileProblem(e, kubeconfig.ContextName, kubeconfig.ClientConfiguration.ClientCertificateFilePath,
                kubeconfig.Files.FirstOrDefault() ?? ".", kubeconfig.Redactor);
        }
        return new ClusterGateway(client, kubeconfig, gatewayOptions);
    }

    public string ContextName { get; }

    /// <summary>The context's namespace, else "default".</summary>
    public string Namespace { get; }

    public string ServerUrl { get; }

    /// <summary>Set when the cluster is a ClydePS Lab (its kubeconfig cluster entry carries the clydeps.io/lab extension).</summary>
    public LabInfo? Lab { get; }

    /// <summary>The kubeconfig files that were merged (empty for in-cluster).</summary>
    public IReadOnlyList<string> KubeconfigFiles { get; }

    /// <summary>The raw client, for calls made through <see cref="CallAsync{T}"/>.</summary>
    public IKubernetes Client { get; }

    public RetryPolicy Retry { get; }

    public ErrorMapper Errors { get; }

    public TimeProvider TimeProvider => _options.TimeProvider;

    /// <summary>
    /// The cluster's clock: for a Lab with a time scale K != 1 a <see cref="Util.ScaledTimeProvider"/> running K times
    /// faster than <see cref="TimeProvider"/> (so monitor intervals, windows, timeouts and reported durations are Lab
    /// time); otherwise <see cref="TimeProvider"/> itself.
    /// </summary>
    public TimeProvider LabTime { get; }

    /// <summary>
    /// Runs one API call with retries and error mapping. <paramref name="operation"/> reads inside a sentence
    /// ("list nodes", "create DaemonSet"); <paramref name="target"/> is what the call is about. Cancelling
    /// <paramref name="cancellationToken"/> throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public Task<T> CallAsync<T>(string operation, object? target, Func<IKubernetes, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        return Retry.ExecuteAsync(operation, target, ct => call(Client, ct), e => Errors.Map(e, operation, target, cancellationToken), cancellationToken);
    }

    /// <summary>Like <see cref="CallAsync{T}"/> for calls without a result.</summary>
    public Task CallAsync(string operation, object? target, Func<IKubernetes, CancellationToken, Task> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        return CallAsync<bool>(operation, target, async (client, ct) =>
        {
            await call(client, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<V1Node>> ListNodesAsync(string? labelSelector, CancellationToken cancellationToken) =>
        (await ListAsync<V1Node, V1NodeList>("list nodes", null,
            (c, r, ct) => c.CoreV1.ListNodeWithHttpMessagesAsync(
                labelSelector: labelSelector, continueParameter: r.Continue, limit: r.Limit, watch: r.Watch,
                resourceVersion: r.ResourceVersion, allowWatchBookmarks: r.AllowWatchBookmarks, timeoutSeconds: r.TimeoutSeconds,
                cancellationToken: ct),
            cancellationToken).ConfigureAwait(false)).Items;

    public async Task<IReadOnlyList<V1Namespace>> ListNamespacesAsync(CancellationToken cancellationToken) =>
        (await ListAsync<V1Namespace, V1NamespaceList>("list namespaces", null,
            (c, r, ct) => c.CoreV1.ListNamespaceWithHttpMessagesAsync(
                continueParameter: r.Continue, limit: r.Limit, watch: r.Watch,
                resourceVersion: r.ResourceVersion, allowWatchBookmarks: r.AllowWatchBookmarks, timeoutSeconds: r.TimeoutSeconds,
                cancellationToken: ct),
            cancellationToken).ConfigureAwait(false)).Items;

    /// <summary>
    /// Lists every object, page by page (limit <see cref="GatewayOptions.PageSize"/> + continue), each page retried;
    /// when a continue token expires (410) the list starts over. Returns the items and the list's resourceVersion.
    /// </summary>
    public async Task<ListResult<T>> ListAsync<T, TList>(string operation, object? target, ListCall<TList> list, CancellationToken cancellationToken)
        where TList : IItems<T>, IMetadata<V1ListMeta>
    {
        ArgumentNullException.ThrowIfNull(list);
        for (var restarts = 0; ; restarts++)
        {
            var items = new List<T>();
            string? continueToken = null;
            string? resourceVersion = null;
            try
            {
                do
                {
                    var request = new ListRequest(Continue: continueToken, Limit: _options.PageSize);
                    var page = await CallAsync(operation, target, async (client, ct) =>
                    {
                        using var response = await list(client, request, ct).ConfigureAwait(false);
                        return response.Body;
                    }, cancellationToken).ConfigureAwait(false);
                    if (page.Items is not null)
                    {
                        items.AddRange(page.Items);
                    }
                    continueToken = page.Metadata?.ContinueProperty;
                    resourceVersion ??= page.Metadata?.ResourceVersion;
                }
                while (!string.IsNullOrEmpty(continueToken));
                return new ListResult<T>(items, resourceVersion ?? string.Empty);
            }
            catch (ClydeException e) when (e.StatusCode == 410 && continueToken is not null && restarts < 3)
            {
                // The continue token expired between pages: start again from a fresh snapshot.
            }
        }
    }

    /// <summary>
    /// Lists, then watches, yielding what changes: first an Added event per existing object, then the server's events.
    /// A dropped or ended stream resumes from the last resourceVersion seen (bookmarks included); a 410 Expired
    /// relists and yields the difference (Deleted for objects gone meanwhile, Added and Modified for the rest), so
    /// the consumer's view stays right. Transient failures back off like <see cref="CallAsync{T}"/>; others throw.
    /// </summary>
    public IAsyncEnumerable<(WatchEventType Type, T Object)> WatchAsync<T, TList>(
        string operation, object? target, ListCall<TList> listOrWatch, CancellationToken cancellationToken)
        where T : IKubernetesObject<V1ObjectMeta>
        where TList : IItems<T>, IMetadata<V1ListMeta>
    {
        ArgumentNullException.ThrowIfNull(listOrWatch);
        return new ResourceWatcher<T, TList>(this, operation, target, listOrWatch, _options.WatchTimeout).RunAsync(cancellationToken);
    }

    /// <summary>
    /// Waits, with a watch (see <see cref="WatchAsync{T, TList}"/>), until no object matches <paramref name="listOrWatch"/>:
    /// returns as soon as a list comes back empty or the last watched object is deleted. <paramref name="remaining"/> is
    /// told how many are left whenever that changes. Cancellation ends the wait with an OperationCanceledException.
    /// </summary>
    public async Task WaitUntilGoneAsync<T, TList>(string operation, object? target, ListCall<TList> listOrWatch,
        Action<int>? remaining, CancellationToken cancellationToken)
        where T : IKubernetesObject<V1ObjectMeta>
        where TList : IItems<T>, IMetadata<V1ListMeta>
    {
        ArgumentNullException.ThrowIfNull(listOrWatch);
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var left = new HashSet<string>(StringComparer.Ordinal);
        var reported = -1;
        async Task<HttpOperationResponse<TList>> Observe(IKubernetes client, ListRequest request, CancellationToken ct)
        {
            var response = await listOrWatch(client, request, ct).ConfigureAwait(false);
            // A list (not a watch) whose first page is empty and has no next page: nothing is left.
            if (request.Watch != true && request.Continue is null && response.Body.Items is { } items && !items.Any()
                && string.IsNullOrEmpty(response.Body.Metadata?.ContinueProperty))
            {
                gone.Cancel();
            }
            return response;
        }
        try
        {
            await foreach (var (type, obj) in WatchAsync<T, TList>(operation, target, Observe, gone.Token).ConfigureAwait(false))
            {
                var key = obj.Metadata.NamespaceProperty + "/" + obj.Metadata.Name;
                if (type == WatchEventType.Deleted) left.Remove(key);
                else if (type is WatchEventType.Added or WatchEventType.Modified) left.Add(key);
                if (left.Count != reported) remaining?.Invoke(reported = left.Count);
                if (left.Count == 0 && type == WatchEventType.Deleted) return;
            }
        }
        catch (OperationCanceledException) when (gone.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Watches nodes (see <see cref="WatchAsync{T, TList}"/>).</summary>
    public IAsyncEnumerable<(WatchEventType Type, V1Node Object)> WatchNodesAsync(string? labelSelector, CancellationToken cancellationToken) =>
        WatchAsync<V1Node, V1NodeList>("watch nodes", null,
            (c, r, ct) => c.CoreV1.ListNodeWithHttpMessagesAsync(
                labelSelector: labelSelector, continueParameter: r.Continue, limit: r.Limit, watch: r.Watch,
                resourceVersion: r.ResourceVersion, allowWatchBookmarks: r.AllowWatchBookmarks, timeoutSeconds: r.TimeoutSeconds,
                cancellationToken: ct),
            cancellationToken);

    public void Dispose() => Client.Dispose();
}

/// <summary>All objects of a list and the resourceVersion to watch from.</summary>
public sealed record ListResult<T>(IReadOnlyList<T> Items, string ResourceVersion);
