using k8s;
using k8s.Models;

namespace ClydePS.Lab.Tables;

/// <summary>The real printPod columns: NAME READY STATUS RESTARTS AGE (+ wide IP, NODE, NOMINATED NODE, READINESS GATES).</summary>
public sealed class PodTable : ITableConverter
{
    public IReadOnlyList<TableColumn> Columns { get; } =
    [
        new("Name", "string", "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names", 0, "name"),
        new("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
        new("Status", "string", "The aggregate status of the containers in this pod."),
        new("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
        new("Age", "string", "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"),
        new("IP", "string", "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", 1),
        new("Node", "string", "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename", 1),
        new("Nominated Node", "string", "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.", 1),
        new("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates", 1),
    ];

    static readonly TableRowCondition[] Succeeded = [new("Completed", "True", "Succeeded", "The pod has completed successfully.")];
    static readonly TableRowCondition[] Failed = [new("Completed", "True", "Failed", "The pod failed.")];

    public IReadOnlyList<TableRowCondition>? Conditions(IKubernetesObject<V1ObjectMeta> obj) =>
        ((V1Pod)obj).Status?.Phase switch { "Succeeded" => Succeeded, "Failed" => Failed, _ => null };

    public object[] Cells(IKubernetesObject<V1ObjectMeta> obj, DateTime now)
    {
        var pod = (V1Pod)obj;
        var spec = pod.Spec ?? new V1PodSpec();
        var status = pod.Status ?? new V1PodStatus();
        var restarts = 0;
        var restartableInitRestarts = 0;
        var total = spec.Containers?.Count ?? 0;
        var ready = 0;
        DateTime? lastRestart = null;
        var reason = status.Phase ?? "";
        if (!string.IsNullOrEmpty(status.Reason)) reason = status.Reason;
        if (status.Conditions?.Any(c => c.Type == "PodScheduled" && c.Reason == "SchedulingGated") == true) reason = "SchedulingGated";

        var initContainers = spec.InitContainers ?? [];
        var restartable = initContainers.Where(c => c.RestartPolicy == "Always").Select(c => c.Name).ToHashSet();
        total += restartable.Count;

        void TrackRestart(V1ContainerStatus cs)
        {
            var t = cs.LastState?.Terminated?.FinishedAt;
            if (t is not null && (lastRestart is null || t > lastRestart)) lastRestart = t;
        }

        var initializing = false;
        var initStatuses = status.InitContainerStatuses ?? [];
        for (var i = 0; i < initStatuses.Count; i++)
        {
            var c = initStatuses[i];
            restarts += c.RestartCount;
            if (c.LastState?.Terminated is not null) TrackRestart(c);
            if (restartable.Contains(c.Name)) restartableInitRestarts += c.RestartCount;
            if (c.State?.Terminated is { ExitCode: 0 }) continue;
            if (restartable.Contains(c.Name) && c.Started == true) { if (c.Ready) ready++; continue; }
            if (c.State?.Terminated is { } term)
            {
                reason = string.IsNullOrEmpty(term.Reason)
                    ? (term.Signal is int sig && sig != 0 ? $"Init:Signal:{sig}" : $"Init:ExitCode:{term.ExitCode}")
                    : "Init:" + term.Reason;
            }
            else if (c.State?.Waiting is { Reason.Length: > 0 } w && w.Reason != "PodInitializing") reason = "Init:" + w.Reason;
            else reason = $"Init:{i}/{initContainers.Count}";
            initializing = true;
            break;
        }

        var initializedTrue = status.Conditions?.Any(c => c.Type == "Initialized" && c.Status == "True") == true;
        if (!initializing || initializedTrue)
        {
            restarts = restartableInitRestarts;
            var hasRunning = false;
            var statuses = status.ContainerStatuses ?? [];
            for (var i = statuses.Count - 1; i >= 0; i--)
            {
                var c = statuses[i];
                restarts += c.RestartCount;
                if (c.LastState?.Terminated is not null) TrackRestart(c);
                if (c.State?.Waiting is { Reason.Length: > 0 } w) reason = w.Reason;
                else if (c.State?.Terminated is { Reason.Length: > 0 } t) reason = t.Reason;
                else if (c.State?.Terminated is { } t2)
                    reason = t2.Signal is int sig && sig != 0 ? $"Signal:{sig}" : $"ExitCode:{t2.ExitCode}";
                else if (c.Ready && c.State?.Running is not null) { hasRunning = true; ready++; }
            }
            if (reason == "Completed" && hasRunning)
                reason = status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true ? "Running" : "NotReady";
        }

        var terminal = status.Phase is "Succeeded" or "Failed";
        if (pod.Metadata.DeletionTimestamp is not null && status.Reason == "NodeLost") reason = "Unknown";
        else if (pod.Metadata.DeletionTimestamp is not null && !terminal) reason = "Terminating";

        var restartsText = restarts.ToString();
        if (restarts != 0 && lastRestart is not null) restartsText = $"{restarts} ({HumanDuration.Since(lastRestart, now)} ago)";

        var podIp = status.PodIPs is { Count: > 0 } ips ? ips[0].Ip : status.PodIP;
        var gates = "<none>";
        if (spec.ReadinessGates is { Count: > 0 } rg)
        {
            var trueCount = rg.Count(g => status.Conditions?.Any(c => c.Type == g.ConditionType && c.Status == "True") == true);
            gates = $"{trueCount}/{rg.Count}";
        }
        return
        [
            pod.Metadata.Name, $"{ready}/{total}", reason, restartsText, HumanDuration.Since(pod.Metadata.CreationTimestamp, now),
            string.IsNullOrEmpty(podIp) ? "<none>" : podIp,
            string.IsNullOrEmpty(spec.NodeName) ? "<none>" : spec.NodeName,
            string.IsNullOrEmpty(status.NominatedNodeName) ? "<none>" : status.NominatedNodeName,
            gates,
        ];
    }
}
