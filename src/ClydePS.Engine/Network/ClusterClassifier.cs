namespace ClydePS.Engine.Network;

/// <summary>Summarises a cluster's nodes into one <see cref="ClydeClusterNetwork"/>.</summary>
public static class ClusterClassifier
{
    /// <summary>
    /// The class of the eligible nodes (Ready, schedulable, not control plane), so a NotReady or
    /// control-plane node cannot flip it. When nodes exist but none is eligible, the class of all nodes
    /// is reported (EligibleCount 0 says why nothing can be seeded); no nodes at all is Empty.
    /// </summary>
    public static ClydeClusterNetwork Summarise(IReadOnlyCollection<ClydeNode> nodes, string? context = null)
    {
        List<ClydeNode> eligible = nodes.Where(n => n.Eligible).ToList();
        IReadOnlyCollection<ClydeNode> deciding = eligible.Count > 0 ? eligible : nodes;

        return new ClydeClusterNetwork
        {
            Class = ClassOf(deciding),
            NodeCount = nodes.Count,
            EligibleCount = eligible.Count,
            PublicCount = nodes.Count(n => n.NetworkClass == NetworkClass.Public),
            PrivateCount = nodes.Count(n => n.NetworkClass == NetworkClass.Private),
            EligiblePublicCount = eligible.Count(n => n.NetworkClass == NetworkClass.Public),
            EligiblePrivateCount = eligible.Count(n => n.NetworkClass == NetworkClass.Private),
            ReadyCount = nodes.Count(n => n.Ready),
            NotReadyCount = nodes.Count(n => !n.Ready),
            SchedulableCount = nodes.Count(n => n.Schedulable),
            ControlPlaneCount = nodes.Count(n => n.ControlPlane),
            Context = context,
        };
    }

    public static ClusterNetworkClass ClassOf(IReadOnlyCollection<ClydeNode> nodes) =>
        ClassOf(nodes.Select(n => n.NetworkClass));

    /// <summary>Public when every class is Public, Private when none is, Mixed otherwise; Empty for no nodes.</summary>
    public static ClusterNetworkClass ClassOf(IEnumerable<NetworkClass> nodeClasses)
    {
        int count = 0, publicCount = 0;
        foreach (var c in nodeClasses)
        {
            count++;
            if (c == NetworkClass.Public)
            {
                publicCount++;
            }
        }
        return count == 0 ? ClusterNetworkClass.Empty
            : publicCount == count ? ClusterNetworkClass.Public
            : publicCount == 0 ? ClusterNetworkClass.Private
            : ClusterNetworkClass.Mixed;
    }
}
