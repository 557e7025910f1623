using System.Collections.Concurrent;
using k8s.KubeConfigModels;

namespace ClydePS.Engine.Kube;

/// <summary>One context of the merged kubeconfig, for tab completion and listings.</summary>
public sealed record KubeContextInfo(string Name, string? Namespace, string? Cluster, string? User, bool IsCurrent, string File);

/// <summary>
/// Cheap kubeconfig reads for tab completion: parses the files (cached per file until it changes), never runs a
/// credential plugin or opens a connection, and never throws (unreadable files are skipped).
/// </summary>
public static class KubeconfigReader
{
    private static readonly ConcurrentDictionary<string, (DateTime Written, long Length, K8SConfiguration Config)> Cache = new();

    public static IReadOnlyList<KubeContextInfo> ListContexts(KubeconfigOptions options, IKubeEnvironment? environment = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        KubeconfigFiles.Resolution resolution;
        try
        {
            resolution = KubeconfigFiles.Resolve(options with { Context = null }, environment ?? SystemKubeEnvironment.Instance);
        }
        catch (ClydeException)
        {
            return [];
        }

        var configs = resolution.Files.Select(TryRead).Where(c => c is not null).Select(c => c!).ToList();
        if (configs.Count == 0)
        {
            return [];
        }
        var merged = KubeconfigLoader.Merge(configs, out _);
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var config in configs)
        {
            foreach (var context in config.Contexts.Where(c => c?.Name is not null))
            {
                sources.TryAdd(context.Name, config.FileName);
            }
        }
        return merged.Contexts
            .Select(c => new KubeContextInfo(c.Name, c.ContextDetails?.Namespace, c.ContextDetails?.Cluster, c.ContextDetails?.User,
                c.Name == merged.CurrentContext, sources.GetValueOrDefault(c.Name, string.Empty)))
            .ToList();
    }

    private static K8SConfiguration? TryRead(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (Cache.TryGetValue(path, out var cached) && cached.Written == info.LastWriteTimeUtc && cached.Length == info.Length)
            {
                return cached.Config;
            }
            var config = KubeconfigFiles.Read(path);
            Cache[path] = (info.LastWriteTimeUtc, info.Length, config);
            return config;
        }
        catch (Exception e) when (e is ClydeException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
