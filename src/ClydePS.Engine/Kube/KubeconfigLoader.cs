using System.Security.Cryptography;
using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;

namespace ClydePS.Engine.Kube;

/// <summary>A kubeconfig resolved to one context, ready to build a client from.</summary>
internal sealed record ResolvedKubeconfig(
    KubernetesClientConfiguration ClientConfiguration,
    string ContextName,
    string Namespace,
    string ServerUrl,
    LabInfo? Lab,
    IReadOnlyList<string> Files,
    SecretRedactor Redactor);

/// <summary>
/// Resolves a kubeconfig exactly like kubectl: which files (see <see cref="KubeconfigFiles"/>), merged with the first
/// file winning for each cluster, user and context name and for current-context; then one context is built into a
/// client configuration (token, client certificate data or files, exec credential plugins), else in-cluster.
/// </summary>
internal static class KubeconfigLoader
{
    public const string InClusterContextName = "in-cluster";

    public static ResolvedKubeconfig Load(KubeconfigOptions options, IKubeEnvironment? environment = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        environment ??= SystemKubeEnvironment.Instance;
        var resolution = KubeconfigFiles.Resolve(options, environment);
        if (resolution.Files.Count == 0)
        {
            return LoadInCluster(options, environment, resolution);
        }

        var merged = Merge(resolution.Files.Select(KubeconfigFiles.Read).ToList(), out var clusterFiles);
        var redactor = new SecretRedactor();
        RegisterSecrets(merged, redactor);

        var contextName = SelectContext(merged, options.Context, resolution);
        var context = merged.Contexts.First(c => c.Name == contextName);
        var clusterName = context.ContextDetails?.Cluster;
        var cluster = merged.Clusters.FirstOrDefault(c => c.Name == clusterName);
        var where = clusterName is not null && clusterFiles.TryGetValue(clusterName, out var file) ? file : resolution.Files[0];
        if (cluster?.ClusterEndpoint is null)
        {
            throw new ClydeException(ClydeErrorKind.Configuration, KubeErrorIds.KubeconfigInvalid,
                $"Context '{contextName}' names cluster '{clusterName}', which is not in the kubeconfig (files: {string.Join(", ", resolution.Files)}). " +
                "Add the cluster entry or fix the context.", contextName);
        }

        LabInfo? lab;
        try
        {
            lab = LabInfo.FromExtensions(cluster.ClusterEndpoint.Extensions);
        }
        catch (FormatException e)
        {
            throw new ClydeException(ClydeErrorKind.Configuration, KubeErrorIds.KubeconfigInvalid,
                $"The kubeconfig file '{where}': cluster '{clusterName}': {e.Message}. Fix the value (for example timeScale: 60).", where);
        }

        // kubectl accepts a user entry without credentials (anonymous access); KubernetesClient refuses it
        // unless the context names no user at all.
        var user = merged.Users?.FirstOrDefault(u => u.Name == context.ContextDetails?.User);
        if (context.ContextDetails != null && (user == null || HasNoCredentials(user.UserCredentials)))
        {
            context.ContextDetails.User = null;
        }

        var mapper = new ErrorMapper(contextName, cluster.ClusterEndpoint.Server, redactor);
        KubernetesClientConfiguration clientConfiguration;
        using var pluginOutput = ExecPluginOutput.Capture();
        try
        {
            clientConfiguration = KubernetesClientConfiguration.BuildConfigFromConfigObject(merged, contextName);
        }
        catch (KubeConfigException e)
        {
            throw mapper.Map(e, "load the kubeconfig", contextName);
        }
        catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException or FormatException)
        {
            throw FileProblem(e, contextName, cluster.ClusterEndpoint.CertificateAuthority, where, redactor);
        }

        redactor.AddSecret(clientConfiguration.AccessToken);
        redactor.AddSecret(clientConfiguration.Password);
        redactor.AddSecret(clientConfiguration.ClientCertificateKeyData);
        return new ResolvedKubeconfig(
            clientConfiguration,
            clientConfiguration.CurrentContext ?? contextName,
            string.IsNullOrEmpty(clientConfiguration.Namespace) ? "default" : clientConfiguration.Namespace,
            clientConfiguration.Host,
            lab,
            resolution.Files,
            redactor);
    }

    /// <summary>Merges parsed files, first occurrence of each name winning (kubectl's rule).</summary>
    internal static K8SConfiguration Merge(IReadOnlyList<K8SConfiguration> configs, out Dictionary<string, string> clusterFiles)
    {
        var clusters = new List<Cluster>();
        var contexts = new List<Context>();
        var users = new List<User>();
        var extensions = new List<NamedExtension>();
        clusterFiles = new Dictionary<string, string>(StringComparer.Ordinal);
        string? currentContext = null;
        foreach (var config in configs)
        {
            currentContext = string.IsNullOrEmpty(currentContext) ? config.CurrentContext : currentContext;
            foreach (var cluster in config.Clusters.Where(c => c?.Name is not null))
            {
                if (clusterFiles.TryAdd(cluster.Name, config.FileName))
                {
                    clusters.Add(cluster);
                }
            }
            AddFirst(contexts, config.Contexts, c => c.Name);
            AddFirst(users, config.Users, u => u.Name);
            AddFirst(extensions, config.Extensions, e => e.Name);
        }
        return new K8SConfiguration
        {
            ApiVersion = "v1",
            Kind = "Config",
            CurrentContext = currentContext,
            Clusters = clusters,
            Contexts = contexts,
            Users = users,
            Extensions = extensions,
            FileName = configs.Count > 0 ? configs[0].FileName : null,
        };
    }

    internal static string DescribeContexts(IEnumerable<Context> contexts)
    {
        var names = contexts.Select(c => c.Name).Where(n => !string.IsNullOrEmpty(n)).ToList();
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }

    private static string SelectContext(K8SConfiguration merged, string? requested, KubeconfigFiles.Resolution resolution)
    {
        var files = string.Join(", ", resolution.Files);
        if (!string.IsNullOrEmpty(requested))
        {
            if (merged.Contexts.Any(c => c.Name == requested))
            {
                return requested;
            }
            throw new ClydeException(ClydeErrorKind.InvalidArgument, KubeErrorIds.ContextNotFound,
                $"Context '{requested}' is not in the kubeconfig (files: {files}). Known contexts: {DescribeContexts(merged.Contexts)}.",
                requested);
        }
        if (string.IsNullOrEmpty(merged.CurrentContext))
        {
            throw new ClydeException(ClydeErrorKind.Configuration, KubeErrorIds.ContextNotFound,
                $"The kubeconfig (files: {files}) sets no current-context. Pass -Context with one of: {DescribeContexts(merged.Contexts)}.",
                null);
        }
        if (!merged.Contexts.Any(c => c.Name == merged.CurrentContext))
        {
            throw new ClydeException(ClydeErrorKind.Configuration, KubeErrorIds.ContextNotFound,
                $"The current-context '{merged.CurrentContext}' is not in the kubeconfig (files: {files}). " +
                $"Pass -Context with one of: {DescribeContexts(merged.Contexts)}, or run 'kubectl config use-context'.",
                merged.CurrentContext);
        }
        return merged.CurrentContext;
    }

    private static ResolvedKubeconfig LoadInCluster(KubeconfigOptions options, IKubeEnvironment environment, KubeconfigFiles.Resolution resolution)
    {
        if (!environment.IsInCluster())
        {
            var why = resolution.From == KubeconfigFiles.Source.EnvironmentVariable
                ? $"none of the files in {resolution.Description} exists"
                : $"$KUBECONFIG is not set and {resolution.Description} does not exist";
            throw new ClydeException(ClydeErrorKind.Configuration, KubeErrorIds.KubeconfigMissing,
                $"No kubeconfig found: {why}, and this is not a pod in a cluster. " +
                "Pass -Kubeconfig, set $KUBECONFIG, or create ~/.kube/config (for example with your cloud CLI's get-credentials command).",
                null);
        }
        if (!string.IsNullOrEmpty(options.Context) && options.Context != InClusterContextName)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, KubeErrorIds.ContextNotFound,
                $"Context '{options.Context}' is not in the kubeconfig (no kubeconfig file found; using the in-cluster service account). Known contexts: {InClusterContextName}.",
                options.Context);
        }
        var redactor = new SecretRedactor();
        KubernetesClientConfiguration configuration;
        try
        {
            configuration = environment.InClusterConfig();
        }
        catch (Exception e) when (e is KubeConfigException or IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ClydeException(ClydeErrorKind.Configuration, KubeErrorIds.KubeconfigInvalid,
                $"Cannot use the in-cluster service account: {redactor.Redact(e.Message)}. Check the pod's service account token mount.", InClusterContextName);
        }
        redactor.AddSecret(configuration.AccessToken);
        return new ResolvedKubeconfig(configuration, InClusterContextName,
            string.IsNullOrEmpty(configuration.Namespace) ? "default" : configuration.Namespace,
            configuration.Host, null, [], redactor);
    }

    internal static ClydeException FileProblem(Exception e, string contextName, string? hint, string where, SecretRedactor redactor)
    {
        var file = e is FileNotFoundException notFound && notFound.FileName is not null ? notFound.FileName : hint;
        var problem = e is FileNotFoundException or DirectoryNotFoundException ? "is missing" : "cannot be read as a certificate or key";
        return new ClydeException(ClydeErrorKind.Configuration, KubeErrorIds.KubeconfigInvalid,
            $"A file that context '{contextName}' uses ({file ?? "certificate or key"}) {problem} ({e.GetType().Name}: {redactor.Redact(e.Message)}). " +
            $"Relative paths are resolved against the kubeconfig file's folder ({Path.GetDirectoryName(where)}); fix the path in the kubeconfig.",
            file ?? contextName);
    }

    private static void RegisterSecrets(K8SConfiguration config, SecretRedactor redactor)
    {
        foreach (var credentials in config.Users.Select(u => u.UserCredentials).Where(c => c is not null))
        {
            redactor.AddSecret(credentials.Token);
            redactor.AddSecret(credentials.Password);
            redactor.AddSecret(credentials.ClientKeyData);
            foreach (var value in credentials.AuthProvider?.Config?.Values ?? Enumerable.Empty<string>())
            {
                redactor.AddSecret(value);
            }
            foreach (var variable in credentials.ExternalExecution?.EnvironmentVariables ?? [])
            {
                if (variable.TryGetValue("value", out var value))
                {
                    redactor.AddSecret(value);
                }
            }
        }
    }

    private static void AddFirst<T>(List<T> target, IEnumerable<T>? items, Func<T, string?> name)
    {
        foreach (var item in items ?? [])
        {
            var key = item is null ? null : name(item);
            if (key is not null && !target.Any(existing => name(existing) == key))
            {
                target.Add(item!);
            }
        }
    }

    private static bool HasNoCredentials(k8s.KubeConfigModels.UserCredentials? c) =>
        c == null || (string.IsNullOrEmpty(c.Token)
            && string.IsNullOrEmpty(c.ClientCertificateData) && string.IsNullOrEmpty(c.ClientCertificate)
            && string.IsNullOrEmpty(c.UserName) && string.IsNullOrEmpty(c.Password)
            && c.ExternalExecution == null && c.AuthProvider == null);
}
