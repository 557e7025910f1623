using System.Text;
using ClydePS.Lab.Patch;
using ClydePS.Lab.Store;
using ClydePS.Lab.Tables;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Resources.Workloads;

/// <summary>apps/v1 DaemonSet, StatefulSet, Deployment, ReplicaSet, ControllerRevision and batch/v1 Job:
/// the real scheme defaults (SetDefaults_*), the strategies' create preparation and the validation messages.</summary>
public static class WorkloadResources
{
    public static void Register(ResourceRegistry r)
    {
        r.Register(DaemonSets());
        r.Register(StatefulSets());
        r.Register(Deployments());
        r.Register(ReplicaSets());
        r.Register(ControllerRevisions());
        r.Register(Jobs());
    }

    public static ResourceDefinition DaemonSets(this ResourceRegistry r) => r.Get("apps", "v1", "daemonsets");
    public static ResourceDefinition StatefulSets(this ResourceRegistry r) => r.Get("apps", "v1", "statefulsets");
    public static ResourceDefinition Deployments(this ResourceRegistry r) => r.Get("apps", "v1", "deployments");
    public static ResourceDefinition ReplicaSets(this ResourceRegistry r) => r.Get("apps", "v1", "replicasets");
    public static ResourceDefinition ControllerRevisions(this ResourceRegistry r) => r.Get("apps", "v1", "controllerrevisions");
    public static ResourceDefinition Jobs(this ResourceRegistry r) => r.Get("batch", "v1", "jobs");

    static PatchSchema TemplateSchema(params string[] extra)
    {
        var m = PatchSchema.MetadataEntries();
        PatchSchema.AddPodSpec(m, "spec.template.spec");
        m["spec.template.metadata.finalizers"] = "";
        m["spec.template.metadata.ownerReferences"] = "uid";
        m["status.conditions"] = "type";
        foreach (var e in extra) m[e] = "";
        return new PatchSchema(m);
    }

    static ResourceDefinition DaemonSets() => new()
    {
        Group = "apps", Version = "v1", Plural = "daemonsets", Singular = "daemonset", Kind = "DaemonSet", Namespaced = true,
        ClrType = typeof(V1DaemonSet), ShortNames = ["ds"], Categories = ["all"], StorageVersionHash = "dd7pWHUlMKQ=",
        HasStatus = true, TracksGeneration = true, Table = new DaemonSetTable(),
        Defaulter = o =>
        {
            var ds = (V1DaemonSet)o;
            ds.Spec ??= new V1DaemonSetSpec();
            var s = ds.Spec;
            s.UpdateStrategy ??= new V1DaemonSetUpdateStrategy();
            s.UpdateStrategy.Type ??= "RollingUpdate";
            if (s.UpdateStrategy.Type == "RollingUpdate")
            {
                s.UpdateStrategy.RollingUpdate ??= new V1RollingUpdateDaemonSet();
                s.UpdateStrategy.RollingUpdate.MaxUnavailable ??= (IntOrString)1;
                s.UpdateStrategy.RollingUpdate.MaxSurge ??= (IntOrString)0;
            }
            s.RevisionHistoryLimit ??= 10;
            DefaultTemplate(s.Template ??= new V1PodTemplateSpec());
        },
        PrepareForCreate = (o, _) => ((V1DaemonSet)o).Status = new V1DaemonSetStatus(),
        Validator = (o, old) =>
        {
            var ds = (V1DaemonSet)o;
            var causes = Validation.ObjectMeta(o, true, Validation.SubdomainError);
            ValidateSelectorAndTemplate(ds.Spec.Selector, ds.Spec.Template, (old as V1DaemonSet)?.Spec.Selector, old is not null, causes, "Always");
            if (ds.Spec.UpdateStrategy?.Type is not ("RollingUpdate" or "OnDelete"))
                causes.Add(Validation.NotSupported("spec.updateStrategy.type", ds.Spec.UpdateStrategy?.Type ?? "", "OnDelete", "RollingUpdate"));
            return causes;
        },
        PatchSchema = TemplateSchema(),
    };

    static ResourceDefinition StatefulSets() => new()
    {
        Group = "apps", Version = "v1", Plural = "statefulsets", Singular = "statefulset", Kind = "StatefulSet", Namespaced = true,
        ClrType = typeof(V1StatefulSet), ShortNames = ["sts"], Categories = ["all"], StorageVersionHash = "H+vl74LkKdo=",
        HasStatus = true, TracksGeneration = true, Table = new StatefulSetTable(),
        Defaulter = o =>
        {
            var sts = (V1StatefulSet)o;
            sts.Spec ??= new V1StatefulSetSpec();
            var s = sts.Spec;
            s.PodManagementPolicy ??= "OrderedReady";
            s.UpdateStrategy ??= new V1StatefulSetUpdateStrategy();
            s.UpdateStrategy.Type ??= "RollingUpdate";
            if (s.UpdateStrategy.Type == "RollingUpdate")
            {
                s.UpdateStrategy.RollingUpdate ??= new V1RollingUpdateStatefulSetStrategy();
                s.UpdateStrategy.RollingUpdate.Partition ??= 0;
            }
            s.PersistentVolumeClaimRetentionPolicy ??= new V1StatefulSetPersistentVolumeClaimRetentionPolicy();
            s.PersistentVolumeClaimRetentionPolicy.WhenDeleted ??= "Retain";
            s.PersistentVolumeClaimRetentionPolicy.WhenScaled ??= "Retain";
            s.Replicas ??= 1;
            s.RevisionHistoryLimit ??= 10;
            DefaultTemplate(s.Template ??= new V1PodTemplateSpec());
        },
        PrepareForCreate = (o, _) => ((V1StatefulSet)o).Status = new V1StatefulSetStatus { Replicas = 0 },
        Validator = (o, old) =>
        {
            var sts = (V1StatefulSet)o;
            var causes = Validation.ObjectMeta(o, true, Validation.SubdomainError);
            ValidateSelectorAndTemplate(sts.Spec.Selector, sts.Spec.Template, (old as V1StatefulSet)?.Spec.Selector, old is not null, causes, "Always");
            if (sts.Spec.PodManagementPolicy is not ("OrderedReady" or "Parallel"))
                causes.Add(Validation.NotSupported("spec.podManagementPolicy", sts.Spec.PodManagementPolicy ?? "", "OrderedReady", "Parallel"));
            if (sts.Spec.Replicas < 0) causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {sts.Spec.Replicas}: must be greater than or equal to 0", "spec.replicas"));
            return causes;
        },
        PatchSchema = TemplateSchema(),
    };

    static ResourceDefinition Deployments() => new()
    {
        Group = "apps", Version = "v1", Plural = "deployments", Singular = "deployment", Kind = "Deployment", Namespaced = true,
        ClrType = typeof(V1Deployment), ShortNames = ["deploy"], Categories = ["all"], StorageVersionHash = "8aSe+NMegvE=",
        HasStatus = true, TracksGeneration = true, Table = new DeploymentTable(),
        Defaulter = o =>
        {
            var d = (V1Deployment)o;
            d.Spec ??= new V1DeploymentSpec();
            var s = d.Spec;
            s.Replicas ??= 1;
            s.Strategy ??= new V1DeploymentStrategy();
            s.Strategy.Type ??= "RollingUpdate";
            if (s.Strategy.Type == "RollingUpdate")
            {
                s.Strategy.RollingUpdate ??= new V1RollingUpdateDeployment();
                s.Strategy.RollingUpdate.MaxUnavailable ??= (IntOrString)"25%";
                s.Strategy.RollingUpdate.MaxSurge ??= (IntOrString)"25%";
            }
            s.RevisionHistoryLimit ??= 10;
            s.ProgressDeadlineSeconds ??= 600;
            DefaultTemplate(s.Template ??= new V1PodTemplateSpec());
        },
        PrepareForCreate = (o, _) => ((V1Deployment)o).Status = new V1DeploymentStatus(),
        Validator = (o, old) =>
        {
            var d = (V1Deployment)o;
            var causes = Validation.ObjectMeta(o, true, Validation.SubdomainError);
            ValidateSelectorAndTemplate(d.Spec.Selector, d.Spec.Template, (old as V1Deployment)?.Spec.Selector, old is not null, causes, "Always");
            return causes;
        },
        PatchSchema = TemplateSchema(),
    };

    static ResourceDefinition ReplicaSets() => new()
    {
        Group = "apps", Version = "v1", Plural = "replicasets", Singular = "replicaset", Kind = "ReplicaSet", Namespaced = true,
        ClrType = typeof(V1ReplicaSet), ShortNames = ["rs"], Categories = ["all"], StorageVersionHash = "P1RzHs8/mWQ=",
        HasStatus = true, TracksGeneration = true, Table = new ReplicaSetTable(),
        Defaulter = o =>
        {
            var rs = (V1ReplicaSet)o;
            rs.Spec ??= new V1ReplicaSetSpec();
            rs.Spec.Replicas ??= 1;
            DefaultTemplate(rs.Spec.Template ??= new V1PodTemplateSpec());
        },
        PrepareForCreate = (o, _) => ((V1ReplicaSet)o).Status = new V1ReplicaSetStatus { Replicas = 0 },
        Validator = (o, old) =>
        {
            var rs = (V1ReplicaSet)o;
            var causes = Validation.ObjectMeta(o, true, Validation.SubdomainError);
            ValidateSelectorAndTemplate(rs.Spec.Selector, rs.Spec.Template, (old as V1ReplicaSet)?.Spec.Selector, old is not null, causes, "Always");
            return causes;
        },
        PatchSchema = TemplateSchema(),
    };

    static ResourceDefinition ControllerRevisions() => new()
    {
        Group = "apps", Version = "v1", Plural = "controllerrevisions", Singular = "controllerrevision", Kind = "ControllerRevision",
        Namespaced = true, ClrType = typeof(V1ControllerRevision), StorageVersionHash = "85nkx63pcBU=", Table = new ControllerRevisionTable(),
        Validator = (o, old) =>
        {
            var cr = (V1ControllerRevision)o;
            var causes = Validation.ObjectMeta(o, true, Validation.SubdomainError);
            if (cr.Data is null) causes.Add(Validation.Required("data"));
            if (old is V1ControllerRevision prev && KubernetesJson.Serialize(prev.Data) != KubernetesJson.Serialize(cr.Data))
                causes.Add(Validation.Forbidden("data", "field is immutable"));
            return causes;
        },
    };

    static ResourceDefinition Jobs() => new()
    {
        Group = "batch", Version = "v1", Plural = "jobs", Singular = "job", Kind = "Job", Namespaced = true,
        ClrType = typeof(V1Job), Categories = ["all"], StorageVersionHash = "mudhfqk/qZY=",
        HasStatus = true, TracksGeneration = true, Table = new JobTable(),
        DefaultPropagationPolicy = "Orphan",
        Defaulter = o =>
        {
            var j = (V1Job)o;
            j.Spec ??= new V1JobSpec();
            var s = j.Spec;
            if (s.Completions is null && s.Parallelism is null) { s.Completions = 1; s.Parallelism = 1; }
            s.Parallelism ??= 1;
            if (s.BackoffLimitPerIndex is null) s.BackoffLimit ??= 6;
            s.CompletionMode ??= "NonIndexed";
            s.Suspend ??= false;
            if (s.PodFailurePolicy is null) s.PodReplacementPolicy ??= "TerminatingOrFailed";
            else s.PodReplacementPolicy ??= "Failed";
            s.ManualSelector ??= null;
            DefaultTemplate(s.Template ??= new V1PodTemplateSpec());
        },
        PrepareForCreate = (o, _) =>
        {
            var j = (V1Job)o;
            j.Status = new V1JobStatus();
            if (j.Spec.ManualSelector != true)
            {
                // generateSelector: the controller-uid selector and the four template labels
                var uid = j.Metadata.Uid;
                var labels = j.Spec.Template.Metadata.Labels ??= new Dictionary<string, string>();
                labels["batch.kubernetes.io/controller-uid"] = uid;
                labels["batch.kubernetes.io/job-name"] = j.Metadata.Name;
                labels["controller-uid"] = uid;
                labels["job-name"] = j.Metadata.Name;
                j.Spec.Selector ??= new V1LabelSelector();
                j.Spec.Selector.MatchLabels ??= new Dictionary<string, string>();
                j.Spec.Selector.MatchLabels["batch.kubernetes.io/controller-uid"] = uid;
            }
        },
        Validator = (o, old) =>
        {
            var j = (V1Job)o;
            var causes = Validation.ObjectMeta(o, true, Validation.SubdomainError);
            ValidateSelectorAndTemplate(j.Spec.Selector, j.Spec.Template, (old as V1Job)?.Spec.Selector, old is not null, causes, "Job");
            if (j.Spec.BackoffLimit < 0) causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {j.Spec.BackoffLimit}: must be greater than or equal to 0", "spec.backoffLimit"));
            if (j.Spec.CompletionMode is not ("NonIndexed" or "Indexed"))
                causes.Add(Validation.NotSupported("spec.completionMode", j.Spec.CompletionMode ?? "", "NonIndexed", "Indexed"));
            if (old is V1Job prev)
            {
                if (KubernetesJson.Serialize(prev.Spec.Completions) != KubernetesJson.Serialize(j.Spec.Completions) && j.Spec.CompletionMode != "Indexed")
                    causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {j.Spec.Completions?.ToString() ?? "null"}: field is immutable", "spec.completions"));
                if (TemplateJson(prev.Spec.Template) != TemplateJson(j.Spec.Template) && prev.Spec.Suspend != true)
                    causes.Add(new StatusCause("FieldValueInvalid", "Invalid value: core.PodTemplateSpec{...}: field is immutable", "spec.template"));
            }
            return causes;
        },
        PatchSchema = TemplateSchema(),
    };

    static string TemplateJson(V1PodTemplateSpec t) => KubernetesJson.Serialize(t);

    /// <summary>SetDefaults_PodSpec and friends applied to a pod template.</summary>
    public static void DefaultTemplate(V1PodTemplateSpec t)
    {
        t.Metadata ??= new V1ObjectMeta();
        t.Spec ??= new V1PodSpec();
        var pod = new V1Pod { Metadata = new V1ObjectMeta(), Spec = t.Spec };
        PodResource.Default(pod);
        t.Spec = pod.Spec;
    }

    /// <summary>Go's %#v of a map[string]string, as validation messages print label maps.</summary>
    public static string GoMap(IDictionary<string, string>? m) =>
        m is null ? "map[string]string(nil)" : "map[string]string{" + string.Join(", ", m.OrderBy(k => k.Key, StringComparer.Ordinal).Select(kv => Validation.Quote(kv.Key) + ":" + Validation.Quote(kv.Value))) + "}";

    public static string GoSelector(V1LabelSelector? s)
    {
        if (s is null) return "(*v1.LabelSelector)(nil)";
        var sb = new StringBuilder("v1.LabelSelector{MatchLabels:");
        sb.Append(GoMap(s.MatchLabels));
        sb.Append(", MatchExpressions:");
        if (s.MatchExpressions is null) sb.Append("[]v1.LabelSelectorRequirement(nil)");
        else sb.Append("[]v1.LabelSelectorRequirement{" + string.Join(", ", s.MatchExpressions.Select(e =>
            $"v1.LabelSelectorRequirement{{Key:{Validation.Quote(e.Key)}, Operator:{Validation.Quote(e.OperatorProperty)}, Values:[]string{{{string.Join(", ", (e.Values ?? []).Select(Validation.Quote))}}}}}")) + "}");
        sb.Append('}');
        return sb.ToString();
    }

    static void ValidateSelectorAndTemplate(V1LabelSelector? selector, V1PodTemplateSpec? template, V1LabelSelector? oldSelector, bool update,
        List<StatusCause> causes, string restartRule)
    {
        if (selector is null) causes.Add(Validation.Required("spec.selector"));
        else if ((selector.MatchLabels?.Count ?? 0) == 0 && (selector.MatchExpressions?.Count ?? 0) == 0)
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {GoSelector(selector)}: empty selector is invalid for deployment", "spec.selector"));
        else if (template is not null && !Controllers.Owners.SelectorMatches(selector, template.Metadata?.Labels))
            causes.Add(new StatusCause("FieldValueInvalid",
                $"Invalid value: {GoMap(template.Metadata?.Labels)}: `selector` does not match template `labels`", "spec.template.metadata.labels"));
        if (update && oldSelector is not null && KubernetesJson.Serialize(oldSelector) != KubernetesJson.Serialize(selector))
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {GoSelector(selector)}: field is immutable", "spec.selector"));
        if (template?.Spec is { } spec)
        {
            if (spec.Containers is null || spec.Containers.Count == 0) causes.Add(Validation.Required("spec.template.spec.containers"));
            for (var i = 0; i < (spec.Containers?.Count ?? 0); i++)
            {
                if (string.IsNullOrEmpty(spec.Containers![i].Name)) causes.Add(Validation.Required($"spec.template.spec.containers[{i}].name"));
                if (string.IsNullOrEmpty(spec.Containers![i].Image)) causes.Add(Validation.Required($"spec.template.spec.containers[{i}].image"));
            }
            if (restartRule == "Always" && spec.RestartPolicy != "Always")
                causes.Add(Validation.NotSupported("spec.template.spec.restartPolicy", spec.RestartPolicy ?? "", "Always"));
            if (restartRule == "Job" && spec.RestartPolicy is not ("OnFailure" or "Never"))
                causes.Add(Validation.NotSupported("spec.template.spec.restartPolicy", spec.RestartPolicy ?? "", "OnFailure", "Never"));
        }
    }
}
