using ClydePS.Engine.Kube;
using k8s;

namespace ClydePS.Engine.Seeding;

/// <summary>
/// The workload a seeding run is for: its image, namespace, placement (node selector, required affinity, tolerations)
/// and pull secrets, from a DaemonSet manifest (<c>Start-ClydeSeed -Path</c>) or from parameters.
/// </summary>
public sealed record SeedWorkload(string Name, string? Namespace, string Image, WorkloadPlacement Placement, IReadOnlyList<string> ImagePullSecrets)
{
    /// <summary>Fails with ClydeNamespaceNotFound when the namespace does not exist (before anything is created).</summary>
    public static async Task EnsureNamespaceAsync(ClusterGateway gateway, string ns, CancellationToken ct)
    {
        try
        {
            await gateway.CallAsync("read namespace", ns, (c, t) => c.CoreV1.ReadNamespaceAsync(ns, cancellationToken: t), ct).ConfigureAwait(false);
        }
        catch (ClydeException e) when (e.StatusCode == 404)
        {
            throw new ClydeException(ClydeErrorKind.NotFound, "ClydeNamespaceNotFound",
                $"Namespace '{ns}' does not exist. Create it (kubectl create namespace {ns}) or pass another -Namespace.", ns, e);
        }
    }
}
