using ClydePS.Lab.Resources.Workloads;
using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Controllers;

/// <summary>
/// The Job controller (NonIndexed): keeps min(parallelism, remaining) pods active, counts succeeded and failed pods,
/// delays replacements with the pod-failure backoff (10s doubling, 6 min cap), fails with BackoffLimitExceeded
/// (FailureTarget then Failed) or DeadlineExceeded, completes with SuccessCriteriaMet then Complete.
/// </summary>
public sealed class JobController : ControllerLoop
{
    readonly ResourceDefinition _jobs;
    const string Component = "job-controller";

    public JobController(LabHost lab) : base(lab) => _jobs = lab.Registry.Jobs();

    protected override ResourceDefinition OwnerDef => _jobs;

    static bool Has(V1Job j, string type) => j.Status?.Conditions?.Any(c => c.Type == type && c.Status == "True") == true;

    protected override void Reconcile(string ns, string name)
    {
        var stored = Lab.Store.Get(_jobs, ns, name);
        if (stored is null) return;
        var job = (V1Job)stored.Object;
        if (job.Metadata.DeletionTimestamp is not null) return;
        var now = Lab.Clock.UtcNowSeconds;
        var pods = Owned(job.Metadata.Uid).Select(p => (Stored: p, Pod: (V1Pod)p.Object)).ToList();
        var succeeded = pods.Count(p => p.Pod.Status?.Phase == "Succeeded");
        var failed = pods.Count(p => p.Pod.Status?.Phase == "Failed");
        var active = pods.Where(p => PodActive(p.Pod)).ToList();
        var terminating = pods.Count(p => p.Pod.Metadata.DeletionTimestamp is not null && p.Pod.Status?.Phase is not ("Succeeded" or "Failed"));
        var ready = active.Count(p => PodReady(p.Pod));
        if (job.Spec.Template.Spec.RestartPolicy == "OnFailure")
            failed += active.Sum(p => p.Pod.Status?.ContainerStatuses?.Sum(c => c.RestartCount) ?? 0);
        var finished = Has(job, "Complete") || Has(job, "Failed");
        var suspended = job.Spec.Suspend == true;
        var completions = job.Spec.Completions;
        var parallelism = job.Spec.Parallelism ?? 1;
        var conditions = (job.Status?.Conditions ?? []).ToList();
        DateTime? startTime = job.Status?.StartTime;
        DateTime? completionTime = job.Status?.CompletionTime;
        if (!finished && !suspended) startTime ??= now;

        void AddCondition(string type, string reason, string message)
        {
            if (conditions.Any(c => c.Type == type)) return;
            conditions.Add(new V1JobCondition { Type = type, Status = "True", Reason = reason, Message = message, LastProbeTime = now, LastTransitionTime = now });
        }

        if (!finished)
        {
            var deadline = job.Spec.ActiveDeadlineSeconds;
            var failureTarget = conditions.FirstOrDefault(c => c.Type == "FailureTarget");
            var successTarget = conditions.Any(c => c.Type == "SuccessCriteriaMet");
            if (failureTarget is null && !successTarget)
            {
                if (failed > (job.Spec.BackoffLimit ?? 6))
                    AddCondition("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
                else if (deadline is long d && startTime is { } st && now >= st.ToUniversalTime().AddSeconds(d))
                    AddCondition("FailureTarget", "DeadlineExceeded", "Job was active longer than specified deadline");
                else if (completions is int c ? succeeded >= c : succeeded > 0 && active.Count == 0)
                    AddCondition("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods");
                failureTarget = conditions.FirstOrDefault(c => c.Type == "FailureTarget");
                successTarget = conditions.Any(c => c.Type == "SuccessCriteriaMet");
            }
            if (failureTarget is not null)
            {
                foreach (var p in active) DeletePod(job, p.Stored, Component);
                if (active.Count == 0 && terminating == 0)
                {
                    AddCondition("Failed", failureTarget.Reason, failureTarget.Message);
                    Lab.Events.Record(job, "Warning", failureTarget.Reason, failureTarget.Message, Component);
                }
                else EnqueueAfter(stored.Key, TimeSpan.FromSeconds(1));
            }
            else if (successTarget)
            {
                foreach (var p in active) DeletePod(job, p.Stored, Component);
                if (active.Count == 0 && terminating == 0)
                {
                    AddCondition("Complete", "CompletionsReached", "Reached expected number of succeeded pods");
                    completionTime = now;
                    Lab.Events.Record(job, "Normal", "Completed", "Job completed", Component);
                }
                else EnqueueAfter(stored.Key, TimeSpan.FromSeconds(1));
            }
            else if (!suspended)
            {
                var want = completions is int c ? Math.Min(parallelism, c - succeeded) : (succeeded > 0 ? 0 : parallelism);
                var missing = want - active.Count - (job.Spec.PodReplacementPolicy == "Failed" ? terminating : 0);
                if (missing > 0)
                {
                    // pod failure backoff: 10s * 2^(failures-1), capped at 6 minutes, from the last failure
                    var lastFailure = pods.Where(p => p.Pod.Status?.Phase == "Failed")
                        .Select(p => p.Pod.Status?.ContainerStatuses?.Select(s => s.State?.Terminated?.FinishedAt).Max() ?? p.Pod.Metadata.CreationTimestamp)
                        .Max();
                    var delay = failed == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Min(360, 10 * Math.Pow(2, failed - 1)));
                    var readyAt = lastFailure is { } lf ? lf.ToUniversalTime() + delay : now;
                    if (readyAt > Lab.Clock.UtcNow) EnqueueAfter(stored.Key, readyAt - Lab.Clock.UtcNow);
                    else
                        for (var i = 0; i < missing; i++)
                            CreatePod(job, NewPod(job, "batch/v1", "Job", job.Spec.Template, null, job.Metadata.Name + "-"), Component);
                }
                if (deadline is long dl && startTime is { } st2) EnqueueAfter(stored.Key, st2.ToUniversalTime().AddSeconds(dl) - Lab.Clock.UtcNow + TimeSpan.FromMilliseconds(10));
            }
        }
        var activeNow = Owned(job.Metadata.Uid).Count(p => PodActive((V1Pod)p.Object));
        WriteStatus<V1Job>(_jobs, ns, name, job.Metadata.Uid, j =>
        {
            j.Status ??= new V1JobStatus();
            var s = j.Status;
            s.StartTime = startTime;
            s.CompletionTime = completionTime;
            s.Active = activeNow == 0 ? null : activeNow;
            s.Succeeded = succeeded == 0 ? null : succeeded;
            s.Failed = failed == 0 ? null : failed;
            s.Ready = ready;
            s.Terminating = terminating;
            s.Conditions = conditions.Count == 0 ? null : conditions;
            s.UncountedTerminatedPods = new V1UncountedTerminatedPods();
        });
    }
}
