using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ClydePS.Engine.Kube;
using k8s;
using k8s.Models;

namespace ClydePS.Engine.Rollout;

/// <summary>
/// How <see cref="OwnedFieldsApplier"/> reads, creates and replaces one kind, and which of its fields ClydePS owns besides
/// the labels and annotations it sets.
/// </summary>
public sealed class OwnedKind<T> where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>The kind's word in operation names and messages (e.g. <c>StatefulSet</c>).</summary>
    public required string Kind { get; init; }
    public required Func<IKubernetes, string, string, CancellationToken, Task<T>> Read { get; init; }
    public required Func<IKubernetes, T, string, CancellationToken, Task<T>> Create { get; init; }
    public required Func<IKubernetes, T, string, string, CancellationToken, Task<T>> Replace { get; init; }

    /// <summary>Adds the owned non-metadata fields of the first object, keyed as the second sets them, to the node.</summary>
    public required Action<T, T, JsonObject> OwnedFields { get; init; }

    /// <summary>Copies the owned non-metadata fields from the desired object onto the one to PUT.</summary>
    public required Action<T, T> CopyOwned { get; init; }

    /// <summary>Clears what a PUT must not carry (status).</summary>
    public Action<T>? Strip { get; init; }
}

/// <summary>What applying one object did.</summary>
public sealed record OwnedApplyResult<T>(T Object, ApplyOutcome Outcome, bool WasManagedByClydePS);

/// <summary>
/// Creates or updates an object idempotently (the approach DaemonSets, ConfigMaps, Services and StatefulSets share).
/// ClydePS owns the labels and annotations it sets and the fields <see cref="OwnedKind{T}.OwnedFields"/> names. A present
/// object is changed only when what we send, merged over what is there (so server defaults count as equal), differs from
/// what is there, or when the hash of what we send differs from the one recorded at the last apply (so removing a field
/// is seen too). An update is a PUT with the read resourceVersion, retried once on 409 Conflict. A second identical run
/// sends no write, so the resourceVersion stays.
/// </summary>
public static class OwnedFieldsApplier
{
    /// <summary>Hash of the last applied owned fields (sorted-key JSON, sha256, 16 hex digits).</summary>
    public const string AppliedHashAnnotation = "clydeps.io/applied-hash";

    public static async Task<OwnedApplyResult<T>> ApplyAsync<T>(ClusterGateway gw, OwnedKind<T> kind, T desired, CancellationToken ct)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(gw);
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(desired);
        string ns = desired.Metadata.NamespaceProperty ?? gw.Namespace;
        string name = desired.Metadata.Name;
        string target = $"{ns}/{name}";
        desired.Metadata.NamespaceProperty = ns;
        string hash = OwnedHash(kind, desired);

        for (int attempt = 0; ; attempt++)
        {
            T? existing = await GetAsync(gw, kind, ns, name, ct).ConfigureAwait(false);
            if (existing is null)
            {
                var create = WithHash(desired, hash);
                try
                {
                    var created = await gw.CallAsync($"create {kind.Kind}", target, (c, t) => kind.Create(c, create, ns, t), ct).ConfigureAwait(false);
                    return new OwnedApplyResult<T>(created, ApplyOutcome.Created, true);
                }
                catch (ClydeException e) when (e.StatusCode == 409 && attempt == 0)
                {
                    continue; // someone created it meanwhile: compare with theirs
                }
            }

            bool managed = IsManagedByClydePS(existing);
            if (!NeedsUpdate(kind, existing, desired, hash))
            {
                return new OwnedApplyResult<T>(existing, ApplyOutcome.Unchanged, managed);
            }

            var update = Merge(kind, existing, desired, hash);
            try
            {
                var updated = await gw.CallAsync($"update {kind.Kind}", target, (c, t) => kind.Replace(c, update, name, ns, t), ct).ConfigureAwait(false);
                return new OwnedApplyResult<T>(updated, ApplyOutcome.Updated, managed);
            }
            catch (ClydeException e) when (e.StatusCode == 409 && attempt == 0)
            {
                // Conflict: it changed since we read it; read again and decide again, once.
            }
        }
    }

    /// <summary>What <see cref="ApplyAsync{T}"/> would do, without writing (for -WhatIf).</summary>
    public static async Task<ApplyOutcome> PlanAsync<T>(ClusterGateway gw, OwnedKind<T> kind, T desired, CancellationToken ct)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(gw);
        ArgumentNullException.ThrowIfNull(desired);
        string ns = desired.Metadata.NamespaceProperty ?? gw.Namespace;
        var existing = await GetAsync(gw, kind, ns, desired.Metadata.Name, ct).ConfigureAwait(false);
        return existing is null ? ApplyOutcome.Created : NeedsUpdate(kind, existing, desired) ? ApplyOutcome.Updated : ApplyOutcome.Unchanged;
    }

    /// <summary>The object as it would be created: <paramref name="desired"/> with the applied-hash annotation (also for -AsManifest).</summary>
    public static T WithHash<T>(OwnedKind<T> kind, T desired) where T : class, IKubernetesObject<V1ObjectMeta> =>
        WithHash(desired, OwnedHash(kind, desired));

    private static T WithHash<T>(T desired, string hash) where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var copy = Clone(desired);
        copy.Metadata.Annotations ??= new Dictionary<string, string>();
        copy.Metadata.Annotations[AppliedHashAnnotation] = hash;
        return copy;
    }

    internal static async Task<T?> GetAsync<T>(ClusterGateway gw, OwnedKind<T> kind, string ns, string name, CancellationToken ct)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            return await gw.CallAsync($"get {kind.Kind}", $"{ns}/{name}", (c, t) => kind.Read(c, name, ns, t), ct).ConfigureAwait(false);
        }
        catch (ClydeException e) when (e.StatusCode == 404)
        {
            return null;
        }
    }

    /// <summary>True when the object carries <c>app.kubernetes.io/managed-by=ClydePS</c>.</summary>
    public static bool IsManagedByClydePS(IKubernetesObject<V1ObjectMeta> o) =>
        o.Metadata?.Labels is { } l && l.TryGetValue(DaemonSetManifest.ManagedByLabel, out var v) && v == DaemonSetManifest.ManagedByValue;

    /// <summary>True when what we send, merged over what is there, differs from it, or the recorded hash differs.</summary>
    public static bool NeedsUpdate<T>(OwnedKind<T> kind, T existing, T desired, string? hash = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(desired);
        hash ??= OwnedHash(kind, desired);
        if (existing.Metadata?.Annotations?.TryGetValue(AppliedHashAnnotation, out var recorded) != true || recorded != hash)
        {
            return true;
        }

        JsonNode there = Owned(kind, existing, desired);
        JsonNode sent = Owned(kind, desired, desired);
        JsonNode merged = MergeOver(there.DeepClone(), sent);
        return !JsonNode.DeepEquals(merged, there);
    }

    /// <summary>The owned fields of <paramref name="o"/>: labels and annotations that <paramref name="keys"/> sets, and the kind's owned fields.</summary>
    private static JsonNode Owned<T>(OwnedKind<T> kind, T o, T keys) where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var node = new JsonObject();
        var labels = new JsonObject();
        foreach (string k in (keys.Metadata?.Labels?.Keys ?? []).Order(StringComparer.Ordinal))
        {
            labels[k] = o.Metadata?.Labels?.TryGetValue(k, out var v) == true ? v : null;
        }

        var annotations = new JsonObject();
        foreach (string k in (keys.Metadata?.Annotations?.Keys ?? []).Where(k => k != AppliedHashAnnotation).Order(StringComparer.Ordinal))
        {
            annotations[k] = o.Metadata?.Annotations?.TryGetValue(k, out var v) == true ? v : null;
        }

        node["labels"] = labels;
        node["annotations"] = annotations;
        kind.OwnedFields(o, keys, node);
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
    private static T Merge<T>(OwnedKind<T> kind, T existing, T desired, string hash) where T : class, IKubernetesObject<V1ObjectMeta>
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
        kind.CopyOwned(update, desired);
        kind.Strip?.Invoke(update);
        return update;
    }

    /// <summary>sha256 (16 hex digits) of the owned fields we send, as JSON with sorted keys (hashtable order never matters).</summary>
    public static string OwnedHash<T>(OwnedKind<T> kind, T desired) where T : class, IKubernetesObject<V1ObjectMeta> =>
        Hash(Owned(kind, desired, desired));

    /// <summary>sha256 (16 hex digits) of a JSON value with its object keys sorted.</summary>
    public static string Hash(JsonNode? node)
    {
        string canonical = Canonical(node)?.ToJsonString() ?? "null";
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

    /// <summary>A model object as a JSON node (null for null).</summary>
    public static JsonNode? ToNode(object? o) => o is null ? null : JsonNode.Parse(KubernetesJson.Serialize(o));

    internal static TObj Clone<TObj>(TObj o) => KubernetesJson.Deserialize<TObj>(KubernetesJson.Serialize(o));
}
