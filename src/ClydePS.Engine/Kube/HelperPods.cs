using k8s;
using k8s.Models;

namespace ClydePS.Engine.Kube;

/// <summary>Deletion of the short-lived pods ClydePS runs for itself (probe, seed, pre-pull pods).</summary>
public static class HelperPods
{
    /// <summary>Time cleanup may take after a run ends or is cancelled.</summary>
    public static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Deletes the pods (grace period 0) in parallel with a fresh token, so it also runs after Ctrl+C; a pod already gone
    /// is fine, and one that cannot be deleted is logged with how to remove it later.
    /// </summary>
    /// <param name="role">The pods' <c>clydeps.io/role</c> (probe, seed, ...), for messages.</param>
    public static async Task DeleteAsync(ClusterGateway gateway, string ns, IReadOnlyCollection<string> names, string role, Action<string>? log)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        if (names.Count == 0)
        {
            return;
        }
        using var cleanup = new CancellationTokenSource(CleanupTimeout);
        await Task.WhenAll(names.Select(async name =>
        {
            try
            {
                await gateway.CallAsync($"delete {role} pod", $"{ns}/{name}",
                    (c, ct) => c.CoreV1.DeleteNamespacedPodAsync(name, ns, gracePeriodSeconds: 0, cancellationToken: ct), cleanup.Token).ConfigureAwait(false);
                log?.Invoke($"Deleted {role} pod {ns}/{name}.");
            }
            catch (ClydeException e) when (e.StatusCode == 404)
            {
            }
            catch (Exception e) when (e is ClydeException or OperationCanceledException)
            {
                log?.Invoke($"Could not delete {role} pod {ns}/{name}: {e.Message} Remove-ClydeLeftover or kubectl delete pod -l clydeps.io/role={role} removes it.");
            }
        })).ConfigureAwait(false);
    }

    /// <summary>
    /// Follows the pods matching <paramref name="selector"/> in <paramref name="ns"/> (list, then watch, resuming after dropped
    /// streams) and hands each event to <paramref name="onPod"/> until <paramref name="ct"/> is cancelled, which ends it quietly.
    /// </summary>
    public static async Task WatchAsync(ClusterGateway gateway, string ns, string selector, string operation, Action<WatchEventType, V1Pod> onPod, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(onPod);
        try
        {
            await foreach (var (type, pod) in gateway.WatchAsync<V1Pod, V1PodList>(operation, ns,
                (c, r, t) => c.CoreV1.ListNamespacedPodWithHttpMessagesAsync(ns, labelSelector: selector, continueParameter: r.Continue, limit: r.Limit,
                    watch: r.Watch, resourceVersion: r.ResourceVersion, allowWatchBookmarks: r.AllowWatchBookmarks, timeoutSeconds: r.TimeoutSeconds,
                    cancellationToken: t), ct).ConfigureAwait(false))
            {
                onPod(type, pod);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>Follows every node (see <see cref="WatchAsync"/>) until <paramref name="ct"/> is cancelled, which ends it quietly.</summary>
    public static async Task WatchNodesAsync(ClusterGateway gateway, Action<WatchEventType, V1Node> onNode, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(onNode);
        try
        {
            await foreach (var (type, node) in gateway.WatchNodesAsync(null, ct).ConfigureAwait(false))
            {
                onNode(type, node);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}
