using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Api;

/// <summary>
/// The delete strategies beyond "remove now": graceful pod deletion (deletionTimestamp + deletionGracePeriodSeconds,
/// the kubelet removes the pod; unbound or finished pods go at once) and the orphan / foreground propagation
/// policies (the orphan or foregroundDeletion finalizer, handled by the garbage collector).
/// </summary>
public static class WorkloadDeletion
{
    /// <summary>The object as marked for deletion, or null when the normal path (remove now) applies.</summary>
    public static StoredObject? Prepare(ObjectStore store, LabClock clock, ResourceDefinition def, StoredObject current,
        string? policy, long? gracePeriodSeconds, Action checkPreconditions)
    {
        var isPod = def.Group.Length == 0 && def.Plural == "pods";
        if (isPod)
        {
            var pod = (V1Pod)current.Object;
            var grace = gracePeriodSeconds ?? pod.Spec?.TerminationGracePeriodSeconds ?? 30;
            if (string.IsNullOrEmpty(pod.Spec?.NodeName) || pod.Status?.Phase is "Succeeded" or "Failed") grace = 0;
            if (grace <= 0)
            {
                if (pod.Metadata.Finalizers is { Count: > 0 })
                {
                    // finalizers keep it: mark with grace 0 so it goes when they are removed
                    var (m, _) = store.Update(def, current.Namespace, current.Name, cur =>
                    {
                        checkPreconditions();
                        var copy = def.Clone(cur.Object);
                        copy.Metadata.DeletionTimestamp ??= clock.UtcNowSeconds;
                        copy.Metadata.DeletionGracePeriodSeconds = 0;
                        return copy;
                    });
                    return m;
                }
                return null;
            }
            if (pod.Metadata.DeletionTimestamp is not null && (pod.Metadata.DeletionGracePeriodSeconds ?? 0) <= grace) return current;
            var (marked, _) = store.Update(def, current.Namespace, current.Name, cur =>
            {
                checkPreconditions();
                var copy = def.Clone(cur.Object);
                copy.Metadata.DeletionTimestamp = clock.UtcNowSeconds.AddSeconds(grace);
                copy.Metadata.DeletionGracePeriodSeconds = grace;
                return copy;
            }, removeWhenFinalized: false);
            return marked;
        }
        policy ??= def.DefaultPropagationPolicy;
        if (policy is not ("Orphan" or "Foreground")) return null;
        if (def.Group.Length == 0 && def.Plural is "namespaces" or "nodes" or "events") return null;
        var finalizer = policy == "Orphan" ? "orphan" : "foregroundDeletion";
        var (result, _) = store.Update(def, current.Namespace, current.Name, cur =>
        {
            checkPreconditions();
            var copy = def.Clone(cur.Object);
            copy.Metadata.Finalizers ??= new List<string>();
            if (!copy.Metadata.Finalizers.Contains(finalizer)) copy.Metadata.Finalizers.Add(finalizer);
            copy.Metadata.DeletionTimestamp ??= clock.UtcNowSeconds;
            copy.Metadata.DeletionGracePeriodSeconds ??= 0;
            return copy;
        });
        return result;
    }
}
