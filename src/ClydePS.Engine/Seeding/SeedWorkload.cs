using ClydePS.Engine.Kube;
using k8s;

namespace ClydePS.Engine.Seeding;

/// <summary>Checks on the workload's side of a seeding run, made before anything is created.</summary>
public static class SeedWorkload
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
