using ClydePS.Lab.Resources;
using ClydePS.Lab.Resources.Core;
using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Controllers;

/// <summary>
/// The serviceaccounts controller (a <c>default</c> ServiceAccount in every active namespace, recreated
/// when deleted) and the root CA publisher (the <c>kube-root-ca.crt</c> ConfigMap every pod's
/// kube-api-access volume projects).
/// </summary>
public sealed class ServiceAccountController(LabHost lab, string caPem) : IStoreController
{
    public const string RootCaName = "kube-root-ca.crt";
    const string RootCaDescription = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

    public void Resync()
    {
        foreach (var ns in lab.Store.List(lab.Registry.Namespaces(), null).Items) Ensure(ns.Name);
    }

    public void OnEvent(StoreEvent e)
    {
        if (e.Type == StoreEventType.Bookmark || e.Object is null) return;
        var def = e.Def;
        if (ReferenceEquals(def, lab.Registry.Namespaces()) && e.Type != StoreEventType.Deleted) Ensure(e.Object.Name);
        else if (e.Type == StoreEventType.Deleted && ReferenceEquals(def, lab.Registry.ServiceAccounts()) && e.Object.Name == "default") Ensure(e.Object.Namespace);
        else if (e.Type == StoreEventType.Deleted && ReferenceEquals(def, lab.Registry.ConfigMaps()) && e.Object.Name == RootCaName) Ensure(e.Object.Namespace);
    }

    void Ensure(string ns)
    {
        var nsObj = lab.Store.Get(lab.Registry.Namespaces(), "", ns);
        if (nsObj is null || nsObj.Object.Metadata.DeletionTimestamp is not null) return;
        var saDef = lab.Registry.ServiceAccounts();
        if (lab.Store.Get(saDef, ns, "default") is null)
        {
            try { lab.Rest.CreateObject(saDef, ns, new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "default", NamespaceProperty = ns } }); }
            catch (ApiException) { }
        }
        var cmDef = lab.Registry.ConfigMaps();
        if (lab.Store.Get(cmDef, ns, RootCaName) is null)
        {
            try
            {
                lab.Rest.CreateObject(cmDef, ns, new V1ConfigMap
                {
                    Metadata = new V1ObjectMeta
                    {
                        Name = RootCaName, NamespaceProperty = ns,
                        Annotations = new Dictionary<string, string> { ["kubernetes.io/description"] = RootCaDescription },
                    },
                    Data = new Dictionary<string, string> { ["ca.crt"] = caPem },
                });
            }
            catch (ApiException) { }
        }
    }
}
