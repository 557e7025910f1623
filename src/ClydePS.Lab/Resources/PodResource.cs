using System.Text.Json;
using ClydePS.Lab.Patch;
using ClydePS.Lab.Store;
using ClydePS.Lab.Tables;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Resources;

/// <summary>v1 Pod: defaulting (SetDefaults_Pod/PodSpec/Container), create-time admission
/// (ServiceAccount, DefaultTolerationSeconds, Priority), validation, field labels and merge keys.</summary>
public static class PodResource
{
    public static ResourceDefinition Definition() =>
        new()
        {
            Group = "", Version = "v1", Plural = "pods", Singular = "pod", Kind = "Pod", Namespaced = true, ClrType = typeof(V1Pod),
            ShortNames = ["po"], Categories = ["all"], StorageVersionHash = "xPOwRZ+Yhw8=",
            HasStatus = true,
            ReturnDeletedObject = true,
            Table = new PodTable(),
            Fields = new Dictionary<string, Func<IKubernetesObject<V1ObjectMeta>, string>>
            {
                ["spec.nodeName"] = o => P(o).Spec?.NodeName ?? "",
                ["spec.restartPolicy"] = o => P(o).Spec?.RestartPolicy ?? "",
                ["spec.schedulerName"] = o => P(o).Spec?.SchedulerName ?? "",
                ["spec.serviceAccountName"] = o => P(o).Spec?.ServiceAccountName ?? "",
                ["spec.hostNetwork"] = o => P(o).Spec?.HostNetwork == true ? "true" : "false",
                ["status.phase"] = o => P(o).Status?.Phase ?? "",
                ["status.podIP"] = o => P(o).Status?.PodIP ?? "",
                ["status.nominatedNodeName"] = o => P(o).Status?.NominatedNodeName ?? "",
            },
            Defaulter = o => Default(P(o)),
            PrepareForCreate = (o, ctx) => PrepareForCreate(P(o), ctx),
            Validator = (o, old) => Validate(P(o), old as V1Pod),
            PatchSchema = Schema(),
        };

    static V1Pod P(IKubernetesObject<V1ObjectMeta> o) => (V1Pod)o;

    static PatchSchema Schema()
    {
        var m = PatchSchema.MetadataEntries();
        PatchSchema.AddPodSpec(m, "spec");
        m["status.conditions"] = "type";
        m["status.podIPs"] = "ip";
        m["status.hostIPs"] = "ip";
        return new PatchSchema(m);
    }

    public static string DefaultPullPolicy(string? image)
    {
        if (string.IsNullOrEmpty(image)) return "IfNotPresent";
        if (image.Contains('@')) return "IfNotPresent";
        var lastSlash = image.LastIndexOf('/');
        var colon = image.IndexOf(':', lastSlash + 1);
        if (colon < 0) return "Always";
        return image[(colon + 1)..] == "latest" ? "Always" : "IfNotPresent";
    }

    static void DefaultContainer(V1Container c)
    {
        c.ImagePullPolicy ??= DefaultPullPolicy(c.Image);
        c.TerminationMessagePath ??= "/dev/termination-log";
        c.TerminationMessagePolicy ??= "File";
        c.Resources ??= new V1ResourceRequirements();
        if (c.Resources.Limits is { Count: > 0 } limits)
        {
            c.Resources.Requests ??= new Dictionary<string, ResourceQuantity>();
            foreach (var (k, v) in limits)
                if (!c.Resources.Requests.ContainsKey(k)) c.Resources.Requests[k] = v;
        }
        if (c.Ports is not null) foreach (var p in c.Ports) p.Protocol ??= "TCP";
        if (c.Env is not null)
            foreach (var e in c.Env)
                if (e.ValueFrom?.FieldRef is { } fr) fr.ApiVersion ??= "v1";
        DefaultProbe(c.LivenessProbe);
        DefaultProbe(c.ReadinessProbe);
        DefaultProbe(c.StartupProbe);
    }

    static void DefaultProbe(V1Probe? p)
    {
        if (p is null) return;
        p.TimeoutSeconds ??= 1;
        p.PeriodSeconds ??= 10;
        p.SuccessThreshold ??= 1;
        p.FailureThreshold ??= 3;
        if (p.HttpGet is { } h) h.Scheme ??= "HTTP";
    }

    public static void Default(V1Pod pod)
    {
        pod.Spec ??= new V1PodSpec();
        var s = pod.Spec;
        s.DnsPolicy ??= "ClusterFirst";
        s.RestartPolicy ??= "Always";
        s.TerminationGracePeriodSeconds ??= 30;
        s.SecurityContext ??= new V1PodSecurityContext();
        s.SchedulerName ??= "default-scheduler";
        s.EnableServiceLinks ??= true;
        if (string.IsNullOrEmpty(s.ServiceAccountName) && !string.IsNullOrEmpty(s.ServiceAccount)) s.ServiceAccountName = s.ServiceAccount;
        if (!string.IsNullOrEmpty(s.ServiceAccountName)) s.ServiceAccount = s.ServiceAccountName;
        foreach (var c in s.Containers ?? []) DefaultContainer(c);
        foreach (var c in s.InitContainers ?? []) DefaultContainer(c);
        if (s.HostNetwork == true)
            foreach (var c in (s.Containers ?? []).Concat(s.InitContainers ?? []))
                foreach (var p in c.Ports ?? []) p.HostPort ??= p.ContainerPort;
        foreach (var v in s.Volumes ?? [])
        {
            if (v.HostPath is null && v.EmptyDir is null && v.ConfigMap is null && v.Secret is null && v.Projected is null &&
                v.PersistentVolumeClaim is null && v.DownwardAPI is null && v.Csi is null && v.Nfs is null && v.Ephemeral is null && v.Image is null)
                v.EmptyDir = new V1EmptyDirVolumeSource();
            if (v.ConfigMap is { } cm) cm.DefaultMode ??= 420;
            if (v.Secret is { } sec) sec.DefaultMode ??= 420;
            if (v.Projected is { } pr) pr.DefaultMode ??= 420;
            if (v.DownwardAPI is { } da) da.DefaultMode ??= 420;
            if (v.HostPath is { } hp) hp.Type ??= "";
        }
        if (s.Tolerations is not null)
            foreach (var t in s.Tolerations)
                if (t.OperatorProperty is null && t.Key is not null) t.OperatorProperty = "Equal";
    }

    const string NameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    static void PrepareForCreate(V1Pod pod, AdmissionContext ctx)
    {
        var s = pod.Spec;
        // registry strategy: status reset
        pod.Status = new V1PodStatus { Phase = "Pending", QosClass = QosClass(pod) };
        // ServiceAccount admission
        if (string.IsNullOrEmpty(s.ServiceAccountName)) s.ServiceAccountName = s.ServiceAccount = "default";
        if (s.AutomountServiceAccountToken != false &&
            !(s.Volumes ?? []).Any(v => v.Name.StartsWith("kube-api-access-", StringComparison.Ordinal)))
        {
            var suffix = new string(Enumerable.Range(0, 5).Select(_ => NameAlphabet[ctx.Random.Next(NameAlphabet.Length)]).ToArray());
            var volName = "kube-api-access-" + suffix;
            s.Volumes ??= new List<V1Volume>();
            s.Volumes.Add(new V1Volume
            {
                Name = volName,
                Projected = new V1ProjectedVolumeSource
                {
                    DefaultMode = 420,
                    Sources = new List<V1VolumeProjection>
                    {
                        new() { ServiceAccountToken = new V1ServiceAccountTokenProjection { ExpirationSeconds = 3607, Path = "token" } },
                        new() { ConfigMap = new V1ConfigMapProjection { Name = "kube-root-ca.crt", Items = new List<V1KeyToPath> { new() { Key = "ca.crt", Path = "ca.crt" } } } },
                        new() { DownwardAPI = new V1DownwardAPIProjection { Items = new List<V1DownwardAPIVolumeFile> { new() { Path = "namespace", FieldRef = new V1ObjectFieldSelector { ApiVersion = "v1", FieldPath = "metadata.namespace" } } } } },
                    },
                },
            });
            foreach (var c in (s.Containers ?? []).Concat(s.InitContainers ?? []))
            {
                c.VolumeMounts ??= new List<V1VolumeMount>();
                if (!c.VolumeMounts.Any(m => m.MountPath == "/var/run/secrets/kubernetes.io/serviceaccount"))
                    c.VolumeMounts.Add(new V1VolumeMount { Name = volName, ReadOnlyProperty = true, MountPath = "/var/run/secrets/kubernetes.io/serviceaccount" });
            }
        }
        // DefaultTolerationSeconds admission
        s.Tolerations ??= new List<V1Toleration>();
        foreach (var key in new[] { "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable" })
        {
            var has = s.Tolerations.Any(t => (t.Effect is null or "" or "NoExecute") && (t.Key == key || (string.IsNullOrEmpty(t.Key) && t.OperatorProperty == "Exists")));
            if (!has) s.Tolerations.Add(new V1Toleration { Key = key, OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = 300 });
        }
        // Priority admission (no PriorityClass objects yet: the built-in default)
        if (string.IsNullOrEmpty(s.PriorityClassName))
        {
            s.Priority ??= 0;
            s.PreemptionPolicy ??= "PreemptLowerPriority";
        }
        else if (s.PriorityClassName is "system-node-critical" or "system-cluster-critical")
        {
            s.Priority ??= s.PriorityClassName == "system-node-critical" ? 2000001000 : 2000000000;
            s.PreemptionPolicy ??= "PreemptLowerPriority";
        }
    }

    public static string QosClass(V1Pod pod)
    {
        var containers = (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? []).ToList();
        var anyResource = false;
        var guaranteed = true;
        foreach (var c in containers)
        {
            var req = c.Resources?.Requests ?? new Dictionary<string, ResourceQuantity>();
            var lim = c.Resources?.Limits ?? new Dictionary<string, ResourceQuantity>();
            if (req.Keys.Concat(lim.Keys).Any(k => k is "cpu" or "memory")) anyResource = true;
            foreach (var r in new[] { "cpu", "memory" })
            {
                if (!lim.TryGetValue(r, out var l)) { guaranteed = false; continue; }
                if (req.TryGetValue(r, out var q) && q.ToDecimal() != l.ToDecimal()) guaranteed = false;
            }
        }
        if (!anyResource) return "BestEffort";
        return guaranteed ? "Guaranteed" : "Burstable";
    }

    static List<StatusCause> Validate(V1Pod pod, V1Pod? old)
    {
        var causes = Validation.ObjectMeta(pod, true, Validation.SubdomainError);
        var s = pod.Spec;
        if (s.Containers is null || s.Containers.Count == 0) causes.Add(Validation.Required("spec.containers"));
        ValidateContainers(s.Containers, "spec.containers", causes);
        ValidateContainers(s.InitContainers, "spec.initContainers", causes);
        if (s.RestartPolicy is not ("Always" or "OnFailure" or "Never"))
            causes.Add(Validation.NotSupported("spec.restartPolicy", s.RestartPolicy ?? "", "Always", "Never", "OnFailure"));
        if (s.DnsPolicy is not ("ClusterFirst" or "ClusterFirstWithHostNet" or "Default" or "None"))
            causes.Add(Validation.NotSupported("spec.dnsPolicy", s.DnsPolicy ?? "", "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"));
        var volNames = new HashSet<string>();
        for (var i = 0; i < (s.Volumes?.Count ?? 0); i++)
        {
            var v = s.Volumes![i];
            if (string.IsNullOrEmpty(v.Name)) causes.Add(Validation.Required($"spec.volumes[{i}].name"));
            else if (!volNames.Add(v.Name)) causes.Add(Validation.Duplicate($"spec.volumes[{i}].name", v.Name));
        }
        if (old is not null && !SpecUpdateAllowed(old.Spec, s))
            causes.Add(Validation.Forbidden("spec", "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"));
        return causes;
    }

    static void ValidateContainers(IList<V1Container>? containers, string path, List<StatusCause> causes)
    {
        if (containers is null) return;
        var names = new HashSet<string>();
        for (var i = 0; i < containers.Count; i++)
        {
            var c = containers[i];
            if (string.IsNullOrEmpty(c.Name)) causes.Add(Validation.Required($"{path}[{i}].name"));
            else if (Validation.LabelError(c.Name) is { } err) causes.Add(Validation.InvalidValue($"{path}[{i}].name", c.Name, err));
            else if (!names.Add(c.Name)) causes.Add(Validation.Duplicate($"{path}[{i}].name", c.Name));
            if (string.IsNullOrEmpty(c.Image)) causes.Add(Validation.Required($"{path}[{i}].image"));
            if (c.ImagePullPolicy is not ("Always" or "IfNotPresent" or "Never"))
                causes.Add(Validation.NotSupported($"{path}[{i}].imagePullPolicy", c.ImagePullPolicy ?? "", "Always", "IfNotPresent", "Never"));
        }
    }

    /// <summary>ValidatePodUpdate: only images, activeDeadlineSeconds, added tolerations and terminationGracePeriodSeconds may change.</summary>
    static bool SpecUpdateAllowed(V1PodSpec oldSpec, V1PodSpec newSpec)
    {
        var a = JsonSerializer.SerializeToNode(JsonDocument.Parse(KubernetesJson.Serialize(oldSpec)).RootElement)!.AsObject();
        var b = JsonSerializer.SerializeToNode(JsonDocument.Parse(KubernetesJson.Serialize(newSpec)).RootElement)!.AsObject();
        foreach (var o in new[] { a, b })
        {
            o.Remove("activeDeadlineSeconds");
            o.Remove("terminationGracePeriodSeconds");
            o.Remove("tolerations");
            foreach (var list in new[] { "containers", "initContainers" })
                if (o[list] is System.Text.Json.Nodes.JsonArray arr)
                    foreach (var c in arr) (c as System.Text.Json.Nodes.JsonObject)?.Remove("image");
        }
        if (!System.Text.Json.Nodes.JsonNode.DeepEquals(a, b)) return false;
        // tolerations: only additions
        var oldTol = (oldSpec.Tolerations ?? []).Select(t => KubernetesJson.Serialize(t)).ToList();
        var newTol = (newSpec.Tolerations ?? []).Select(t => KubernetesJson.Serialize(t)).ToList();
        return oldTol.All(newTol.Contains);
    }
}
