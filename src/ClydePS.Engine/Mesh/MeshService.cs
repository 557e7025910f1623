using ClydePS.Engine.Kube;
using ClydePS.Engine.Rollout;
using k8s;
using k8s.Models;

namespace ClydePS.Engine.Mesh;

/// <summary>What applying a mesh did to each of its objects.</summary>
public sealed record MeshApplyResult(ClydeMesh Mesh, IReadOnlyList<(string Object, ApplyOutcome Outcome)> Objects, bool NamespaceCreated);

/// <summary>The plain-typed entry points of the mesh cmdlets (New-, Get-, Set-, Remove-ClydeMesh).</summary>
public static class MeshService
{
    internal static readonly OwnedKind<V1ConfigMap> ConfigMapKind = new()
    {
        Kind = "ConfigMap",
        Read = (c, name, ns, t) => c.CoreV1.ReadNamespacedConfigMapAsync(name, ns, cancellationToken: t),
        Create = (c, o, ns, t) => c.CoreV1.CreateNamespacedConfigMapAsync(o, ns, cancellationToken: t),
        Replace = (c, o, name, ns, t) => c.CoreV1.ReplaceNamespacedConfigMapAsync(o, name, ns, cancellationToken: t),
        OwnedFields = (o, _, node) => node["data"] = OwnedFieldsApplier.ToNode(o.Data),
        CopyOwned = (update, desired) => update.Data = new Dictionary<string, string>(desired.Data),
    };

    internal static readonly OwnedKind<V1Service> ServiceKind = new()
    {
        Kind = "Service",
        Read = (c, name, ns, t) => c.CoreV1.ReadNamespacedServiceAsync(name, ns, cancellationToken: t),
        Create = (c, o, ns, t) => c.CoreV1.CreateNamespacedServiceAsync(o, ns, cancellationToken: t),
        Replace = (c, o, name, ns, t) => c.CoreV1.ReplaceNamespacedServiceAsync(o, name, ns, cancellationToken: t),
        OwnedFields = (o, keys, node) =>
        {
            node["type"] = o.Spec?.Type ?? "ClusterIP";
            if (keys.Spec?.ClusterIP is not null)
            {
                node["clusterIP"] = o.Spec?.ClusterIP;
            }

            node["publishNotReadyAddresses"] = o.Spec?.PublishNotReadyAddresses ?? false;
            node["selector"] = OwnedFieldsApplier.ToNode(o.Spec?.Selector);
            node["ports"] = OwnedFieldsApplier.ToNode(o.Spec?.Ports);
        },
        CopyOwned = (update, desired) =>
        {
            bool typeChanged = (update.Spec.Type ?? "ClusterIP") != (desired.Spec.Type ?? "ClusterIP");
            update.Spec.Type = desired.Spec.Type;
            update.Spec.PublishNotReadyAddresses = desired.Spec.PublishNotReadyAddresses;
            update.Spec.Selector = new Dictionary<string, string>(desired.Spec.Selector);
            var old = update.Spec.Ports ?? [];
            update.Spec.Ports = desired.Spec.Ports.Select(p =>
            {
                var port = OwnedFieldsApplier.Clone(p);
                // Keep an allocated node port of the same port, unless the type no longer has node ports.
                if (!typeChanged || desired.Spec.Type is "NodePort" or "LoadBalancer")
                {
                    port.NodePort ??= old.FirstOrDefault(o => o.Name == p.Name && o.Port == p.Port)?.NodePort;
                }

                return port;
            }).ToList();
        },
        Strip = s => s.Status = null,
    };

    internal static readonly OwnedKind<V1StatefulSet> StatefulSetKind = new()
    {
        Kind = "StatefulSet",
        Read = (c, name, ns, t) => c.AppsV1.ReadNamespacedStatefulSetAsync(name, ns, cancellationToken: t),
        Create = (c, o, ns, t) => c.AppsV1.CreateNamespacedStatefulSetAsync(o, ns, cancellationToken: t),
        Replace = (c, o, name, ns, t) => c.AppsV1.ReplaceNamespacedStatefulSetAsync(o, name, ns, cancellationToken: t),
        OwnedFields = (o, _, node) =>
        {
            node["serviceName"] = o.Spec?.ServiceName;
            node["replicas"] = o.Spec?.Replicas;
            node["podManagementPolicy"] = o.Spec?.PodManagementPolicy;
            node["selector"] = OwnedFieldsApplier.ToNode(o.Spec?.Selector);
            node["updateStrategy"] = OwnedFieldsApplier.ToNode(o.Spec?.UpdateStrategy);
            node["template"] = OwnedFieldsApplier.ToNode(o.Spec?.Template);
        },
        CopyOwned = (update, desired) =>
        {
            update.Spec.ServiceName = desired.Spec.ServiceName;
            update.Spec.Replicas = desired.Spec.Replicas;
            update.Spec.PodManagementPolicy = desired.Spec.PodManagementPolicy;
            update.Spec.Selector = OwnedFieldsApplier.Clone(desired.Spec.Selector);
            update.Spec.UpdateStrategy = OwnedFieldsApplier.Clone(desired.Spec.UpdateStrategy);
            update.Spec.Template = OwnedFieldsApplier.Clone(desired.Spec.Template);
        },
        Strip = s => s.Status = null,
    };

    /// <summary>Validates the request and builds the mesh's objects.</summary>
    public static MeshObjects Prepare(MeshRequest request) => MeshManifest.Build(request);

    /// <summary>
    /// The multi-document YAML of the mesh, each object as New-ClydeMesh would create it (with its applied-hash annotation,
    /// so applying it and running New-ClydeMesh again agree). The Namespace comes first when <paramref name="includeNamespace"/>.
    /// </summary>
    public static string ToYaml(MeshObjects m, bool includeNamespace)
    {
        var docs = new List<string>();
        if (includeNamespace)
        {
            docs.Add(KubernetesYaml.Serialize(m.NamespaceObject));
        }

        docs.Add(KubernetesYaml.Serialize(OwnedFieldsApplier.WithHash(ConfigMapKind, m.ConfigMap)));
        docs.Add(KubernetesYaml.Serialize(OwnedFieldsApplier.WithHash(ServiceKind, m.Headless)));
        docs.Add(KubernetesYaml.Serialize(OwnedFieldsApplier.WithHash(StatefulSetKind, m.StatefulSet)));
        if (m.External is not null)
        {
            docs.Add(KubernetesYaml.Serialize(OwnedFieldsApplier.WithHash(ServiceKind, m.External)));
        }

        return string.Join("---\n", docs.Select(d => d.EndsWith('\n') ? d : d + "\n"));
    }

    /// <summary>What applying would do to each object (for -WhatIf), as <c>(Kind namespace/name, outcome)</c>.</summary>
    public static async Task<IReadOnlyList<(string Object, ApplyOutcome Outcome)>> PlanAsync(ClusterGateway gw, MeshObjects m, CancellationToken ct)
    {
        var plan = new List<(string, ApplyOutcome)>
        {
            ($"Namespace {m.Namespace}", await ReadNamespaceAsync(gw, m.Namespace, ct).ConfigureAwait(false) is null ? ApplyOutcome.Created : ApplyOutcome.Unchanged),
        };
        bool nsMissing = plan[0].Item2 == ApplyOutcome.Created;
        async Task Add<T>(OwnedKind<T> kind, T o) where T : class, IKubernetesObject<V1ObjectMeta> =>
            plan.Add(($"{kind.Kind} {m.Namespace}/{o.Metadata.Name}", nsMissing ? ApplyOutcome.Created : await OwnedFieldsApplier.PlanAsync(gw, kind, o, ct).ConfigureAwait(false)));
        await Add(ConfigMapKind, m.ConfigMap).ConfigureAwait(false);
        await Add(ServiceKind, m.Headless).ConfigureAwait(false);
        await Add(StatefulSetKind, m.StatefulSet).ConfigureAwait(false);
        if (m.External is not null)
        {
            await Add(ServiceKind, m.External).ConfigureAwait(false);
        }
        else if (!nsMissing && await ReadManagedServiceAsync(gw, m.Namespace, MeshManifest.ExternalName(m.Name), m.Name, ct).ConfigureAwait(false) is not null)
        {
            plan.Add(($"Service {m.Namespace}/{MeshManifest.ExternalName(m.Name)} (deleted: -ExternalService None)", ApplyOutcome.Updated));
        }

        return plan;
    }

    /// <summary>
    /// Creates the namespace when missing (labelled as the mesh's), then creates or updates the ConfigMap, the headless
    /// Service, the StatefulSet and the external Service; deletes a previous external Service of the mesh with
    /// -ExternalService None. A re-run with the same request writes nothing.
    /// </summary>
    public static async Task<MeshApplyResult> ApplyAsync(ClusterGateway gw, MeshObjects m, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(m);
        var outcomes = new List<(string, ApplyOutcome)>();
        bool nsCreated = false;
        if (await ReadNamespaceAsync(gw, m.Namespace, ct).ConfigureAwait(false) is null)
        {
            try
            {
                await gw.CallAsync("create Namespace", m.Namespace,
                    (c, t) => c.CoreV1.CreateNamespaceAsync(OwnedFieldsApplier.Clone(m.NamespaceObject), cancellationToken: t), ct).ConfigureAwait(false);
                nsCreated = true;
            }
            catch (ClydeException e) when (e.StatusCode == 409)
            {
                // Created meanwhile by someone else: not ours.
            }
        }

        outcomes.Add(($"Namespace {m.Namespace}", nsCreated ? ApplyOutcome.Created : ApplyOutcome.Unchanged));
        async Task<T> Apply<T>(OwnedKind<T> kind, T o) where T : class, IKubernetesObject<V1ObjectMeta>
        {
            var r = await OwnedFieldsApplier.ApplyAsync(gw, kind, o, ct).ConfigureAwait(false);
            outcomes.Add(($"{kind.Kind} {m.Namespace}/{o.Metadata.Name}", r.Outcome));
            return r.Object;
        }

        await Apply(ConfigMapKind, m.ConfigMap).ConfigureAwait(false);
        await Apply(ServiceKind, m.Headless).ConfigureAwait(false);
        var sts = await Apply(StatefulSetKind, m.StatefulSet).ConfigureAwait(false);
        ApplyOutcome stsOutcome = outcomes[^1].Item2;
        V1Service? external = null;
        if (m.External is not null)
        {
            external = await Apply(ServiceKind, m.External).ConfigureAwait(false);
        }
        else if (await ReadManagedServiceAsync(gw, m.Namespace, MeshManifest.ExternalName(m.Name), m.Name, ct).ConfigureAwait(false) is not null)
        {
            await DeleteAsync(gw, "Service", m.Namespace, MeshManifest.ExternalName(m.Name), ct).ConfigureAwait(false);
            outcomes.Add(($"Service {m.Namespace}/{MeshManifest.ExternalName(m.Name)} (deleted)", ApplyOutcome.Updated));
        }

        ApplyOutcome overall = stsOutcome == ApplyOutcome.Created ? ApplyOutcome.Created
            : outcomes.Any(o => o.Item2 != ApplyOutcome.Unchanged) ? ApplyOutcome.Updated : ApplyOutcome.Unchanged;
        var ns = await ReadNamespaceAsync(gw, m.Namespace, ct).ConfigureAwait(false);
        return new MeshApplyResult(Describe(gw, sts, external, ns, overall), outcomes, nsCreated);
    }

    /// <summary>Waits for the StatefulSet's ordered rollout (as <c>kubectl rollout status</c>); a timeout names the pods behind and why.</summary>
    public static Task<RolloutOutcome> WaitAsync(ClusterGateway gw, string ns, string name, TimeSpan timeout, Action<RolloutProgress>? progress, CancellationToken ct) =>
        RolloutWaiter.WaitAsync(gw, RolloutKind.StatefulSet, ns, name, timeout, progress, ct);

    /// <summary>Reads one mesh; null when its StatefulSet is missing or is not a ClydePS mesh.</summary>
    public static async Task<ClydeMesh?> GetAsync(ClusterGateway gw, string ns, string name, ApplyOutcome? outcome, CancellationToken ct)
    {
        V1StatefulSet? sts = await OwnedFieldsApplier.GetAsync(gw, StatefulSetKind, ns, name, ct).ConfigureAwait(false);
        if (sts is null || !IsMesh(sts))
        {
            return null;
        }

        var external = await ReadManagedServiceAsync(gw, ns, MeshManifest.ExternalName(name), name, ct).ConfigureAwait(false);
        var nsObj = await ReadNamespaceAsync(gw, ns, ct).ConfigureAwait(false);
        return Describe(gw, sts, external, nsObj, outcome);
    }

    /// <summary>The settings a mesh was last applied with (the base for Set-ClydeMesh).</summary>
    /// <exception cref="ClydeException">NotFound (ClydeMeshNotFound) when there is no such mesh.</exception>
    public static async Task<MeshRequest> ReadRequestAsync(ClusterGateway gw, string ns, string name, CancellationToken ct)
    {
        V1StatefulSet? sts = await OwnedFieldsApplier.GetAsync(gw, StatefulSetKind, ns, name, ct).ConfigureAwait(false);
        if (sts is null || !IsMesh(sts) || sts.Metadata.Annotations?.TryGetValue(MeshManifest.SettingsAnnotation, out var json) != true)
        {
            throw new ClydeException(ClydeErrorKind.NotFound, MeshErrorIds.MeshNotFound, $"There is no mesh '{name}' in namespace '{ns}'.", $"{ns}/{name}");
        }

        return MeshManifest.FromSettings(name, ns, json!);
    }

    /// <summary>Every mesh (StatefulSets labelled <c>clydeps.io/mesh</c> by ClydePS) in a namespace, or in all with null.</summary>
    public static async Task<IReadOnlyList<ClydeMesh>> ListAsync(ClusterGateway gw, string? ns, CancellationToken ct)
    {
        string selector = $"{DaemonSetManifest.ManagedByLabel}={DaemonSetManifest.ManagedByValue},{MeshManifest.MeshLabel}";
        var sets = (await gw.ListAsync<V1StatefulSet, V1StatefulSetList>("list meshes", ns ?? "(all namespaces)", (c, r, t) => ns is null
            ? c.AppsV1.ListStatefulSetForAllNamespacesWithHttpMessagesAsync(labelSelector: selector, continueParameter: r.Continue, limit: r.Limit, cancellationToken: t)
            : c.AppsV1.ListNamespacedStatefulSetWithHttpMessagesAsync(ns, labelSelector: selector, continueParameter: r.Continue, limit: r.Limit, cancellationToken: t),
            ct).ConfigureAwait(false)).Items;
        var services = (await gw.ListAsync<V1Service, V1ServiceList>("list mesh services", ns ?? "(all namespaces)", (c, r, t) => ns is null
            ? c.CoreV1.ListServiceForAllNamespacesWithHttpMessagesAsync(labelSelector: selector, continueParameter: r.Continue, limit: r.Limit, cancellationToken: t)
            : c.CoreV1.ListNamespacedServiceWithHttpMessagesAsync(ns, labelSelector: selector, continueParameter: r.Continue, limit: r.Limit, cancellationToken: t),
            ct).ConfigureAwait(false)).Items;
        var namespaces = await gw.ListNamespacesAsync(ct).ConfigureAwait(false);
        return sets.Where(IsMesh)
            .OrderBy(s => s.Metadata.NamespaceProperty, StringComparer.Ordinal).ThenBy(s => s.Metadata.Name, StringComparer.Ordinal)
            .Select(s => Describe(gw, s,
                services.FirstOrDefault(v => v.Metadata.NamespaceProperty == s.Metadata.NamespaceProperty && v.Metadata.Name == MeshManifest.ExternalName(s.Metadata.Name)),
                namespaces.FirstOrDefault(n => n.Metadata.Name == s.Metadata.NamespaceProperty), null))
            .ToList();
    }

    /// <summary>The objects Remove-ClydeMesh deletes, as <c>Kind namespace/name</c> (for -WhatIf and messages).</summary>
    public static async Task<IReadOnlyList<string>> ListObjectsAsync(ClusterGateway gw, string ns, string name, CancellationToken ct)
    {
        string selector = OwnerSelector(name);
        var list = new List<string>();
        foreach (var s in (await gw.ListAsync<V1StatefulSet, V1StatefulSetList>("list mesh StatefulSets", ns,
                     (c, r, t) => c.AppsV1.ListNamespacedStatefulSetWithHttpMessagesAsync(ns, labelSelector: selector, continueParameter: r.Continue, limit: r.Limit, cancellationToken: t), ct)
                 .ConfigureAwait(false)).Items)
        {
            list.Add($"StatefulSet {ns}/{s.Metadata.Name}");
        }

        foreach (var s in (await gw.ListAsync<V1Service, V1ServiceList>("list mesh Services", ns,
                     (c, r, t) => c.CoreV1.ListNamespacedServiceWithHttpMessagesAsync(ns, labelSelector: selector, continueParameter: r.Continue, limit: r.Limit, cancellationToken: t), ct)
                 .ConfigureAwait(false)).Items)
        {
            list.Add($"Service {ns}/{s.Metadata.Name}");
        }

        foreach (var s in (await gw.ListAsync<V1ConfigMap, V1ConfigMapList>("list mesh ConfigMaps", ns,
                     (c, r, t) => c.CoreV1.ListNamespacedConfigMapWithHttpMessagesAsync(ns, labelSelector: selector, continueParameter: r.Continue, limit: r.Limit, cancellationToken: t), ct)
                 .ConfigureAwait(false)).Items)
        {
            list.Add($"ConfigMap {ns}/{s.Metadata.Name}");
        }

        return list;
    }

    /// <summary>True when New-ClydeMesh created the namespace for this mesh (its labels say so).</summary>
    public static async Task<bool> NamespaceOwnedAsync(ClusterGateway gw, string ns, string name, CancellationToken ct) =>
        NamespaceOwned(await ReadNamespaceAsync(gw, ns, ct).ConfigureAwait(false), name);

    /// <summary>
    /// Deletes the mesh's StatefulSet, Services and ConfigMap (found by <c>clydeps.io/mesh=&lt;name&gt;</c>), and the namespace
    /// too with <paramref name="includeNamespace"/> (only when the mesh created it; else NamespaceNotOwned before anything
    /// is deleted); then waits until its pods (and the namespace) are gone, watching in Lab time up to <paramref name="timeout"/>.
    /// </summary>
    public static async Task<IReadOnlyList<string>> RemoveAsync(ClusterGateway gw, string ns, string name, bool includeNamespace, TimeSpan timeout,
        Action<string>? progress, CancellationToken ct)
    {
        if (includeNamespace && !await NamespaceOwnedAsync(gw, ns, name, ct).ConfigureAwait(false))
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, MeshErrorIds.NamespaceNotOwned,
                $"Namespace '{ns}' was not created by New-ClydeMesh for mesh '{name}', so -IncludeNamespace will not delete it; nothing was removed.", ns);
        }

        var objects = await ListObjectsAsync(gw, ns, name, ct).ConfigureAwait(false);
        foreach (string o in objects)
        {
            string[] parts = o.Split(' ', 2);
            string objName = parts[1][(ns.Length + 1)..];
            progress?.Invoke($"Deleting {o}");
            await DeleteAsync(gw, parts[0], ns, objName, ct).ConfigureAwait(false);
        }

        if (includeNamespace)
        {
            progress?.Invoke($"Deleting namespace {ns}");
            try
            {
                await gw.CallAsync("delete Namespace", ns, (c, t) => c.CoreV1.DeleteNamespaceAsync(ns, cancellationToken: t), ct).ConfigureAwait(false);
            }
            catch (ClydeException e) when (e.StatusCode == 404)
            {
            }
        }

        using var deadline = new CancellationTokenSource(timeout, gw.LabTime);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        try
        {
            progress?.Invoke("Waiting for the mesh's pods to go");
            string selector = $"{MeshManifest.MeshLabel}={name}";
            await gw.WaitUntilGoneAsync<V1Pod, V1PodList>("watch mesh pods", ns,
                (c, r, t) => c.CoreV1.ListNamespacedPodWithHttpMessagesAsync(ns, labelSelector: selector, continueParameter: r.Continue, limit: r.Limit,
                    watch: r.Watch, resourceVersion: r.ResourceVersion, allowWatchBookmarks: r.AllowWatchBookmarks, timeoutSeconds: r.TimeoutSeconds, cancellationToken: t),
                left => { if (left > 0) progress?.Invoke($"{left} pod(s) still terminating"); }, linked.Token).ConfigureAwait(false);
            if (includeNamespace)
            {
                progress?.Invoke($"Namespace {ns} still terminating");
                await gw.WaitUntilGoneAsync<V1Namespace, V1NamespaceList>("watch namespace", ns,
                    (c, r, t) => c.CoreV1.ListNamespaceWithHttpMessagesAsync(fieldSelector: $"metadata.name={ns}", continueParameter: r.Continue, limit: r.Limit,
                        watch: r.Watch, resourceVersion: r.ResourceVersion, allowWatchBookmarks: r.AllowWatchBookmarks, timeoutSeconds: r.TimeoutSeconds, cancellationToken: t),
                    null, linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new ClydeException(ClydeErrorKind.Timeout, MeshErrorIds.RemoveTimeout,
                $"Mesh {ns}/{name} was deleted but its pods{(includeNamespace ? " or namespace" : "")} were still there after {timeout.TotalSeconds:0.#} s.", $"{ns}/{name}");
        }

        if (includeNamespace)
        {
            objects = [.. objects, $"Namespace {ns}"];
        }

        return objects;
    }

    private static string OwnerSelector(string name) =>
        $"{DaemonSetManifest.ManagedByLabel}={DaemonSetManifest.ManagedByValue},{MeshManifest.MeshLabel}={name}";

    private static bool IsMesh(V1StatefulSet s) =>
        OwnedFieldsApplier.IsManagedByClydePS(s) && s.Metadata.Labels?.TryGetValue(MeshManifest.MeshLabel, out var n) == true && n == s.Metadata.Name;

    private static bool NamespaceOwned(V1Namespace? ns, string name) =>
        ns is not null && OwnedFieldsApplier.IsManagedByClydePS(ns) && ns.Metadata.Labels?.TryGetValue(MeshManifest.MeshLabel, out var n) == true && n == name;

    private static async Task DeleteAsync(ClusterGateway gw, string kind, string ns, string name, CancellationToken ct)
    {
        var options = new V1DeleteOptions { PropagationPolicy = "Background" };
        try
        {
            await gw.CallAsync($"delete {kind}", $"{ns}/{name}", (c, t) => kind switch
            {
                "StatefulSet" => (Task)c.AppsV1.DeleteNamespacedStatefulSetAsync(name, ns, options, cancellationToken: t),
                "Service" => DeleteServiceAsync(c, name, ns, options, t),
                "ConfigMap" => c.CoreV1.DeleteNamespacedConfigMapAsync(name, ns, options, cancellationToken: t),
                _ => throw new ArgumentOutOfRangeException(nameof(kind)),
            }, ct).ConfigureAwait(false);
        }
        catch (ClydeException e) when (e.StatusCode == 404)
        {
        }
    }

    /// <summary>Deletes a Service; older API servers answered with a v1 Status instead of the Service, which is success too.</summary>
    private static async Task DeleteServiceAsync(IKubernetes c, string name, string ns, V1DeleteOptions options, CancellationToken t)
    {
        try
        {
            await c.CoreV1.DeleteNamespacedServiceAsync(name, ns, options, cancellationToken: t).ConfigureAwait(false);
        }
        catch (System.Text.Json.JsonException)
        {
            // The body was a Status ({"kind":"Status","status":"Success",...}): the Service is deleted.
        }
    }

    private static async Task<V1Namespace?> ReadNamespaceAsync(ClusterGateway gw, string ns, CancellationToken ct)
    {
        try
        {
            return await gw.CallAsync("get Namespace", ns, (c, t) => c.CoreV1.ReadNamespaceAsync(ns, cancellationToken: t), ct).ConfigureAwait(false);
        }
        catch (ClydeException e) when (e.StatusCode == 404)
        {
            return null;
        }
    }

    private static async Task<V1Service?> ReadManagedServiceAsync(ClusterGateway gw, string ns, string svc, string mesh, CancellationToken ct)
    {
        var s = await OwnedFieldsApplier.GetAsync(gw, ServiceKind, ns, svc, ct).ConfigureAwait(false);
        return s is not null && s.Metadata.Labels?.TryGetValue(MeshManifest.MeshLabel, out var n) == true && n == mesh ? s : null;
    }

    private static ClydeMesh Describe(ClusterGateway gw, V1StatefulSet sts, V1Service? external, V1Namespace? ns, ApplyOutcome? outcome)
    {
        string name = sts.Metadata.Name, nsName = sts.Metadata.NamespaceProperty;
        MeshRequest? r = sts.Metadata.Annotations?.TryGetValue(MeshManifest.SettingsAnnotation, out var json) == true ? MeshManifest.FromSettings(name, nsName, json) : null;
        int replicas = sts.Spec?.Replicas ?? 0;
        int meshPort = r?.MeshPort ?? 0;
        string? endpoint = null;
        if (external?.Spec?.Type == "LoadBalancer" && external.Status?.LoadBalancer?.Ingress?.FirstOrDefault() is { } ingress)
        {
            endpoint = $"{ingress.Ip ?? ingress.Hostname}:{external.Spec.Ports?.FirstOrDefault()?.Port}";
        }
        else if (external?.Spec?.Type == "NodePort" && external.Spec.Ports?.FirstOrDefault()?.NodePort is { } nodePort)
        {
            endpoint = $"<node>:{nodePort}";
        }

        DateTime? created = sts.Metadata.CreationTimestamp;
        DateTimeOffset? createdAt = created is null ? null : new DateTimeOffset(DateTime.SpecifyKind(created.Value, DateTimeKind.Utc));
        TimeSpan? age = createdAt is null ? null : gw.LabTime.GetUtcNow() - createdAt.Value;
        return new ClydeMesh
        {
            Name = name,
            Namespace = nsName,
            Image = sts.Spec?.Template?.Spec?.Containers?.FirstOrDefault()?.Image ?? "",
            Replicas = replicas,
            ReadyReplicas = sts.Status?.ReadyReplicas ?? 0,
            Peers = MeshManifest.Peers(name, nsName, replicas, meshPort).ToArray(),
            MeshPort = meshPort,
            AppPort = r?.AppPort ?? 0,
            ClusterId = r?.ClusterId ?? name,
            ExternalService = external?.Spec?.Type ?? "None",
            ExternalEndpoint = endpoint,
            Outcome = outcome,
            NamespaceCreatedByClydePS = NamespaceOwned(ns, name),
            Age = age is { } a && a < TimeSpan.Zero ? TimeSpan.Zero : age,
            CreationTimestamp = createdAt,
        };
    }
}
