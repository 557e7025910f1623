namespace ClydePS;

/// <summary>
/// A peer-mesh StatefulSet ClydePS manages (<c>New-</c>, <c>Get-</c>, <c>Set-ClydeMesh</c>): found by its
/// <c>clydeps.io/mesh=&lt;name&gt;</c> label, with its readiness and the peer list every replica receives.
/// </summary>
public sealed class ClydeMesh
{
    public string Name { get; init; } = "";
    public string Namespace { get; init; } = "";
    public string Image { get; init; } = "";

    /// <summary>Desired replicas (spec.replicas).</summary>
    public int Replicas { get; init; }

    /// <summary>Replicas whose pod is ready (status.readyReplicas).</summary>
    public int ReadyReplicas { get; init; }

    /// <summary>Every replica's DNS name with the mesh port (the PEERS list), ordinal order.</summary>
    public string[] Peers { get; init; } = [];

    public int MeshPort { get; init; }
    public int AppPort { get; init; }
    public string ClusterId { get; init; } = "";

    /// <summary>LoadBalancer, NodePort or None.</summary>
    public string ExternalService { get; init; } = "";

    /// <summary>host:port of the external Service once assigned (LoadBalancer ingress, or nodes' port for NodePort); else null.</summary>
    public string? ExternalEndpoint { get; init; }

    /// <summary>Created, Updated or Unchanged from New-/Set-ClydeMesh (the StatefulSet's outcome, else the most changed object's); null from Get.</summary>
    public ApplyOutcome? Outcome { get; init; }

    /// <summary>True when New-ClydeMesh created the namespace (Remove-ClydeMesh -IncludeNamespace may delete it).</summary>
    public bool NamespaceCreatedByClydePS { get; init; }

    public TimeSpan? Age { get; init; }
    public DateTimeOffset? CreationTimestamp { get; init; }

    public override string ToString() => $"{Namespace}/{Name}";
}
