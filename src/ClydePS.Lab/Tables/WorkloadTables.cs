using k8s;
using k8s.Models;

namespace ClydePS.Lab.Tables;

static class WorkloadColumns
{
    public const string NameDoc = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
    public const string AgeDoc = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
    public static TableColumn Name => new("Name", "string", NameDoc, 0, "name");
    public static TableColumn Age => new("Age", "string", AgeDoc);
    public static TableColumn Containers => new("Containers", "string", "Names of each container in the template.", 1);
    public static TableColumn Images => new("Images", "string", "Images referenced by each container in the template.", 1);
    public static TableColumn Selector => new("Selector", "string", "A label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors", 1);

    public static string Names(V1PodTemplateSpec? t) => string.Join(",", (t?.Spec?.Containers ?? []).Select(c => c.Name));
    public static string ImageList(V1PodTemplateSpec? t) => string.Join(",", (t?.Spec?.Containers ?? []).Select(c => c.Image));

    /// <summary>metav1.FormatLabelSelector.</summary>
    public static string FormatSelector(V1LabelSelector? s)
    {
        if (s is null) return "<none>";
        var parts = new List<string>();
        foreach (var (k, v) in (s.MatchLabels ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal)) parts.Add($"{k}={v}");
        foreach (var e in s.MatchExpressions ?? [])
        {
            var values = string.Join(",", (e.Values ?? []).OrderBy(v => v, StringComparer.Ordinal));
            parts.Add(e.OperatorProperty switch
            {
                "In" => $"{e.Key} in ({values})",
                "NotIn" => $"{e.Key} notin ({values})",
                "Exists" => e.Key,
                "DoesNotExist" => "!" + e.Key,
                _ => e.Key,
            });
        }
        var text = string.Join(",", parts);
        return text.Length == 0 ? "<none>" : text;
    }
}

/// <summary>printDaemonSet: NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE (+ wide).</summary>
public sealed class DaemonSetTable : ITableConverter
{
    public IReadOnlyList<TableColumn> Columns { get; } =
    [
        WorkloadColumns.Name,
        new("Desired", "integer", "DesiredNumberScheduled is the total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"),
        new("Current", "integer", "CurrentNumberScheduled is the number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"),
        new("Ready", "integer", "numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition."),
        new("Up-to-date", "integer", "UpdatedNumberScheduled is the total number of nodes that are running updated daemon pod"),
        new("Available", "integer", "NumberAvailable is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)"),
        new("Node Selector", "string", "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/"),
        WorkloadColumns.Age, WorkloadColumns.Containers, WorkloadColumns.Images, WorkloadColumns.Selector,
    ];

    public object[] Cells(IKubernetesObject<V1ObjectMeta> obj, DateTime now)
    {
        var ds = (V1DaemonSet)obj;
        var st = ds.Status ?? new V1DaemonSetStatus();
        var ns = ds.Spec?.Template?.Spec?.NodeSelector;
        var nodeSelector = ns is { Count: > 0 } ? string.Join(",", ns.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")) : "<none>";
        return
        [
            ds.Metadata.Name, (long)st.DesiredNumberScheduled, (long)st.CurrentNumberScheduled, (long)st.NumberReady,
            (long)(st.UpdatedNumberScheduled ?? 0), (long)(st.NumberAvailable ?? 0), nodeSelector,
            HumanDuration.Since(ds.Metadata.CreationTimestamp, now),
            WorkloadColumns.Names(ds.Spec?.Template), WorkloadColumns.ImageList(ds.Spec?.Template), WorkloadColumns.FormatSelector(ds.Spec?.Selector),
        ];
    }
}

/// <summary>printStatefulSet: NAME READY AGE (+ wide CONTAINERS IMAGES).</summary>
public sealed class StatefulSetTable : ITableConverter
{
    public IReadOnlyList<TableColumn> Columns { get; } =
    [
        WorkloadColumns.Name,
        new("Ready", "string", "Number of the pod with ready state"),
        WorkloadColumns.Age, WorkloadColumns.Containers, WorkloadColumns.Images,
    ];

    public object[] Cells(IKubernetesObject<V1ObjectMeta> obj, DateTime now)
    {
        var s = (V1StatefulSet)obj;
        return
        [
            s.Metadata.Name, $"{s.Status?.ReadyReplicas ?? 0}/{s.Spec?.Replicas ?? 0}", HumanDuration.Since(s.Metadata.CreationTimestamp, now),
            WorkloadColumns.Names(s.Spec?.Template), WorkloadColumns.ImageList(s.Spec?.Template),
        ];
    }
}

/// <summary>printDeployment: NAME READY UP-TO-DATE AVAILABLE AGE (+ wide).</summary>
public sealed class DeploymentTable : ITableConverter
{
    public IReadOnlyList<TableColumn> Columns { get; } =
    [
        WorkloadColumns.Name,
        new("Ready", "string", "Number of the pod with ready state"),
        new("Up-to-date", "integer", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
        new("Available", "integer", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
        WorkloadColumns.Age, WorkloadColumns.Containers, WorkloadColumns.Images, WorkloadColumns.Selector,
    ];

    public object[] Cells(IKubernetesObject<V1ObjectMeta> obj, DateTime now)
    {
        var d = (V1Deployment)obj;
        var st = d.Status ?? new V1DeploymentStatus();
        return
        [
            d.Metadata.Name, $"{st.ReadyReplicas ?? 0}/{d.Spec?.Replicas ?? 0}", (long)(st.UpdatedReplicas ?? 0), (long)(st.AvailableReplicas ?? 0),
            HumanDuration.Since(d.Metadata.CreationTimestamp, now),
            WorkloadColumns.Names(d.Spec?.Template), WorkloadColumns.ImageList(d.Spec?.Template), WorkloadColumns.FormatSelector(d.Spec?.Selector),
        ];
    }
}

/// <summary>printReplicaSet: NAME DESIRED CURRENT READY AGE (+ wide).</summary>
public sealed class ReplicaSetTable : ITableConverter
{
    public IReadOnlyList<TableColumn> Columns { get; } =
    [
        WorkloadColumns.Name,
        new("Desired", "integer", "Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller"),
        new("Current", "integer", "Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller"),
        new("Ready", "integer", "readyReplicas is the number of pods targeted by this ReplicaSet with a Ready Condition."),
        WorkloadColumns.Age, WorkloadColumns.Containers, WorkloadColumns.Images, WorkloadColumns.Selector,
    ];

    public object[] Cells(IKubernetesObject<V1ObjectMeta> obj, DateTime now)
    {
        var r = (V1ReplicaSet)obj;
        return
        [
            r.Metadata.Name, (long)(r.Spec?.Replicas ?? 0), (long)(r.Status?.Replicas ?? 0), (long)(r.Status?.ReadyReplicas ?? 0),
            HumanDuration.Since(r.Metadata.CreationTimestamp, now),
            WorkloadColumns.Names(r.Spec?.Template), WorkloadColumns.ImageList(r.Spec?.Template), WorkloadColumns.FormatSelector(r.Spec?.Selector),
        ];
    }
}

/// <summary>printControllerRevision: NAME CONTROLLER REVISION AGE.</summary>
public sealed class ControllerRevisionTable : ITableConverter
{
    public IReadOnlyList<TableColumn> Columns { get; } =
    [
        WorkloadColumns.Name,
        new("Controller", "string", "Controller of the object"),
        new("Revision", "integer", "Revision indicates the revision of the state represented by Data."),
        WorkloadColumns.Age,
    ];

    public object[] Cells(IKubernetesObject<V1ObjectMeta> obj, DateTime now)
    {
        var c = (V1ControllerRevision)obj;
        var owner = c.Metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true);
        var controller = owner is null ? "<none>" : $"{owner.Kind.ToLowerInvariant()}.{owner.ApiVersion.Split('/')[0]}/{owner.Name}";
        return [c.Metadata.Name, controller, c.Revision, HumanDuration.Since(c.Metadata.CreationTimestamp, now)];
    }
}

/// <summary>printJob (1.32): NAME STATUS COMPLETIONS DURATION AGE (+ wide).</summary>
public sealed class JobTable : ITableConverter
{
    public IReadOnlyList<TableColumn> Columns { get; } =
    [
        WorkloadColumns.Name,
        new("Status", "string", "Status of the job."),
        new("Completions", "string", "The desired number of successfully finished pods the job should be run with. More info: https://kubernetes.io/docs/concepts/workloads/controllers/jobs-run-to-completion/"),
        new("Duration", "string", "Time required to complete the job."),
        WorkloadColumns.Age, WorkloadColumns.Containers, WorkloadColumns.Images, WorkloadColumns.Selector,
    ];

    static bool Has(V1Job j, string type) => j.Status?.Conditions?.Any(c => c.Type == type && c.Status == "True") == true;

    public static string Status(V1Job j) =>
        Has(j, "Complete") ? "Complete" :
        Has(j, "Failed") ? "Failed" :
        j.Metadata.DeletionTimestamp is not null ? "Terminating" :
        Has(j, "Suspended") ? "Suspended" :
        Has(j, "FailureTarget") ? "FailureTarget" :
        Has(j, "SuccessCriteriaMet") ? "SuccessCriteriaMet" : "Running";

    public object[] Cells(IKubernetesObject<V1ObjectMeta> obj, DateTime now)
    {
        var j = (V1Job)obj;
        var st = j.Status ?? new V1JobStatus();
        string completions;
        if (j.Spec?.Completions is int c) completions = $"{st.Succeeded ?? 0}/{c}";
        else if ((j.Spec?.Parallelism ?? 0) > 1) completions = $"{st.Succeeded ?? 0}/1 of {j.Spec!.Parallelism}";
        else completions = $"{st.Succeeded ?? 0}/1";
        var duration = "";
        if (st.StartTime is { } start)
            duration = st.CompletionTime is { } end ? HumanDuration.Format(end - start) : HumanDuration.Format(now - start.ToUniversalTime());
        return
        [
            j.Metadata.Name, Status(j), completions, duration, HumanDuration.Since(j.Metadata.CreationTimestamp, now),
            WorkloadColumns.Names(j.Spec?.Template), WorkloadColumns.ImageList(j.Spec?.Template), WorkloadColumns.FormatSelector(j.Spec?.Selector),
        ];
    }
}
