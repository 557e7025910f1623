using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
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
    public const string AppliedHashAnnotation = "clydeps.io/applied-hash";

    public static async Task<DaemonSetApplyResult> ApplyAsync(ClusterGateway gw, V1DaemonSet desired, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gw);
        ArgumentNullException.ThrowIfNull(desired);
        string ns = desired.Metadata.NamespaceProperty ?? gw.Namespace;
        string name = desired.Metadata.Name;
        string target = $"{ns}/{name}";
        desired.Metadata.NamespaceProperty = ns;
        string hash = OwnedHash(desired);

        for (int attempt = 0; ; attempt++)
        {
            V1DaemonSet? existing = await GetAsync(gw, ns, name, ct).ConfigureAwait(false);
            if (existing is null)
            {
                var create = Clone(desired);
                create.Metadata.Annotations ??= new Dictionary<string, string>();
                create.Metadata.Annotations[AppliedHashAnnotation] = hash;
                try
                {
                    var created = await gw.CallAsync("create DaemonSet", target,
                        (c, t) => c.AppsV1.CreateNamespacedDaemonSetAsync(create, ns, cancellationToken: t), ct).ConfigureAwait(false);
                    return new DaemonSetApplyResult(created, ApplyOutcome.Created, true, null);
                }
                catch (ClydeException e) when (e.StatusCode == 409 && attempt == 0)
                {
                    continue; // someone created it meanwhile: compare with theirs
                }
            }

            bool managed = DaemonSetManifest.IsManagedByClydePS(existing);
            string? note = managed ? null
                : $"DaemonSet {target} existed without the label {DaemonSetManifest.ManagedByLabel}={DaemonSetManifest.ManagedByValue}; ClydePS updated it as asked and now manages it.";
            if (!NeedsUpdate(existing, desired, hash))
            {
                return new DaemonSetApplyResult(existing, ApplyOutcome.Unchanged, managed, managed ? null
                    : $"DaemonSet {target} existed without the label {DaemonSetManifest.ManagedByLabel}={DaemonSetManifest.ManagedByValue}; it already matches.");
            }

            var update = Merge(existing, desired, hash);
            try
            {
                var updated = await gw.CallAsync("update DaemonSet", target,
                    (c, t) => c.AppsV1.ReplaceNamespacedDaemonSetAsync(update, name, ns, cancellationToken: t), ct).ConfigureAwait(false);
                return new DaemonSetApplyResult(updated, ApplyOutcome.Updated, managed, note);
            }
            catch (ClydeException e) when (e.StatusCode == 409 && attempt == 0)
            {
                // Conflict: it changed since we read it; read again and decide again, once.
            }
        }
    }

    /// <summary>What <see cref="ApplyAsync"/> would do, without writing (for -WhatIf).</summary>
    public static async Task<ApplyOutcome> PlanAsync(ClusterGateway gw, V1DaemonSet desired, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gw);
        ArgumentNullException.ThrowIfNull(desired);
        string ns = desired.Metadata.NamespaceProperty ?? gw.Namespace;
        var existing = await GetAsync(gw, ns, desired.Metadata.Name, ct).ConfigureAwait(false);
        return existing is null ? ApplyOutcome.Created : NeedsUpdate(existing, desired, OwnedHash(desired)) ? ApplyOutcome.Updated : ApplyOutcome.Unchanged;
    }

    private static async Task<V1DaemonSet?> GetAsync(ClusterGateway gw, string ns, string name, CancellationToken ct)
    {
        try
        {
            return await gw.CallAsync("get DaemonSet", $"{ns}/{name}",
                (c, t) => c.AppsV1.ReadNamespacedDaemonSetAsync(name, ns, cancellationToken: t), ct).ConfigureAwait(false);
        }
        catch (ClydeException e) when (e.StatusCode == 404)
        {
            return null;
        }
    }

    /// <summary>True when what we send, merged over what is there, differs from it, or the recorded hash differs.</summary>
    public static bool NeedsUpdate(V1DaemonSet existing, V1DaemonSet desired, string? hash = null)
    {
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(desired);
        hash ??= OwnedHash(desired);
        if (existing.Metadata?.Annotations?.TryGetValue(AppliedHashAnnotation, out var recorded) != true || recorded != hash)
        {
            return true;
        }

        JsonNode there = Owned(existing, desired);
        JsonNode sent = Owned(desired, desired);
        JsonNode merged = MergeOver(there.DeepClone(), sent);
        return !JsonNode.DeepEquals(merged, there);
    }

    /// <summary>The owned fields of <paramref name="ds"/>: labels and annotations that <paramref name="keys"/> sets, and the owned spec fields.</summary>
    private static JsonNode Owned(V1DaemonSet ds, V1DaemonSet keys)
    {
        var node = new JsonObject();
        var labels = new JsonObject();
        foreach (string k in (keys.Metadata?.Labels?.Keys ?? []).Order(StringComparer.Ordinal))
        {
            labels[k] = ds.Metadata?.Labels?.TryGetValue(k, out var v) == true ? v : null;
        }

        var annotations = new JsonObject();
        foreach (string k in (keys.Metadata?.Annotations?.Keys ?? []).Where(k => k != AppliedHashAnnotation).Order(StringComparer.Ordinal))
        {
            annotations[k] = ds.Metadata?.Annotations?.TryGetValue(k, out var v) == true ? v : null;
        }

        node["labels"] = labels;
        node["annotations"] = annotations;
        node["selector"] = ToNode(ds.Spec?.Selector);
        node["template"] = ToNode(ds.Spec?.Template);
        node["updateStrategy"] = ToNode(ds.Spec?.UpdateStrategy);
        if (keys.Spec?.MinReadySeconds is not null)
        {
            node["minReadySeconds"] = ds.Spec?.MinReadySeconds;
        }

        if (keys.Spec?.RevisionHistoryLimit is not null)
        {
            node["revisionHistoryLimit"] = ds.Spec?.RevisionHistoryLimit;
        }

        return node;
    }

    /// <summary>
    /// Merges <paramref name="sent"/> over <paramref name="there"/>: objects key by key, lists of objects element by element
    /// when their lengths agree (so defaults the server added inside containers, ports or volumes stay), anything else
    /// replaced. A null sent value keeps what is there.
    /// </summary>
    internal static JsonNode MergeOver(JsonNode? there, JsonNode? sent)
    {
        if (sent is null)
        {
            return there?.DeepClone()!;
        }

        if (sent is JsonObject so && there is JsonObject to)
        {
            var result = (JsonObject)to.DeepClone();
            foreach (var (k, v) in so)
            {
                if (v is null)
                {
                    continue;
                }

                result[k] = MergeOver(to.TryGetPropertyValue(k, out var old) ? old : null, v);
            }

            return result;
        }

        if (sent is JsonArray sa && there is JsonArray ta && sa.Count == ta.Count && sa.All(e => e is JsonObject))
        {
            var result = new JsonArray();
            for (int i = 0; i < sa.Count; i++)
            {
                result.Add(MergeOver(ta[i], sa[i]));
            }

            return result;
        }

        return sent.DeepClone();
    }

    /// <summary>The object to PUT: what is there, with the owned fields replaced by what we send (the server defaults them again).</summary>
    private static V1DaemonSet Merge(V1DaemonSet existing, V1DaemonSet desired, string hash)
    {
        var update = Clone(existing);
        update.Metadata.Labels ??= new Dictionary<string, string>();
        foreach (var (k, v) in desired.Metadata.Labels ?? new Dictionary<string, string>())
        {
            update.Metadata.Labels[k] = v;
        }

        update.Metadata.Annotations ??= new Dictionary<string, string>();
        foreach (var (k, v) in desired.Metadata.Annotations ?? new Dictionary<string, string>())
        {
            update.Metadata.Annotations[k] = v;
        }

        update.Metadata.Annotations[AppliedHashAnnotation] = hash;
        update.Spec.Selector = Clone(desired.Spec.Selector);
        update.Spec.Template = Clone(desired.Spec.Template);
        update.Spec.UpdateStrategy = desired.Spec.UpdateStrategy is null ? null : Clone(desired.Spec.UpdateStrategy);
        if (desired.Spec.MinReadySeconds is not null)
        {
            update.Spec.MinReadySeconds = desired.Spec.MinReadySeconds;
        }

        if (desired.Spec.RevisionHistoryLimit is not null)
        {
            update.Spec.RevisionHistoryLimit = desired.Spec.RevisionHistoryLimit;
        }

        update.Status = null;
        return update;
    }

    /// <summary>sha256 (16 hex digits) of the owned fields we send, as JSON with sorted keys (hashtable order never matters).</summary>
    public static string OwnedHash(V1DaemonSet desired)
    {
        string canonical = Canonical(Owned(desired, desired))!.ToJsonString();
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..16].ToLowerInvariant();
    }

    private static JsonNode? Canonical(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Canonical(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Canonical).ToArray()),
        null => null,
        _ => node.DeepClone(),
    };

    private static JsonNode? ToNode(object? o) => o is null ? null : JsonNode.Parse(KubernetesJson.Serialize(o));

    private static T Clone<T>(T o) => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(o));
}
