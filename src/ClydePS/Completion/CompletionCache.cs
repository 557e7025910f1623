using System.Collections.Concurrent;
using ClydePS.Engine.Kube;

namespace ClydePS.Completion;

/// <summary>
/// Answers completers from cached state: contexts until the kubeconfig files change, cluster names for
/// a short time per cluster and context. A slow or unreachable cluster costs at most one short wait.
/// </summary>
internal static class CompletionCache
{
    private static readonly TimeSpan ClusterTtl = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ClusterCallLimit = TimeSpan.FromSeconds(2);
    private static readonly ConcurrentDictionary<string, (DateTime At, IReadOnlyList<string> Values)> Cache = new();

    public static IReadOnlyList<string> Contexts(KubeconfigOptions options)
    {
        string key = "ctx|" + string.Join(";", KubeconfigFiles(options).Select(f => f + "@" + Stamp(f)));
        return Remember(key, TimeSpan.MaxValue, () => KubeconfigReader.ListContexts(options).Select(c => c.Name).ToArray());
    }

    public static IReadOnlyList<string> Namespaces(KubeconfigOptions options, string? context) =>
        FromCluster("ns", options, context, (gateway, ct) =>
            ClusterNames.NamespacesAsync(gateway, ct));

    public static IReadOnlyList<string> Nodes(KubeconfigOptions options, string? context) =>
        FromCluster("node", options, context, (gateway, ct) =>
            ClusterNames.NodesAsync(gateway, ct));

    /// <summary>DaemonSet names in a namespace (null: the context's namespace).</summary>
    public static IReadOnlyList<string> DaemonSets(KubeconfigOptions options, string? context, string? ns) =>
        FromCluster("ds:" + ns, options, context, (gateway, ct) =>
            ClusterNames.DaemonSetsAsync(gateway, ns, ct));

    private static IReadOnlyList<string> FromCluster(string kind, KubeconfigOptions options, string? context,
        Func<ClusterGateway, CancellationToken, Task<string[]>> fetch)
    {
        string key = $"{kind}|{string.Join(";", options.Paths ?? [])}|{Environment.GetEnvironmentVariable("KUBECONFIG")}|{context}";
        return Remember(key, ClusterTtl, () =>
        {
            try
            {
                using var cts = new CancellationTokenSource(ClusterCallLimit);
                using ClusterGateway gateway = ClusterGateway.Connect(options with { Context = context }, new GatewayOptions { Retry = new RetryOptions { MaxAttempts = 1 } });
                return fetch(gateway, cts.Token).GetAwaiter().GetResult();
            }
            catch (Exception)
            {
                return [];
            }
        });
    }

    private static IReadOnlyList<string> Remember(string key, TimeSpan ttl, Func<IReadOnlyList<string>> load)
    {
        if (Cache.TryGetValue(key, out var hit) && (ttl == TimeSpan.MaxValue || DateTime.UtcNow - hit.At < ttl))
        {
            return hit.Values;
        }

        IReadOnlyList<string> values = load();
        Cache[key] = (DateTime.UtcNow, values);
        return values;
    }

    private static IEnumerable<string> KubeconfigFiles(KubeconfigOptions options) =>
        options.Paths ?? (Environment.GetEnvironmentVariable("KUBECONFIG") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .DefaultIfEmpty(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config"));

    private static string Stamp(string file) =>
        File.Exists(file) ? File.GetLastWriteTimeUtc(file).Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture) : "missing";
}
