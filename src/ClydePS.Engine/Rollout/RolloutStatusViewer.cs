using k8s.Models;

namespace ClydePS.Engine.Rollout;

/// <summary>One evaluation of a workload's status: done or not, kubectl's message, the counts, and a failure (a failed Job).</summary>
public sealed record RolloutState(bool Done, string Message, int Desired, int Updated, int Ready, int Available, string? Failure = null);

/// <summary>
/// When a rollout is complete, decided exactly as kubectl does (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go for
/// DaemonSets and StatefulSets; <c>kubectl wait --for=condition=complete</c> for Jobs). Pure functions of the object.
/// </summary>
public static class RolloutStatusViewer
{
    public static RolloutState DaemonSet(V1DaemonSet ds)
    {
        ArgumentNullException.ThrowIfNull(ds);
        var s = ds.Status ?? new V1DaemonSetStatus();
        string name = ds.Metadata?.Name ?? "";
        int desired = s.DesiredNumberScheduled, updated = s.UpdatedNumberScheduled ?? 0, available = s.NumberAvailable ?? 0, ready = s.NumberReady;
        if (ds.Spec?.UpdateStrategy?.Type is { } type && type != "RollingUpdate")
        {
            // kubectl refuses ("rollout status is only available for RollingUpdate strategy type"): nothing rolls out by itself.
            return new RolloutState(true, $"daemon set \"{name}\" uses the {type} update strategy: pods are replaced only when deleted, so there is no rollout to wait for",
                desired, updated, ready, available);
        }

        if ((ds.Metadata?.Generation ?? 0) <= (s.ObservedGeneration ?? 0))
        {
            if (updated < desired)
            {
                return new RolloutState(false, $"Waiting for daemon set \"{name}\" rollout to finish: {updated} out of {desired} new pods have been updated...",
                    desired, updated, ready, available);
            }

            if (available < desired)
            {
                return new RolloutState(false, $"Waiting for daemon set \"{name}\" rollout to finish: {available} of {desired} updated pods are available...",
                    desired, updated, ready, available);
            }

            return new RolloutState(true, $"daemon set \"{name}\" successfully rolled out", desired, updated, ready, available);
        }

        return new RolloutState(false, "Waiting for daemon set spec update to be observed...", desired, updated, ready, available);
    }

    public static RolloutState StatefulSet(V1StatefulSet sts)
    {
        ArgumentNullException.ThrowIfNull(sts);
        var s = sts.Status ?? new V1StatefulSetStatus();
        int? replicas = sts.Spec?.Replicas;
        int desired = replicas ?? 1, updated = s.UpdatedReplicas ?? 0, ready = s.ReadyReplicas ?? 0, available = s.AvailableReplicas ?? 0;
        var strategy = sts.Spec?.UpdateStrategy;
        if (strategy?.Type is { } type && type != "RollingUpdate")
        {
            return new RolloutState(true, $"statefulset \"{sts.Metadata?.Name}\" uses the {type} update strategy: pods are replaced only when deleted, so there is no rollout to wait for",
                desired, updated, ready, available);
        }

        if ((s.ObservedGeneration ?? 0) == 0 || (sts.Metadata?.Generation ?? 0) > (s.ObservedGeneration ?? 0))
        {
            return new RolloutState(false, "Waiting for statefulset spec update to be observed...", desired, updated, ready, available);
        }

        if (replicas is { } r && ready < r)
        {
            return new RolloutState(false, $"Waiting for {r - ready} pods to be ready...", desired, updated, ready, available);
        }

        if (strategy?.Type == "RollingUpdate" && strategy.RollingUpdate is { } rolling)
        {
            if (replicas is { } rr && rolling.Partition is { } partition && updated < rr - partition)
            {
                return new RolloutState(false, $"Waiting for partitioned roll out to finish: {updated} out of {rr - partition} new pods have been updated...",
                    desired, updated, ready, available);
            }

            return new RolloutState(true, $"partitioned roll out complete: {updated} new pods have been updated...", desired, updated, ready, available);
        }

        if (s.UpdateRevision != s.CurrentRevision)
        {
            return new RolloutState(false, $"waiting for statefulset rolling update to complete {updated} pods at revision {s.UpdateRevision}...",
                desired, updated, ready, available);
        }

        return new RolloutState(true, $"statefulset rolling update complete {s.CurrentReplicas ?? 0} pods at revision {s.CurrentRevision}...",
            desired, updated, ready, available);
    }

    public static RolloutState Job(V1Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var s = job.Status ?? new V1JobStatus();
        int desired = job.Spec?.Completions ?? 1, succeeded = s.Succeeded ?? 0, ready = s.Ready ?? 0;
        string name = job.Metadata?.Name ?? "";
        if (s.Conditions?.FirstOrDefault(c => c.Type == "Complete" && c.Status == "True") is not null)
        {
            return new RolloutState(true, $"job.batch/{name} condition met", desired, succeeded, ready, succeeded);
        }

        if (s.Conditions?.FirstOrDefault(c => c.Type == "Failed" && c.Status == "True") is { } failed)
        {
            string why = string.IsNullOrEmpty(failed.Message) ? failed.Reason ?? "Failed" : $"{failed.Reason}: {failed.Message}";
            return new RolloutState(false, $"job.batch/{name} failed ({why})", desired, succeeded, ready, succeeded, why);
        }

        return new RolloutState(false, $"Waiting for job.batch/{name} to complete: {succeeded} of {desired} completions, {s.Active ?? 0} active, {s.Failed ?? 0} failed...",
            desired, succeeded, ready, succeeded);
    }
}
