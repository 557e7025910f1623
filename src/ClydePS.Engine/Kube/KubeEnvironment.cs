using k8s;

namespace ClydePS.Engine.Kube;

/// <summary>What kubeconfig resolution reads from the machine; tests pass a fake instead of touching the process.</summary>
public interface IKubeEnvironment
{
    string? GetEnvironmentVariable(string name);

    /// <summary>The user's home folder (where <c>.kube/config</c> lives), or null when there is none.</summary>
    string? HomeDirectory { get; }

    bool IsInCluster();

    KubernetesClientConfiguration InClusterConfig();
}

/// <summary>The real machine.</summary>
public sealed class SystemKubeEnvironment : IKubeEnvironment
{
    public static SystemKubeEnvironment Instance { get; } = new();

    public string? GetEnvironmentVariable(string name) => Environment.GetEnvironmentVariable(name);

    public string? HomeDirectory
    {
        get
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return string.IsNullOrEmpty(home) ? Environment.GetEnvironmentVariable("HOME") : home;
        }
    }

    public bool IsInCluster() => KubernetesClientConfiguration.IsInCluster();

    public KubernetesClientConfiguration InClusterConfig() => KubernetesClientConfiguration.InClusterConfig();
}
