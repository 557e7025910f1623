using ClydePS.Engine.Probe;
using ClydePS.Engine.Rollout;
using k8s.Models;

namespace ClydePS.Engine.Snapshot;

/// <summary>Everything one agent-mode snapshot run needs (Invoke-ClydeSnapshot -DeployAgent).</summary>
public sealed record SnapshotAgentOptions
{
    public string Namespace { get; init; } = SnapshotAgentPod.DefaultNamespace;

    /// <summary>The agent image; default <see cref="SnapshotAgentPod.DefaultImage"/> of the module's version.</summary>
    public required string Image { get; init; }

    /// <summary>Unique per run (labels the Job, its pod and the hand-back ConfigMap).</summary>
    public string RunId { get; init; } = ProbePod.NewRunId();

    /// <summary>Default <c>clydeps-snapshot-&lt;run&gt;</c>, so concurrent runs never collide.</summary>
    public string? JobName { get; init; }

    public string ServiceAccountName { get; init; } = SnapshotAgentPod.DefaultServiceAccount;
    public IReadOnlyDictionary<string, string>? NodeSelector { get; init; }
    public IReadOnlyList<TolerationSpec> Tolerations { get; init; } = [];
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);
    public bool CleanupRbac { get; init; }
    public IReadOnlyList<string> ImagePullSecrets { get; init; } = [];

    /// <summary>Always, IfNotPresent or Never; null lets the cluster default it (by tag).</summary>
    public string? ImagePullPolicy { get; init; }

    public string CpuRequest { get; init; } = "100m";
    public string MemoryRequest { get; init; } = "256Mi";
    public string? CpuLimit { get; init; }
    public string? MemoryLimit { get; init; } = "1Gi";

    /// <summary>Host namespaces and a privileged container, as the original agent; default an unprivileged pod.</summary>
    public bool Privileged { get; init; }

    /// <summary>A ConfigMap the caller will write the snapshot to (its namespace is checked for permissions too); null otherwise.</summary>
    public string? OutputConfigMapNamespace { get; init; }

    public string EffectiveJobName => JobName ?? SnapshotAgentPod.NamePrefix + RunId;
    public string HandBackName => SnapshotAgentPod.NamePrefix + RunId;
}

/// <summary>Error ids of agent mode.</summary>
public static class SnapshotAgentErrorIds
{
    public const string Forbidden = "ClydeSnapshotAgentForbidden";
    public const string Failed = "ClydeSnapshotAgentFailed";
    public const string Timeout = "ClydeSnapshotAgentTimeout";
    public const string NoSnapshot = "ClydeSnapshotAgentNoSnapshot";
    public const string InvalidName = "ClydeSnapshotInvalidName";
    public const string InvalidResource = "ClydeSnapshotInvalidResource";
    public const string JobNotDeleted = "ClydeSnapshotAgentJobNotDeleted";
}

/// <summary>
/// The snapshot agent's Kubernetes objects: its RBAC (ServiceAccount, Role and RoleBinding, ClusterRole and ClusterRoleBinding
/// <c>&lt;account&gt;-&lt;namespace&gt;-node-reader</c>, all labelled <c>app.kubernetes.io/managed-by=ClydePS</c>), the Job
/// (role <c>agent</c>, run label, backoffLimit 0) whose container runs <c>agent/entrypoint.ps1</c> of the module, and the
/// hand-back ConfigMap the agent writes its snapshot into (role <c>agent</c> and the run label, so Remove-ClydeLeftover finds
/// one left behind).
/// </summary>
public static class SnapshotAgentPod
{
    public const string Role = "agent";
    public const string ContainerName = "agent";
    public const string DefaultNamespace = "clyde";
    public const string DefaultServiceAccount = "clydeps-snapshot";
    public const string NamePrefix = "clydeps-snapshot-";
    public const string ImageRepository = "ghcr.io/clydeps/clydeps-snapshot-agent";
    public const string ComponentLabel = "app.kubernetes.io/component";
    public const string Component = "snapshot-agent";

    /// <summary>Where the image installs the module; the entrypoint is <c>agent/entrypoint.ps1</c> inside it.</summary>
    public const string ModuleFolder = "/opt/clydeps/ClydePS";
    public const string EntrypointRelative = "agent/entrypoint.ps1";
    public const string Entrypoint = ModuleFolder + "/" + EntrypointRelative;

    /// <summary>Where the node's root filesystem is mounted (read-only) in the agent's container.</summary>
    public const string HostMountPath = "/host";
    public const string HostVolume = "host";
    public const string TmpVolume = "tmp";

    /// <summary>The agent container's command: pwsh running the entrypoint (its parameters are the container's args).</summary>
    public static readonly IReadOnlyList<string> Command = ["pwsh", "-NoLogo", "-NoProfile", "-NonInteractive", "-File", Entrypoint];

    /// <summary>The published agent image of a module version.</summary>
    public static string DefaultImage(string? moduleVersion) =>
        ImageRepository + ":" + (string.IsNullOrWhiteSpace(moduleVersion) ? "latest" : moduleVersion);

    public static string Selector(string runId) => $"{ProbePod.RunLabel}={runId},{ProbePod.RoleLabel}={Role}";

    public static string ClusterRoleName(SnapshotAgentOptions o) => $"{o.ServiceAccountName}-{o.Namespace}-node-reader";

    /// <summary>Rejects bad names and resource quantities (InvalidArgument) before any request.</summary>
    public static void Validate(SnapshotAgentOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        CheckName(o.Namespace, "-Namespace", 63, label: true);
        CheckName(o.EffectiveJobName, "-JobName", 63);
        CheckName(o.ServiceAccountName, "-ServiceAccountName", 253 - o.Namespace.Length - "--node-reader".Length);
        foreach (var s in o.ImagePullSecrets)
        {
            CheckName(s, "-ImagePullSecret", 253);
        }

        if (string.IsNullOrWhiteSpace(o.Image))
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeInvalidImageReference", "-Image must not be empty.", o.Image);
        }

        Registry.ImageReference.Parse(o.Image);
        foreach (var (name, value) in new[] { ("-CpuRequest", o.CpuRequest), ("-MemoryRequest", o.MemoryRequest), ("-CpuLimit", o.CpuLimit), ("-MemoryLimit", o.MemoryLimit) })
        {
            if (value is not null && !IsQuantity(value))
            {
                throw new ClydeException(ClydeErrorKind.InvalidArgument, SnapshotAgentErrorIds.InvalidResource,
                    $"{name} '{value}' is not a Kubernetes quantity: use for example 250m or 1 for CPU, 256Mi or 1Gi for memory.", value);
            }
        }
    }

    private static readonly System.Text.RegularExpressions.Regex Quantity =
        new(@"^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?\d+)?$");

    private static bool IsQuantity(string s) => Quantity.IsMatch(s.Trim()) && !s.Trim().StartsWith('-');

    private static readonly System.Text.RegularExpressions.Regex DnsLabel = new("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
    private static readonly System.Text.RegularExpressions.Regex DnsSubdomain = new("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");

    /// <summary>A DNS-1123 label (<paramref name="label"/>) or subdomain of at most <paramref name="max"/> characters.</summary>
    private static void CheckName(string name, string parameter, int max, bool label = false)
    {
        if (string.IsNullOrEmpty(name) || name.Length > max || !(label ? DnsLabel : DnsSubdomain).IsMatch(name))
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, SnapshotAgentErrorIds.InvalidName,
                $"{parameter} '{name}' is not a valid Kubernetes name: lowercase letters, digits{(label ? " and '-'" : ", '-' and '.'")}, starting and ending with a letter or digit, at most {max} characters.", name);
        }
    }

    private static Dictionary<string, string> RbacLabels() => new()
    {
        [ProbePod.ManagedByLabel] = "ClydePS",
        [ComponentLabel] = Component,
    };

    private static Dictionary<string, string> RunLabels(SnapshotAgentOptions o) => new()
    {
        [ProbePod.ManagedByLabel] = "ClydePS",
        [ProbePod.RoleLabel] = Role,
        [ProbePod.RunLabel] = o.RunId,
        ["app.kubernetes.io/name"] = "clydeps-snapshot",
        [ComponentLabel] = Component,
    };

    public static V1ServiceAccount ServiceAccount(SnapshotAgentOptions o) => new()
    {
        ApiVersion = "v1",
        Kind = "ServiceAccount",
        Metadata = new V1ObjectMeta { Name = o.ServiceAccountName, NamespaceProperty = o.Namespace, Labels = RbacLabels() },
    };

    /// <summary>The agent's namespaced rights: write its ConfigMap, read pods (as the original).</summary>
    public static V1Role AgentRole(SnapshotAgentOptions o) => new()
    {
        ApiVersion = "rbac.authorization.k8s.io/v1",
        Kind = "Role",
        Metadata = new V1ObjectMeta { Name = o.ServiceAccountName, NamespaceProperty = o.Namespace, Labels = RbacLabels() },
        Rules =
        [
            new V1PolicyRule { ApiGroups = [""], Resources = ["configmaps"], Verbs = ["get", "create", "update", "patch"] },
            new V1PolicyRule { ApiGroups = [""], Resources = ["pods"], Verbs = ["get", "list"] },
        ],
    };

    public static V1RoleBinding RoleBinding(SnapshotAgentOptions o) => new()
    {
        ApiVersion = "rbac.authorization.k8s.io/v1",
        Kind = "RoleBinding",
        Metadata = new V1ObjectMeta { Name = o.ServiceAccountName, NamespaceProperty = o.Namespace, Labels = RbacLabels() },
        RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = o.ServiceAccountName },
        Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = o.ServiceAccountName, NamespaceProperty = o.Namespace }],
    };

    /// <summary>The agent's cluster rights: read nodes and pods (as the original's node-reader).</summary>
    public static V1ClusterRole ClusterRole(SnapshotAgentOptions o) => new()
    {
        ApiVersion = "rbac.authorization.k8s.io/v1",
        Kind = "ClusterRole",
        Metadata = new V1ObjectMeta { Name = ClusterRoleName(o), Labels = RbacLabels() },
        Rules =
        [
            new V1PolicyRule { ApiGroups = [""], Resources = ["nodes"], Verbs = ["get", "list"] },
            new V1PolicyRule { ApiGroups = [""], Resources = ["pods"], Verbs = ["get", "list"] },
        ],
    };

    public static V1ClusterRoleBinding ClusterRoleBinding(SnapshotAgentOptions o) => new()
    {
        ApiVersion = "rbac.authorization.k8s.io/v1",
        Kind = "ClusterRoleBinding",
        Metadata = new V1ObjectMeta { Name = ClusterRoleName(o), Labels = RbacLabels() },
        RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = ClusterRoleName(o) },
        Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = o.ServiceAccountName, NamespaceProperty = o.Namespace }],
    };

    /// <summary>The empty ConfigMap the agent fills (created before the Job; the agent keeps these labels when it writes).</summary>
    public static V1ConfigMap HandBack(SnapshotAgentOptions o) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = new V1ObjectMeta { Name = o.HandBackName, NamespaceProperty = o.Namespace, Labels = RunLabels(o) },
        Data = new Dictionary<string, string>(),
    };

    /// <summary>The container's args: the entrypoint's parameters.</summary>
    public static IList<string> Args(SnapshotAgentOptions o) =>
        ["-Output", $"cm://{o.Namespace}/{o.HandBackName}", "-HostRoot", HostMountPath, "-Format", "json"];

    public static V1Job Job(SnapshotAgentOptions o)
    {
        var labels = RunLabels(o);
        var resources = new V1ResourceRequirements
        {
            Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(o.CpuRequest), ["memory"] = new(o.MemoryRequest) },
        };
        if (o.CpuLimit is not null || o.MemoryLimit is not null)
        {
            resources.Limits = new Dictionary<string, ResourceQuantity>();
            if (o.CpuLimit is not null)
            {
                resources.Limits["cpu"] = new ResourceQuantity(o.CpuLimit);
            }

            if (o.MemoryLimit is not null)
            {
                resources.Limits["memory"] = new ResourceQuantity(o.MemoryLimit);
            }
        }

        var container = new V1Container
        {
            Name = ContainerName,
            Image = o.Image,
            ImagePullPolicy = o.ImagePullPolicy,
            Command = Command.ToList(),
            Args = Args(o),
            Env =
            [
                new V1EnvVar { Name = "NODE_NAME", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "spec.nodeName" } } },
                new V1EnvVar { Name = "HOME", Value = "/tmp" },
                new V1EnvVar { Name = "POWERSHELL_TELEMETRY_OPTOUT", Value = "1" },
                new V1EnvVar { Name = "POWERSHELL_UPDATECHECK", Value = "Off" },
            ],
            Resources = resources,
            VolumeMounts =
            [
                new V1VolumeMount { Name = HostVolume, MountPath = HostMountPath, ReadOnlyProperty = true },
                new V1VolumeMount { Name = TmpVolume, MountPath = "/tmp" },
            ],
            SecurityContext = o.Privileged
                ? new V1SecurityContext { Privileged = true, RunAsUser = 0 }
                : new V1SecurityContext
                {
                    Privileged = false,
                    AllowPrivilegeEscalation = false,
                    ReadOnlyRootFilesystem = true,
                    RunAsNonRoot = true,
                    RunAsUser = 65532,
                    RunAsGroup = 65532,
                    Capabilities = new V1Capabilities { Drop = ["ALL"] },
                },
        };

        var spec = new V1PodSpec
        {
            ServiceAccountName = o.ServiceAccountName,
            RestartPolicy = "Never",
            Containers = [container],
            NodeSelector = o.NodeSelector is { Count: > 0 } ns ? new Dictionary<string, string>(ns) : null,
            Tolerations = o.Tolerations.Count > 0 ? o.Tolerations.Select(t => t.ToV1()).ToList() : null,
            ImagePullSecrets = o.ImagePullSecrets.Count > 0 ? o.ImagePullSecrets.Select(s => new V1LocalObjectReference { Name = s }).ToList() : null,
            Volumes =
            [
                new V1Volume { Name = HostVolume, HostPath = new V1HostPathVolumeSource { Path = "/", Type = "Directory" } },
                new V1Volume { Name = TmpVolume, EmptyDir = new V1EmptyDirVolumeSource { SizeLimit = new ResourceQuantity("256Mi") } },
            ],
        };
        if (o.Privileged)
        {
            spec.HostPID = true;
            spec.HostNetwork = true;
            spec.HostIPC = true;
            spec.DnsPolicy = "ClusterFirstWithHostNet";
        }
        else
        {
            spec.SecurityContext = new V1PodSecurityContext
            {
                RunAsNonRoot = true,
                SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
            };
        }

        // The Job never outlives the wait by much, even when the caller dies before cleaning up.
        long deadline = (long)Math.Ceiling(o.Timeout.TotalSeconds) + 300;
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = new V1ObjectMeta { Name = o.EffectiveJobName, NamespaceProperty = o.Namespace, Labels = RunLabels(o) },
            Spec = new V1JobSpec
            {
                BackoffLimit = 0,
                TtlSecondsAfterFinished = 3600,
                ActiveDeadlineSeconds = deadline,
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = spec,
                },
            },
        };
    }

    /// <summary>
    /// The permissions the caller needs (checked with SelfSubjectAccessReview before anything is created): managing the RBAC,
    /// the Job, the hand-back ConfigMap and reading the agent pod's log; and, since RBAC lets nobody grant rights they lack,
    /// every right the agent's roles grant.
    /// </summary>
    public static IReadOnlyList<SnapshotPermission> RequiredPermissions(SnapshotAgentOptions o)
    {
        string ns = o.Namespace;
        var list = new List<SnapshotPermission>();
        void Add(string? nsp, string group, string resource, string sub, params string[] verbs)
        {
            foreach (var v in verbs)
            {
                var p = new SnapshotPermission(v, group, resource, sub, nsp);
                if (!list.Contains(p))
                {
                    list.Add(p);
                }
            }
        }

        string[] manage = o.CleanupRbac ? ["get", "create", "update", "delete"] : ["get", "create", "update"];
        Add(ns, "", "serviceaccounts", "", manage);
        Add(ns, "rbac.authorization.k8s.io", "roles", "", manage);
        Add(ns, "rbac.authorization.k8s.io", "rolebindings", "", manage);
        Add(null, "rbac.authorization.k8s.io", "clusterroles", "", manage);
        Add(null, "rbac.authorization.k8s.io", "clusterrolebindings", "", manage);
        Add(ns, "batch", "jobs", "", "get", "list", "watch", "create", "delete");
        Add(ns, "", "pods", "", "get", "list", "watch");
        Add(ns, "", "pods", "log", "get");
        Add(ns, "", "configmaps", "", "get", "create", "update", "patch", "delete");
        Add(null, "", "nodes", "", "get", "list");
        Add(null, "", "pods", "", "get", "list");
        if (o.OutputConfigMapNamespace is { } outNs)
        {
            Add(outNs, "", "configmaps", "", "get", "create", "update");
        }

        return list;
    }
}

/// <summary>One permission: verb on group/resource[/subresource], in a namespace or cluster-wide (null).</summary>
public sealed record SnapshotPermission(string Verb, string Group, string Resource, string Subresource, string? Namespace)
{
    public override string ToString() =>
        $"{Verb} {(Group.Length == 0 ? "" : Group + "/")}{Resource}{(Subresource.Length == 0 ? "" : "/" + Subresource)}" +
        (Namespace is null ? " (cluster-wide)" : $" in namespace {Namespace}");
}
