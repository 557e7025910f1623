using ClydePS.Engine.Kube;
using k8s;
using k8s.Models;

namespace ClydePS.Engine.Rollout;

/// <summary>What applying a DaemonSet did, and a note when it touched a DaemonSet ClydePS did not manage.</summary>
public sealed record DaemonSetApplyResult(V1DaemonSet DaemonSet, ApplyOutcome Outcome, bool WasManagedByClydePS, string? Note);

/// <summary>
/// Creates or updates a DaemonSet idempotently. ClydePS owns the labels and annotations it sets, <c>spec.selector</c>,
/// <c>spec.template</c> and <c>spec.updateStrategy</c> (and minReadySeconds / revisionHistoryLimit when given). A present
/// DaemonSet is changed only when what we send, merged over what is there (so server defaults count as equal), differs
/// from what is there, or when the hash of what we send differs from the one recorded at the last apply (so removing a
/// field is seen too). An update is a PUT with the read resourceVersion, retried once on 409 Conflict. A second
/// identical run sends no write, so the resourceVersion stays.
/// </summary>
public static class DaemonSetApplier
{
    /// <summary>Hash of the last applied owned fields (sorted-key JSON, sha256, 16 hex digits).</summary>
    public const string AppliedHashAnnotation = OwnedFieldsApplier.AppliedHashAnnotation;

    /// <summary>The DaemonSet's owned fields: <c>spec.selector</c>, <c>spec.template</c>, <c>spec.updateStrategy</c>, and minReadySeconds / revisionHistoryLimit when sent.</summary>
    internal static readonly OwnedKind<V1DaemonSet> Kind = new()
    {
        Kind = "DaemonSet",
        Read = (c, name, ns, t) => c.AppsV1.ReadNamespacedDaemonSetAsync(name, ns, cancellationToken: t),
        Create = (c, o, ns, t) => c.AppsV1.CreateNamespacedDaemonSetAsync(o, ns, cancellationToken: t),
        Replace = (c, o, name, ns, t) => c.AppsV1.ReplaceNamespacedDaemonSetAsync(o, name, ns, cancellationToken: t),
        OwnedFields = (ds, keys, node) =>
        {
            node["selector"] = OwnedFieldsApplier.ToNode(ds.Spec?.Selector);
            node["template"] = OwnedFieldsApplier.ToNode(ds.Spec?.Template);
            node["updateStrategy"] = OwnedFieldsApplier.ToNode(ds.Spec?.UpdateStrategy);
            if (keys.Spec?.MinReadySeconds is not null)
            {
                node["minReadySeconds"] = ds.Spec?.MinReadySeconds;
            }

            if (keys.Spec?.RevisionHistoryLimit is not null)
            {
                node["revisionHistoryLimit"] = ds.Spec?.RevisionHistoryLimit;
            }
        },
        CopyOwned = (update, desired) =>
        {
            update.Spec.Selector = OwnedFieldsApplier.Clone(desired.Spec.Selector);
            update.Spec.Template = OwnedFieldsApplier.Clone(desired.Spec.Template);
            update.Spec.UpdateStrategy = desired.Spec.UpdateStrategy is null ? null : OwnedFieldsApplier.Clone(desired.Spec.UpdateStrategy);
            if (desired.Spec.MinReadySeconds is not null)
            {
                update.Spec.MinReadySeconds = desired.Spec.MinReadySeconds;
            }

            if (desired.Spec.RevisionHistoryLimit is not null)
            {
                update.Spec.RevisionHistoryLimit = desired.Spec.RevisionHistoryLimit;
            }
        },
        Strip = ds => ds.Status = null,
    };

    public static async Task<DaemonSetApplyResult> ApplyAsync(ClusterGateway gw, V1DaemonSet desired, CancellationToken ct)
    {
        var result = await OwnedFieldsApplier.ApplyAsync(gw, Kind, desired, ct).ConfigureAwait(false);
        string target = $"{desired.Metadata.NamespaceProperty}/{desired.Metadata.Name}";
        string? note = result.WasManagedByClydePS ? null
            : result.Outcome == ApplyOutcome.Unchanged
                ? $"DaemonSet {target} existed without the label {DaemonSetManifest.ManagedByLabel}={DaemonSetManifest.ManagedByValue}; it already matches."
                : $"DaemonSet {target} existed without the label {DaemonSetManifest.ManagedByLabel}={DaemonSetManifest.ManagedByValue}; ClydePS updated it as asked and now manages it.";
        return new DaemonSetApplyResult(result.Object, result.Outcome, result.WasManagedByClydePS, note);
    }

    /// <summary>What <see cref="ApplyAsync"/> would do, without writing (for -WhatIf).</summary>
    public static Task<ApplyOutcome> PlanAsync(ClusterGateway gw, V1DaemonSet desired, CancellationToken ct) =>
        OwnedFieldsApplier.PlanAsync(gw, Kind, desired, ct);

    /// <summary>True when what we send, merged over what is there, differs from it, or the recorded hash differs.</summary>
    public static bool NeedsUpdate(V1DaemonSet existing, V1DaemonSet desired, string? hash = null) =>
        OwnedFieldsApplier.NeedsUpdate(Kind, existing, desired, hash);

    /// <summary>sha256 (16 hex digits) of the owned fields we send, as JSON with sorted keys (hashtable order never matters).</summary>
    public static string OwnedHash(V1DaemonSet desired) => OwnedFieldsApplier.OwnedHash(Kind, desired);
}
