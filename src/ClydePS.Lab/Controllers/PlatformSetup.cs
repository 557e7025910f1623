using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClydePS.Lab.Auth;
using ClydePS.Lab.Resources.Core;
using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Controllers;

/// <summary>Builds and starts the platform controllers and the objects a fresh cluster has (the <c>kubernetes</c> Service).</summary>
public static class PlatformSetup
{
    public static PlatformControllers Start(LabHost lab)
    {
        if (lab.Options.FaultPlan is { } plan) lab.Faults.Set(plan);
        else if (lab.Options.FaultsFile is { } file) lab.Faults.Set(Faults.FaultEndpoints.Load(file));
        lab.Rest.AdmissionPlugins.Add(new Admission.MutatingWebhookPlugin(lab));
        var p = new PlatformControllers(lab);
        var seed = lab.Options.Seed ?? lab.Cluster.Seed ?? 1;
        p.Add(new ServiceAccountController(lab, CaPem(lab)));
        p.Add(new EndpointsController(lab));
        p.Add(new LoadBalancerController(lab, seed));
        p.Add(new NamespaceController(lab));
        p.Add(new Crd.CrdController(lab));
        var lifecycle = new NodeLifecycle.NodeLifecycleService(lab);
        p.Add(lifecycle);
        p.AddService(lifecycle);
        foreach (var extra in Extra) extra(lab, p);
        SeedKubernetesService(lab);
        SeedRbac(lab);
        p.Start();
        lifecycle.Start();
        return p;
    }

    /// <summary>Further controllers to attach (node lifecycle, namespaces, ...), registered by their features.</summary>
    static readonly List<Action<LabHost, PlatformControllers>> Extra = [];
    internal static void Register(Action<LabHost, PlatformControllers> add) { lock (Extra) if (!Extra.Contains(add)) Extra.Add(add); }

    static string CaPem(LabHost lab)
    {
        if (lab.Certificates is { } c) return LabCertificates.CertificatePem(c.Ca);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=clyde-lab-ca", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(10));
        return LabCertificates.CertificatePem(ca);
    }

    static void SeedRbac(LabHost lab)
    {
        var (roles, bindings) = Rbac.RbacResources.Bootstrap();
        var roleDef = lab.Registry.Get(Rbac.RbacResources.Group, "v1", "clusterroles");
        var bindingDef = lab.Registry.Get(Rbac.RbacResources.Group, "v1", "clusterrolebindings");
        foreach (var r in roles) if (lab.Store.Get(roleDef, "", r.Metadata.Name) is null) lab.Rest.CreateObject(roleDef, null, r);
        foreach (var b in bindings) if (lab.Store.Get(bindingDef, "", b.Metadata.Name) is null) lab.Rest.CreateObject(bindingDef, null, b);
    }

    static void SeedKubernetesService(LabHost lab)
    {
        var svcDef = lab.Registry.Services();
        if (lab.Store.Get(svcDef, "default", "kubernetes") is not null) return;
        lab.Rest.CreateObject(svcDef, "default", new V1Service
        {
            Metadata = new V1ObjectMeta
            {
                Name = "kubernetes", NamespaceProperty = "default",
                Labels = new Dictionary<string, string> { ["component"] = "apiserver", ["provider"] = "kubernetes" },
            },
            Spec = new V1ServiceSpec
            {
                ClusterIP = "10.96.0.1",
                Ports = [new V1ServicePort { Name = "https", Port = 443, Protocol = "TCP", TargetPort = 6443 }],
            },
        });
        lab.Rest.CreateObject(lab.Registry.EndpointsDef(), "default", new V1Endpoints
        {
            Metadata = new V1ObjectMeta
            {
                Name = "kubernetes", NamespaceProperty = "default",
                Labels = new Dictionary<string, string> { ["endpointslice.kubernetes.io/skip-mirror"] = "true" },
            },
            Subsets = [new V1EndpointSubset
            {
                Addresses = [new V1EndpointAddress { Ip = "10.128.0.1" }],
                Ports = [new Corev1EndpointPort { Name = "https", Port = 6443, Protocol = "TCP" }],
            }],
        });
    }
}
