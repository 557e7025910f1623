using ClydePS.Lab.Store;

namespace ClydePS.Lab.Resources.Core;

/// <summary>The platform kinds: config, identity, networking, events, leases, RBAC, admission, CRDs.</summary>
public static class PlatformResources
{
    public static void Register(ResourceRegistry r)
    {
        r.Register(ConfigMapResource.Definition());
        r.Register(SecretResource.Definition());
        r.Register(ServiceAccountResource.Definition());
        r.Register(ServiceResource.Definition());
        r.Register(EndpointsResource.Definition());
        r.Register(EventResource.Definition());
        r.Register(LeaseResource.Definition());
        r.Register(Admission.MutatingWebhookConfigurationResource.Definition());
        foreach (var d in Rbac.RbacResources.Definitions()) r.Register(d);
        r.Register(Crd.CustomResourceDefinitionResource.Definition());
    }

    public static ResourceDefinition ConfigMaps(this ResourceRegistry r) => r.Get("", "v1", "configmaps");
    public static ResourceDefinition Secrets(this ResourceRegistry r) => r.Get("", "v1", "secrets");
    public static ResourceDefinition ServiceAccounts(this ResourceRegistry r) => r.Get("", "v1", "serviceaccounts");
    public static ResourceDefinition Services(this ResourceRegistry r) => r.Get("", "v1", "services");
    public static ResourceDefinition EndpointsDef(this ResourceRegistry r) => r.Get("", "v1", "endpoints");
    public static ResourceDefinition Leases(this ResourceRegistry r) => r.Get("coordination.k8s.io", "v1", "leases");
}
