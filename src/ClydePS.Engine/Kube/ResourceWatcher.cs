using System.Runtime.CompilerServices;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ClydePS.Engine.Kube;

/// <summary>
/// A small, typed slice of client-go's reflector: list, watch from the list's resourceVersion, resume after a dropped
/// stream, relist on 410 Expired and yield the difference so the consumer's view never goes stale.
/// </summary>
internal sealed class ResourceWatcher<T, TList>
    where T : IKubernetesObject<V1ObjectMeta>
    where TList : IItems<T>, IMetadata<V1ListMeta>
{
    private readonly ClusterGateway _gateway;
    private readonly string _operation;
    private readonly object? _target;
    private readonly ListCall<TList> _listOrWatch;
    private readonly TimeSpan _watchTimeout;
    private readonly Dictionary<string, T> _known = new(StringComparer.Ordinal);

    public ResourceWatcher(ClusterGateway gateway, string operation, object? target, ListCall<TList> listOrWatch, TimeSpan watchTimeout)
    {
        _gateway = gateway;
        _operation = operation;
        _target = target;
        _listOrWatch = listOrWatch;
        _watchTimeout = watchTimeout;
    }

    public async IAsyncEnumerable<(WatchEventType Type, T Object)> RunAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var resourceVersion = string.Empty;
        var relist = true;
        var failures = 0;
        long failingSince = 0;
        var time = _gateway.TimeProvider;

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (relist)
            {
                var list = await _gateway.ListAsync<T, TList>(_operation, _target, _listOrWatch, cancellationToken).ConfigureAwait(false);
                foreach (var change in Reconcile(list.Items))
                {
                    yield return change;
                }
                resourceVersion = list.ResourceVersion;
                relist = false;
            }

            var streamErrors = new List<Exception>();
            Exception? failure = null;
            var received = 0;
            HttpOperationResponse<TList>? response = null;
            try
            {
                var request = new ListRequest(Watch: true, ResourceVersion: resourceVersion, AllowWatchBookmarks: true,
                    TimeoutSeconds: (int)Math.Max(1, _watchTimeout.TotalSeconds));
                response = await _listOrWatch(_gateway.Client, request, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                failure = e;
            }

            if (response is not null)
            {
                using (response)
                {
                    // Obsolete in 21.x in favour of the per-resource WatchList*Async methods, but it is what lets one
                    // ListCall delegate serve both list and watch; KubernetesClient is pinned centrally.
#pragma warning disable CS0618
                    await using var events = Task.FromResult(response)
                        .WatchAsync<T, TList>(streamErrors.Add, cancellationToken)
                        .GetAsyncEnumerator(cancellationToken);
#pragma warning restore CS0618
                    while (true)
                    {
                        bool more;
                        try
                        {
                            more = await events.MoveNextAsync().ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                        {
                            throw;
                        }
                        catch (Exception e)
                        {
                            failure = e;
                            break;
                        }
                        if (streamErrors.Count > 0 || !more)
                        {
                            break;
                        }

                        var (type, item) = events.Current;
                        received++;
                        failures = 0;
                        if (item?.Metadata?.ResourceVersion is { Length: > 0 } version)
                        {
                            resourceVersion = version;
                        }
                        if (item is null || type == WatchEventType.Bookmark || type == WatchEventType.Error)
                        {
                            continue;
                        }
                        var key = Key(item);
                        if (type == WatchEventType.Deleted)
                        {
                            _known.Remove(key);
                        }
                        else
                        {
                            _known[key] = item;
                        }
                        yield return (type, item);
                    }
                }
            }

            failure ??= streamErrors.FirstOrDefault();
            if (failure is null)
            {
                // The server ended the watch (its timeout): resume at once; pause briefly only if it ended empty-handed.
                if (received == 0)
                {
                    await Task.Delay(_gateway.Retry.Options.BaseDelay, time, cancellationToken).ConfigureAwait(false);
                }
                continue;
            }

            var error = _gateway.Errors.Map(failure, _operation, _target, cancellationToken);
            if (error.StatusCode == 410)
            {
                relist = true;
                continue;
            }
            if (failures == 0)
            {
                failingSince = time.GetTimestamp();
            }
            failures++;
            var delay = _gateway.Retry.DelayBeforeRetry(failures, error, time.GetElapsedTime(failingSince));
            if (delay is null)
            {
                throw _gateway.Retry.GiveUpWith(error, failures, time.GetElapsedTime(failingSince));
            }
            _gateway.Retry.Notify(new RetryNotice(_operation, _target, failures, _gateway.Retry.Options.MaxAttempts, delay.Value, error));
            await Task.Delay(delay.Value, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Replaces the known set with a fresh list and returns the events that turn the old view into the new one.</summary>
    private List<(WatchEventType, T)> Reconcile(IReadOnlyList<T> items)
    {
        var changes = new List<(WatchEventType, T)>();
        var fresh = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            fresh[Key(item)] = item;
        }
        foreach (var (key, old) in _known.ToList())
        {
            if (!fresh.ContainsKey(key))
            {
                _known.Remove(key);
                changes.Add((WatchEventType.Deleted, old));
            }
        }
        foreach (var (key, item) in fresh)
        {
            if (!_known.TryGetValue(key, out var old))
            {
                changes.Add((WatchEventType.Added, item));
            }
            else if (old.Metadata?.ResourceVersion != item.Metadata?.ResourceVersion)
            {
                changes.Add((WatchEventType.Modified, item));
            }
            _known[key] = item;
        }
        return changes;
    }

    private static string Key(T item) =>
        string.IsNullOrEmpty(item.Metadata?.NamespaceProperty) ? item.Metadata?.Name ?? string.Empty : $"{item.Metadata.NamespaceProperty}/{item.Metadata.Name}";
}
