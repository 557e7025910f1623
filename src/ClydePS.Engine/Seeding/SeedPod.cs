using System.Globalization;
using ClydePS.Engine.Probe;
using k8s.Models;

namespace ClydePS.Engine.Seeding;

/// <summary>Everything a seed pod needs besides its node.</summary>
public sealed record SeedPodOptions
{
    /// <summary>
    /// The pinned default helper image: busybox, whose single statically linked binary runs in any Linux image.
    /// Air-gapped users mirror it and pass <c>-HelperImage</c>.
    /// </summary>
    public const string DefaultHelperImage = "docker.io/library/busybox:1.36.1";

    public required string Namespace { get; init; }
    public required string RunId { get; init; }

    /// <summary>The image to seed, as the workload names it (so kubelet resolves it the same way).</summary>
    public required string Image { get; init; }

    /// <summary>The digest the reference resolves to (recorded on the pod; pull completion compares against it).</summary>
    public required string Digest { get; init; }

    public string HelperImage { get; init; } = DefaultHelperImage;

    /// <summary><c>namespace/name</c> of the DaemonSet the seed is for, when known: the pod is held until that workload runs on the node.</summary>
    public string? Workload { get; init; }

    public IReadOnlyList<string> ImagePullSecrets { get; init; } = [];

    /// <summary>The workload's tolerations, so a seed pod survives the taints its workload survives.</summary>
    public IReadOnlyList<V1Toleration> Tolerations { get; init; } = [];

    /// <summary>Pull deadline: the pod's <c>activeDeadlineSeconds</c>; null for none.</summary>
    public TimeSpan? Deadline { get; init; }

    public string? ImagePullPolicy { get; init; }
}

/// <summary>
/// The seed pod role (ARCHITECTURE.md "Definitions"). A seed pod makes kubelet pull the image on one node and proves
/// it: pinned with <c>nodeName</c>, <c>restartPolicy: Never</c>, labelled <c>app.kubernetes.io/managed-by=ClydePS</c>,
/// <c>clydeps.io/run</c> and <c>clydeps.io/role=seed</c>, annotated with the node, image, digest and workload.
/// <para>
/// It works for images without a shell: an init container from the helper image copies busybox's static binary into
/// an emptyDir (<c>cp /bin/busybox /clydeps/busybox</c>), and the container <c>seed</c> runs the target image with
/// <c>/clydeps/busybox true</c>, so nothing of the image itself is executed. The pull is proven by the container
/// status's <c>imageID</c> (the digest kubelet resolved), which exists once the container was created. The pod then
/// completes, and stays (kubelet keeps images of existing pods' containers) until the workload runs on the node.
/// </para>
/// </summary>
public static class SeedPod
{
    public const string Role = "seed";
    public const string ContainerName = "seed";
    public const string HelperContainerName = "clydeps-helper";
    public const string HelperVolume = "clydeps-helper";
    public const string HelperMountPath = "/clydeps";
    public const string HelperBinary = "/clydeps/busybox";
    public const string ImageAnnotation = "clydeps.io/image";
    public const string DigestAnnotation = "clydeps.io/digest";
    public const string WorkloadAnnotation = "clydeps.io/workload";

    /// <summary>The init container's command: copy busybox's static binary into the shared volume.</summary>
    public static readonly IReadOnlyList<string> HelperCommand = ["/bin/cp", "/bin/busybox", HelperBinary];

    /// <summary>The seed container's command: the helper binary's <c>true</c>, which needs nothing from the image.</summary>
    public static readonly IReadOnlyList<string> SeedCommand = [HelperBinary, "true"];

    /// <summary>The pod name for the index-th seed of a run: <c>clydeps-seed-&lt;run&gt;-&lt;index&gt;</c>.</summary>
    public static string PodName(string runId, int index) => $"clydeps-seed-{runId}-{index.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The label selector of a run's seed pods (every run's when <paramref name="runId"/> is null).</summary>
    public static string Selector(string? runId) => runId is null
        ? $"{ProbePod.RoleLabel}={Role}"
        : $"{ProbePod.RunLabel}={runId},{ProbePod.RoleLabel}={Role}";

    public static V1Pod Build(SeedPodOptions options, string nodeName, int index)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(nodeName);
        var mount = new V1VolumeMount { Name = HelperVolume, MountPath = HelperMountPath };
        var annotations = new Dictionary<string, string>
        {
            [ProbePod.NodeAnnotation] = nodeName,
            [ImageAnnotation] = options.Image,
            [DigestAnnotation] = options.Digest,
        };
        if (options.Workload is { } workload)
        {
            annotations[WorkloadAnnotation] = workload;
        }
        var pod = new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                Name = PodName(options.RunId, index),
                NamespaceProperty = options.Namespace,
                Labels = new Dictionary<string, string>
                {
                    [ProbePod.ManagedByLabel] = "ClydePS",
                    [ProbePod.RunLabel] = options.RunId,
                    [ProbePod.RoleLabel] = Role,
                },
                Annotations = annotations,
            },
            Spec = new V1PodSpec
            {
                NodeName = nodeName,
                RestartPolicy = "Never",
                TerminationGracePeriodSeconds = 0,
                AutomountServiceAccountToken = false,
                EnableServiceLinks = false,
                ActiveDeadlineSeconds = options.Deadline is { } d ? Math.Max(1, (long)Math.Ceiling(d.TotalSeconds)) : null,
                Volumes = [new V1Volume { Name = HelperVolume, EmptyDir = new V1EmptyDirVolumeSource { SizeLimit = new ResourceQuantity("16Mi") } }],
                InitContainers =
                [
                    new V1Container
                    {
                        Name = HelperContainerName,
                        Image = options.HelperImage,
                        Command = HelperCommand.ToList(),
                        VolumeMounts = [mount],
                        Resources = SmallResources(),
                    },
                ],
                Containers =
                [
                    new V1Container
                    {
                        Name = ContainerName,
                        Image = options.Image,
                        Command = SeedCommand.ToList(),
                        ImagePullPolicy = options.ImagePullPolicy,
                        VolumeMounts = [new V1VolumeMount { Name = HelperVolume, MountPath = HelperMountPath, ReadOnlyProperty = true }],
                        Resources = SmallResources(),
                    },
                ],
            },
        };
        if (options.Tolerations.Count > 0)
        {
            pod.Spec.Tolerations = options.Tolerations.ToList();
        }
        if (options.ImagePullSecrets.Count > 0)
        {
            pod.Spec.ImagePullSecrets = options.ImagePullSecrets.Select(s => new V1LocalObjectReference { Name = s }).ToList();
        }
        return pod;
    }

    static V1ResourceRequirements SmallResources() => new()
    {
        Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("5m"), ["memory"] = new("8Mi") },
        Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("32Mi") },
    };

    /// <summary>Whether a pod follows the seed contract: the role label, the helper init container and the seed command.</summary>
    public static bool IsSeedPod(V1Pod pod) =>
        pod.Metadata?.Labels?.TryGetValue(ProbePod.RoleLabel, out var role) == true && role == Role
        && pod.Spec?.Containers?.FirstOrDefault(c => c.Name == ContainerName) is { } c
        && c.Command is { } cmd && cmd.SequenceEqual(SeedCommand);
}
