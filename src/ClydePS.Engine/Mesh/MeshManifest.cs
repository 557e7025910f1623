using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ClydePS.Engine.Rollout;
using k8s.Models;

namespace ClydePS.Engine.Mesh;

/// <summary>Stable ErrorIds of the mesh cmdlets. Never rename one: scripts match on them.</summary>
public static class MeshErrorIds
{
    public const string InvalidName = "ClydeInvalidName";
    public const string InvalidReplicas = "ClydeInvalidReplicas";
    public const string InvalidPort = "ClydeInvalidPort";
    public const string InvalidSetting = "ClydeInvalidMeshSetting";
    public const string MeshNotFound = "ClydeMeshNotFound";
    public const string NamespaceNotOwned = "ClydeNamespaceNotOwned";
    public const string RemoveTimeout = "ClydeMeshRemoveTimeout";
}

/// <summary>Everything a peer mesh is made of; <c>New-ClydeMesh</c>'s parameters. Validate with <see cref="MeshManifest.Validate"/>.</summary>
public sealed record MeshRequest
{
    public required string Name { get; init; }

    /// <summary>Default: the mesh's name.</summary>
    public required string Namespace { get; init; }
    public required string Image { get; init; }
    public int Replicas { get; init; } = 3;
    public int MeshPort { get; init; } = 5671;
    public int AppPort { get; init; } = 5672;

    /// <summary>Default: the mesh's name.</summary>
    public string? ClusterId { get; init; }
    public string LogLevel { get; init; } = "INFO";

    /// <summary>Container arguments; Kubernetes expands <c>$(PEERS)</c> and the other variables in them.</summary>
    public IReadOnlyList<string>? Args { get; init; }

    /// <summary>LoadBalancer, NodePort or None.</summary>
    public string ExternalService { get; init; } = "LoadBalancer";

    /// <summary>Resource requests (cpu, memory, ...); default cpu 100m, memory 128Mi.</summary>
    public IReadOnlyDictionary<string, string>? Requests { get; init; }

    /// <summary>Resource limits; default cpu 500m, memory 512Mi.</summary>
    public IReadOnlyDictionary<string, string>? Limits { get; init; }

    /// <summary>InitContainer (wait for the first peer's DNS name before starting) or None.</summary>
    public string PeerWait { get; init; } = "InitContainer";
}

/// <summary>The objects of one mesh, ready to apply, in apply order.</summary>
public sealed class MeshObjects
{
    internal MeshObjects(MeshRequest request, V1Namespace ns, V1ConfigMap config, V1Service headless, V1StatefulSet sts, V1Service? external)
    {
        Request = request;
        NamespaceObject = ns;
        ConfigMap = config;
        Headless = headless;
        StatefulSet = sts;
        External = external;
    }

    public MeshRequest Request { get; }
    internal V1Namespace NamespaceObject { get; }
    internal V1ConfigMap ConfigMap { get; }
    internal V1Service Headless { get; }
    internal V1StatefulSet StatefulSet { get; }
    internal V1Service? External { get; }

    public string Name => Request.Name;
    public string Namespace => Request.Namespace;
    public IReadOnlyList<string> Peers => MeshManifest.Peers(Request);

    /// <summary>The objects as <c>Kind namespace/name</c>, in apply order (for -WhatIf).</summary>
    public IReadOnlyList<string> Describe()
    {
        var list = new List<string> { $"Namespace {Namespace}", $"ConfigMap {Namespace}/{ConfigMap.Metadata.Name}", $"Service {Namespace}/{Headless.Metadata.Name} (headless)",
            $"StatefulSet {Namespace}/{StatefulSet.Metadata.Name} ({Request.Replicas} replicas of {Request.Image})" };
        if (External is not null)
        {
            list.Add($"Service {Namespace}/{External.Metadata.Name} ({External.Spec.Type})");
        }

        return list;
    }
}

/// <summary>
/// Builds a peer mesh as the manual guide does it (namespace, ConfigMap, headless Service, ordered StatefulSet with a
/// DNS-waiting init container and a static peer list, external Service), every object labelled
/// <c>app.kubernetes.io/managed-by=ClydePS</c> and <c>clydeps.io/mesh=&lt;name&gt;</c>. Two things differ from the guide:
/// the headless Service publishes not-ready addresses (else the first pod's init container waits for its own DNS name,
/// which only a ready pod gets), and the peer list is computed here and handed to every pod through the ConfigMap, with
/// its hash on the pod template so a change restarts the pods (highest ordinal first).
/// </summary>
public static class MeshManifest
{
    public const string MeshLabel = "clydeps.io/mesh";
    public const string SettingsAnnotation = "clydeps.io/mesh-settings";
    public const string PeerConfigHashAnnotation = "clydeps.io/peer-config-hash";
    public const string InitImage = "busybox:1.36";
    public static readonly string[] ExternalKinds = ["LoadBalancer", "NodePort", "None"];
    public static readonly string[] PeerWaitKinds = ["InitContainer", "None"];
    private static readonly Regex Dns1035 = new("^[a-z]([-a-z0-9]*[a-z0-9])?$");

    public static string HeadlessName(string name) => name + "-headless";
    public static string ExternalName(string name) => name + "-external";
    public static string ConfigName(string name) => name + "-config";

    /// <summary>Every replica's DNS name with the mesh port, ordinal order.</summary>
    public static IReadOnlyList<string> Peers(MeshRequest r) => Peers(r.Name, r.Namespace, r.Replicas, r.MeshPort);

    public static IReadOnlyList<string> Peers(string name, string ns, int replicas, int meshPort) =>
        Enumerable.Range(0, replicas).Select(i => $"{name}-{i}.{HeadlessName(name)}.{ns}.svc.cluster.local:{meshPort}").ToList();

    /// <summary>Checks every input; throws InvalidArgument before anything is created.</summary>
    public static MeshRequest Validate(MeshRequest r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (string.IsNullOrEmpty(r.Name) || r.Name.Length > 54 || !Dns1035.IsMatch(r.Name))
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, MeshErrorIds.InvalidName,
                $"'{r.Name}' is not a valid mesh name: use at most 54 lowercase letters, digits or '-', starting with a letter and ending with a letter or digit (it names the Services '<name>-headless' and '<name>-external').", r.Name);
        }

        DaemonSetManifest.ValidateNamespace(r.Namespace);
        Registry.ImageReference.Parse(r.Image);
        if (r.Replicas is < 1 or > 1000)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, MeshErrorIds.InvalidReplicas,
                $"-Replicas ({r.Replicas}) must be between 1 and 1000: a mesh needs at least one peer.", r.Replicas);
        }

        foreach (var (what, port) in new[] { ("-MeshPort", r.MeshPort), ("-AppPort", r.AppPort) })
        {
            if (port is < 1 or > 65535)
            {
                throw new ClydeException(ClydeErrorKind.InvalidArgument, MeshErrorIds.InvalidPort, $"{what} ({port}) must be between 1 and 65535.", port);
            }
        }

        if (r.MeshPort == r.AppPort)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, MeshErrorIds.InvalidPort, $"-MeshPort and -AppPort must differ (both are {r.MeshPort}).", r.MeshPort);
        }

        if (!ExternalKinds.Contains(r.ExternalService, StringComparer.Ordinal))
        {
            throw Setting("-ExternalService", r.ExternalService, string.Join(", ", ExternalKinds));
        }

        if (!PeerWaitKinds.Contains(r.PeerWait, StringComparer.Ordinal))
        {
            throw Setting("-PeerWait", r.PeerWait, string.Join(", ", PeerWaitKinds));
        }

        if (string.IsNullOrWhiteSpace(r.LogLevel))
        {
            throw Setting("-LogLevel", r.LogLevel, "a non-empty level such as INFO");
        }

        if (r.ClusterId is { } id && string.IsNullOrWhiteSpace(id))
        {
            throw Setting("-ClusterId", id, "a non-empty id");
        }

        foreach (var (k, v) in (r.Requests ?? new Dictionary<string, string>()).Concat(r.Limits ?? new Dictionary<string, string>()))
        {
            try
            {
                _ = new ResourceQuantity(v).ToDecimal();
            }
            catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
            {
                throw new ClydeException(ClydeErrorKind.InvalidArgument, MeshErrorIds.InvalidSetting, $"-Resources: '{k}={v}' is not a valid quantity (e.g. 100m, 128Mi).", v, e);
            }
        }

        return r;
    }

    private static ClydeException Setting(string what, string? value, string allowed) =>
        new(ClydeErrorKind.InvalidArgument, MeshErrorIds.InvalidSetting, $"{what} '{value}' is not valid: use {allowed}.", value);

    public static Dictionary<string, string> Labels(string name) => new(StringComparer.Ordinal)
    {
        ["app"] = name,
        [DaemonSetManifest.ManagedByLabel] = DaemonSetManifest.ManagedByValue,
        [MeshLabel] = name,
    };

    private static Dictionary<string, string> Selector(string name) => new(StringComparer.Ordinal) { ["app"] = name, [MeshLabel] = name };

    /// <summary>The settings a later Set-ClydeMesh starts from (JSON, stored on the StatefulSet).</summary>
    public static string SettingsJson(MeshRequest r) => new JsonObject
    {
        ["image"] = r.Image,
        ["replicas"] = r.Replicas,
        ["meshPort"] = r.MeshPort,
        ["appPort"] = r.AppPort,
        ["clusterId"] = ClusterId(r),
        ["logLevel"] = r.LogLevel,
        ["args"] = r.Args is null ? null : new JsonArray(r.Args.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
        ["externalService"] = r.ExternalService,
        ["requests"] = Map(Requests(r)),
        ["limits"] = Map(Limits(r)),
        ["peerWait"] = r.PeerWait,
    }.ToJsonString();

    /// <summary>The request recorded by <see cref="SettingsJson"/>, for a mesh in <paramref name="ns"/>.</summary>
    public static MeshRequest FromSettings(string name, string ns, string json)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        return new MeshRequest
        {
            Name = name,
            Namespace = ns,
            Image = (string)o["image"]!,
            Replicas = (int)o["replicas"]!,
            MeshPort = (int)o["meshPort"]!,
            AppPort = (int)o["appPort"]!,
            ClusterId = (string?)o["clusterId"],
            LogLevel = (string?)o["logLevel"] ?? "INFO",
            Args = o["args"] is JsonArray a ? a.Select(x => (string)x!).ToList() : null,
            ExternalService = (string?)o["externalService"] ?? "LoadBalancer",
            Requests = Unmap(o["requests"]),
            Limits = Unmap(o["limits"]),
            PeerWait = (string?)o["peerWait"] ?? "InitContainer",
        };
    }

    private static JsonObject Map(IReadOnlyDictionary<string, string> d) =>
        new(d.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));

    private static Dictionary<string, string>? Unmap(JsonNode? n) =>
        n is JsonObject o ? o.ToDictionary(p => p.Key, p => (string)p.Value!, StringComparer.Ordinal) : null;

    private static string ClusterId(MeshRequest r) => r.ClusterId ?? r.Name;

    private static IReadOnlyDictionary<string, string> Requests(MeshRequest r) =>
        r.Requests ?? new Dictionary<string, string> { ["cpu"] = "100m", ["memory"] = "128Mi" };

    private static IReadOnlyDictionary<string, string> Limits(MeshRequest r) =>
        r.Limits ?? new Dictionary<string, string> { ["cpu"] = "500m", ["memory"] = "512Mi" };

    /// <summary>The ConfigMap's data: cluster id, log level, replica count, ports and the computed peer list.</summary>
    public static Dictionary<string, string> ConfigData(MeshRequest r) => new(StringComparer.Ordinal)
    {
        ["CLUSTER_ID"] = ClusterId(r),
        ["LOG_LEVEL"] = r.LogLevel,
        ["REPLICA_COUNT"] = r.Replicas.ToString(CultureInfo.InvariantCulture),
        ["MESH_PORT"] = r.MeshPort.ToString(CultureInfo.InvariantCulture),
        ["APP_PORT"] = r.AppPort.ToString(CultureInfo.InvariantCulture),
        ["PEERS"] = string.Join(",", Peers(r)),
    };

    /// <summary>Builds the mesh's objects (validating the request first).</summary>
    public static MeshObjects Build(MeshRequest r)
    {
        Validate(r);
        string name = r.Name, ns = r.Namespace;
        var data = ConfigData(r);
        var nsObj = new V1Namespace
        {
            ApiVersion = "v1",
            Kind = "Namespace",
            Metadata = new V1ObjectMeta { Name = ns, Labels = Labels(name) },
        };
        var config = new V1ConfigMap
        {
            ApiVersion = "v1",
            Kind = "ConfigMap",
            Metadata = new V1ObjectMeta { Name = ConfigName(name), NamespaceProperty = ns, Labels = Labels(name) },
            Data = data,
        };
        var headless = new V1Service
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = new V1ObjectMeta { Name = HeadlessName(name), NamespaceProperty = ns, Labels = Labels(name) },
            Spec = new V1ServiceSpec
            {
                ClusterIP = "None",
                PublishNotReadyAddresses = true,
                Selector = Selector(name),
                Ports =
                [
                    new V1ServicePort { Name = "mesh", Port = r.MeshPort, TargetPort = r.MeshPort, Protocol = "TCP" },
                    new V1ServicePort { Name = "app", Port = r.AppPort, TargetPort = r.AppPort, Protocol = "TCP" },
                ],
            },
        };
        V1Service? external = r.ExternalService == "None" ? null : new V1Service
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = new V1ObjectMeta { Name = ExternalName(name), NamespaceProperty = ns, Labels = Labels(name) },
            Spec = new V1ServiceSpec
            {
                Type = r.ExternalService,
                Selector = Selector(name),
                Ports = [new V1ServicePort { Name = "app", Port = r.AppPort, TargetPort = r.AppPort, Protocol = "TCP" }],
            },
        };

        var env = new List<V1EnvVar>
        {
            new() { Name = "POD_NAME", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { ApiVersion = "v1", FieldPath = "metadata.name" } } },
        };
        foreach (string key in new[] { "PEERS", "REPLICA_COUNT", "CLUSTER_ID", "MESH_PORT", "APP_PORT", "LOG_LEVEL" })
        {
            env.Add(new V1EnvVar { Name = key, ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = ConfigName(name), Key = key } } });
        }

        var container = new V1Container
        {
            Name = DaemonSetManifest.ContainerName(name),
            Image = r.Image,
            Args = r.Args is { Count: > 0 } ? r.Args.ToList() : null,
            Ports =
            [
                new V1ContainerPort { Name = "mesh", ContainerPort = r.MeshPort, Protocol = "TCP" },
                new V1ContainerPort { Name = "app", ContainerPort = r.AppPort, Protocol = "TCP" },
            ],
            Env = env,
            LivenessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = r.MeshPort }, InitialDelaySeconds = 10, PeriodSeconds = 10, FailureThreshold = 3 },
            ReadinessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = r.AppPort }, InitialDelaySeconds = 5, PeriodSeconds = 5, FailureThreshold = 3 },
            Resources = new V1ResourceRequirements
            {
                Requests = Requests(r).ToDictionary(kv => kv.Key, kv => new ResourceQuantity(kv.Value)),
                Limits = Limits(r).ToDictionary(kv => kv.Key, kv => new ResourceQuantity(kv.Value)),
            },
        };
        List<V1Container>? init = r.PeerWait == "None" ? null :
        [
            new V1Container
            {
                Name = "wait-for-peers",
                Image = InitImage,
                Command = ["sh", "-c",
                    $"until nslookup {name}-0.{HeadlessName(name)}.{ns}.svc.cluster.local > /dev/null 2>&1; do echo waiting for the first peer; sleep 2; done"],
            },
        ];

        var podAnnotations = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [PeerConfigHashAnnotation] = OwnedFieldsApplier.Hash(JsonSerializer.SerializeToNode(data)),
        };
        var sts = new V1StatefulSet
        {
            ApiVersion = "apps/v1",
            Kind = "StatefulSet",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = ns,
                Labels = Labels(name),
                Annotations = new Dictionary<string, string> { [SettingsAnnotation] = SettingsJson(r) },
            },
            Spec = new V1StatefulSetSpec
            {
                ServiceName = HeadlessName(name),
                Replicas = r.Replicas,
                PodManagementPolicy = "OrderedReady",
                Selector = new V1LabelSelector { MatchLabels = Selector(name) },
                UpdateStrategy = new V1StatefulSetUpdateStrategy { Type = "RollingUpdate" },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = Labels(name), Annotations = podAnnotations },
                    Spec = new V1PodSpec { InitContainers = init, Containers = [container] },
                },
            },
        };
        return new MeshObjects(r, nsObj, config, headless, sts, external);
    }
}
