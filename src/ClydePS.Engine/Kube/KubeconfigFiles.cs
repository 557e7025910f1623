using k8s;
using k8s.KubeConfigModels;
using YamlDotNet.Core;

namespace ClydePS.Engine.Kube;

/// <summary>Which kubeconfig files apply (kubectl's rules) and how one file is read.</summary>
internal static class KubeconfigFiles
{
    public const string EnvironmentVariable = "KUBECONFIG";

    /// <summary>Where the files came from, for messages.</summary>
    public enum Source { Explicit, EnvironmentVariable, Home, None }

    public sealed record Resolution(IReadOnlyList<string> Files, Source From, string Description);

    /// <summary>
    /// Explicit paths (each must exist), else <c>$KUBECONFIG</c> (missing entries ignored, like kubectl), else
    /// <c>~/.kube/config</c> when it exists. An empty result means: try in-cluster.
    /// </summary>
    public static Resolution Resolve(KubeconfigOptions options, IKubeEnvironment environment)
    {
        var explicitPaths = Split(options.Paths ?? []);
        if (explicitPaths.Count > 0)
        {
            var files = new List<string>();
            foreach (var path in explicitPaths)
            {
                var full = Path.GetFullPath(ExpandHome(path, environment));
                if (!File.Exists(full))
                {
                    throw new ClydeException(ClydeErrorKind.InvalidArgument, KubeErrorIds.KubeconfigNotFound,
                        $"The kubeconfig file '{full}' does not exist. Check the -Kubeconfig path, or leave -Kubeconfig out to use $KUBECONFIG or ~/.kube/config.",
                        path);
                }
                AddOnce(files, full);
            }
            return new Resolution(files, Source.Explicit, "-Kubeconfig " + string.Join(", ", files));
        }

        var variable = environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(variable))
        {
            var listed = Split([variable]).Select(p => Path.GetFullPath(ExpandHome(p, environment))).ToList();
            var files = new List<string>();
            foreach (var path in listed.Where(File.Exists))
            {
                AddOnce(files, path);
            }
            return new Resolution(files, Source.EnvironmentVariable, "$KUBECONFIG (" + string.Join(Path.PathSeparator, listed) + ")");
        }

        var home = environment.HomeDirectory;
        if (!string.IsNullOrEmpty(home))
        {
            var path = Path.Combine(home, ".kube", "config");
            if (File.Exists(path))
            {
                return new Resolution([path], Source.Home, path);
            }
            return new Resolution([], Source.None, path);
        }
        return new Resolution([], Source.None, "~/.kube/config");
    }

    /// <summary>
    /// Reads one kubeconfig file: YAML checked first so a syntax error names its line, then the client's model,
    /// then every relative file path made absolute against this file's folder (kubectl does; the client would use
    /// the first merged file's folder for all of them).
    /// </summary>
    public static K8SConfiguration Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClydeException(ClydeErrorKind.Configuration, KubeErrorIds.KubeconfigInvalid,
                $"Cannot read the kubeconfig file '{path}' ({e.GetType().Name}). Check that it exists and that you may read it.", path);
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return Empty(path);
        }

        var parser = new Parser(new StringReader(text));
        try
        {
            while (parser.MoveNext())
            {
            }
        }
        catch (YamlException e)
        {
            // Only the position: a parser message may quote the file's content, which can hold credentials.
            throw Invalid(path, $"is not valid YAML at line {e.Start.Line}, column {e.Start.Column}");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet fails this way on some unterminated flow collections; the last good event is close by.
            throw Invalid(path, $"is not valid YAML near line {parser.Current?.Start.Line ?? 1} (an unclosed {{ or [ ?)");
        }

        K8SConfiguration config;
        try
        {
            config = KubernetesYaml.Deserialize<K8SConfiguration>(text) ?? Empty(path);
        }
        catch (YamlException e)
        {
            throw Invalid(path, $"has a value of the wrong shape at line {e.Start.Line}, column {e.Start.Column} (for example a single value where a list or map is expected)");
        }
        catch (Exception)
        {
            throw Invalid(path, "does not have the shape of a kubeconfig (apiVersion, clusters, contexts, users)");
        }

        config.FileName = path;
        config.Clusters ??= [];
        config.Contexts ??= [];
        config.Users ??= [];
        MakePathsAbsolute(config, Path.GetDirectoryName(path)!);
        return config;
    }

    private static ClydeException Invalid(string path, string problem) =>
        new(ClydeErrorKind.Configuration, KubeErrorIds.KubeconfigInvalid,
            $"The kubeconfig file '{path}' {problem}. Fix the file (kubectl config view --kubeconfig '{path}' shows how kubectl reads it).", path);

    private static K8SConfiguration Empty(string path) =>
        new() { FileName = path, Clusters = [], Contexts = [], Users = [] };

    private static void MakePathsAbsolute(K8SConfiguration config, string folder)
    {
        foreach (var cluster in config.Clusters.Where(c => c?.ClusterEndpoint is not null))
        {
            cluster.ClusterEndpoint.CertificateAuthority = Absolute(cluster.ClusterEndpoint.CertificateAuthority, folder);
        }
        foreach (var user in config.Users.Where(u => u?.UserCredentials is not null))
        {
            var credentials = user.UserCredentials;
            credentials.ClientCertificate = Absolute(credentials.ClientCertificate, folder);
            credentials.ClientKey = Absolute(credentials.ClientKey, folder);
            if (credentials.ExternalExecution is { Command: { } command } exec
                && (command.Contains('/') || command.Contains(Path.DirectorySeparatorChar)))
            {
                // kubectl: an exec command with a path separator is relative to the kubeconfig; a bare name is looked up on PATH.
                exec.Command = Absolute(command, folder);
            }
        }
    }

    private static string Absolute(string path, string folder) =>
        string.IsNullOrEmpty(path) || Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(folder, path));

    private static List<string> Split(IEnumerable<string> entries) =>
        entries.Where(e => e is not null)
            .SelectMany(e => e.Split(Path.PathSeparator))
            .Select(e => e.Trim().Trim('"'))
            .Where(e => e.Length > 0)
            .ToList();

    private static string ExpandHome(string path, IKubeEnvironment environment) =>
        (path == "~" || path.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~\\", StringComparison.Ordinal))
        && environment.HomeDirectory is { } home
            ? Path.Combine(home, path.Length > 2 ? path[2..] : string.Empty)
            : path;

    private static void AddOnce(List<string> files, string path)
    {
        if (!files.Contains(path, OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal))
        {
            files.Add(path);
        }
    }
}
