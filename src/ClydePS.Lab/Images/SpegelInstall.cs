using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Images;

/// <summary>
/// What a Spegel install puts in the cluster when the cluster file enables <c>network.p2p</c>: the <c>spegel</c>
/// DaemonSet in <c>kube-system</c>. Created only when the Lab serves <c>apps/v1 daemonsets</c>; its controller
/// (when present) runs the pods, and a node's mirror shares layers when its spegel pod is Ready.
/// </summary>
public static class SpegelInstall
{
    public const string Name = "spegel";
    public const string Namespace = "kube-system";
    public const string Image = "ghcr.io/spegel-org/spegel:v0.0.30";

    /// <summary>Creates the DaemonSet; returns false when daemonsets are not served or the create failed.</summary>
    public static bool Create(LabHost lab)
    {
        var def = lab.Registry.Find("apps", "v1", "daemonsets");
        if (def is null) return false;
        if (lab.Store.Get(def, Namespace, Name) is not null) return true;
        var labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "spegel", ["app.kubernetes.io/instance"] = "spegel" };
        var ds = new V1DaemonSet
        {
            ApiVersion = "apps/v1",
            Kind = "DaemonSet",
            Metadata = new V1ObjectMeta { Name = Name, NamespaceProperty = Namespace, Labels = new Dictionary<string, string>(labels) },
            Spec = new V1DaemonSetSpec
            {
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string>(labels) },
                UpdateStrategy = new V1DaemonSetUpdateStrategy { Type = "RollingUpdate" },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string>(labels) },
                    Spec = new V1PodSpec
                    {
                        PriorityClassName = "system-node-critical",
                        Tolerations = [new V1Toleration { OperatorProperty = "Exists" }],
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "registry",
                                Image = Image,
                                Args = ["registry", "--mirror-resolve-retries=3", "--mirror-resolve-timeout=20ms",
                                    "--registry-addr=:5000", "--router-addr=:5001", "--metrics-addr=:9090",
                                    "--containerd-sock=/run/containerd/containerd.sock", "--containerd-namespace=k8s.io"],
                                Ports =
                                [
                                    new V1ContainerPort { Name = "registry", ContainerPort = 5000, HostPort = 30020, Protocol = "TCP" },
                                    new V1ContainerPort { Name = "router", ContainerPort = 5001, HostPort = 30021, Protocol = "TCP" },
                                    new V1ContainerPort { Name = "metrics", ContainerPort = 9090, Protocol = "TCP" },
                                ],
                                ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/readyz", Port = "registry" } },
                            },
                        ],
                    },
                },
            },
        };
        try
        {
            lab.Rest.CreateObject(def, Namespace, ds);
            return true;
        }
        catch (ApiException)
        {
            return false;
        }
    }
}
