using ClydePS.Lab.Store;

namespace ClydePS.Lab.Resources;

/// <summary>Registers the kinds the Lab serves. New kinds (LAB.md) are added here.</summary>
public static class CoreResources
{
    public static ResourceRegistry CreateRegistry()
    {
        var r = new ResourceRegistry();
        r.Register(NamespaceResource.Definition());
        r.Register(NodeResource.Definition());
        r.Register(PodResource.Definition());
        Core.PlatformResources.Register(r);
        Workloads.WorkloadResources.Register(r);
        return r;
    }

    public static ResourceDefinition Namespaces(this ResourceRegistry r) => r.Get("", "v1", "namespaces");
    public static ResourceDefinition Nodes(this ResourceRegistry r) => r.Get("", "v1", "nodes");
    public static ResourceDefinition Pods(this ResourceRegistry r) => r.Get("", "v1", "pods");
}
