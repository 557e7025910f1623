using System.Globalization;
using ClydePS.Engine.Kube;
using ClydePS.Engine.Network;
using ClydePS.Engine.Probe;
using k8s;
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

    /// <summary>The pod's <c>clydeps.io/role</c>: <see cref="SeedPod.Role"/> (Start-ClydeSeed) or <see cref="SeedPod.PrePullRole"/> (Start-ClydePrePull).</summary>
    public string Role { get; init; } = SeedPod.Role;

    /// <summary>The pod's name; null for <see cref="SeedPod.PodName"/> of the run and index.</summary>
    public string? PodName { get; init; }

    /// <summary>More annotations (the pre-pull holder marker).</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();
}

/// <summary>What a seed pod's status says about its pull: still going, done (the digest kubelet resolved), or failed and why.</summary>
/// <param name="Reason">A short reason: ErrImagePull, ImagePullBackOff, TagMoved, ContainerFailed, PodFailed, NodeLost, HelperImage, ...</param>
public sealed record SeedPodObservation(bool Done, bool Failed, string? ImageId, string? Reason, string? Message, bool NodeLost)
{
    public static readonly SeedPodObservation Pending = new(false, false, null, null, null, false);
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

    /// <summary>The role of Start-ClydePrePull's pods (same contract, pinned to a seeder).</summary>
    public const string PrePullRole = "prepull";
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
        foreach (var (key, value) in options.Annotations)
        {
            annotations[key] = value;
        }
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
                Name = options.PodName ?? PodName(options.RunId, index),
                NamespaceProperty = options.Namespace,
                Labels = new Dictionary<string, string>
                {
                    [ProbePod.ManagedByLabel] = "ClydePS",
                    [ProbePod.RunLabel] = options.RunId,
                    [ProbePod.RoleLabel] = options.Role,
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

    /// <summary>Waiting reasons after which a seed pod will not start (kubelet only retries them slowly).</summary>
    public static readonly IReadOnlySet<string> FatalWaiting = new HashSet<string>(StringComparer.Ordinal)
    {
        "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
    };

    /// <summary>
    /// Reads a seed (or pre-pull) pod's status: done once the <c>seed</c> container reports an imageID carrying one of
    /// <paramref name="digests"/> (the node resolved the digest: never "Running"); failed on a fatal waiting reason, a
    /// non-zero exit, a Failed phase, or an imageID with another digest (the tag moved since it was resolved).
    /// </summary>
    public static SeedPodObservation Observe(V1Pod pod, IReadOnlyCollection<string> digests, string expectedDigest, string helperImage)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(digests);
        var seed = pod.Status?.ContainerStatuses?.FirstOrDefault(c => c.Name == ContainerName);
        if (seed?.ImageID is { Length: > 0 } imageId)
        {
            return NodeImages.Matches(imageId, digests)
                ? new SeedPodObservation(true, false, imageId, null, null, false)
                : new SeedPodObservation(false, true, imageId, "TagMoved",
                    $"kubelet pulled {imageId}, not {expectedDigest}: the tag moved since it was resolved; run again to pull the new digest", false);
        }
        foreach (var status in (pod.Status?.InitContainerStatuses ?? []).Concat(pod.Status?.ContainerStatuses ?? []))
        {
            if (status.State?.Waiting is { Reason: { } reason } waiting && FatalWaiting.Contains(reason))
            {
                return status.Name == HelperContainerName
                    ? new SeedPodObservation(false, true, null, "HelperImage",
                        $"the helper image {helperImage} cannot run ({reason}: {waiting.Message}); mirror it and pass -HelperImage", false)
                    : new SeedPodObservation(false, true, null, reason, $"{reason}: {waiting.Message}", false);
            }
            if (status.State?.Terminated is { ExitCode: not 0 } term)
            {
                return new SeedPodObservation(false, true, null, "ContainerFailed",
                    $"container {status.Name} exited {term.ExitCode} ({term.Reason}: {term.Message})", false);
            }
        }
        if (pod.Status?.Phase is "Failed")
        {
            var lost = pod.Status.Reason is "NodeLost" or "Evicted" or "Terminated";
            return new SeedPodObservation(false, true, null, lost ? "NodeLost" : "PodFailed",
                $"the pod failed ({pod.Status.Reason}: {pod.Status.Message})", lost);
        }
        return SeedPodObservation.Pending;
    }

    /// <summary>The most recent non-fatal waiting reason of the pod's containers (ErrImagePull while kubelet retries), else null.</summary>
    public static string? LastWaitingReason(V1Pod pod) =>
        (pod.Status?.InitContainerStatuses ?? []).Concat(pod.Status?.ContainerStatuses ?? [])
            .Select(s => s.State?.Waiting).FirstOrDefault(w => w?.Reason is "ErrImagePull" or "ImagePullBackOff") is { } w ? $"{w.Reason}: {w.Message}" : null;

    /// <summary>Why a node event loses the pulls on that node ("the node was deleted", "the node became NotReady"), else null.</summary>
    public static string? NodeLostReason(WatchEventType type, V1Node node) =>
        type == WatchEventType.Deleted ? "the node was deleted" : node is not null && !NodeMapper.IsReady(node) ? "the node became NotReady" : null;

    /// <summary>Creates the pod in its namespace (one request).</summary>
    public static Task CreateAsync(ClusterGateway gateway, V1Pod pod, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(pod);
        var ns = pod.Metadata.NamespaceProperty;
        var role = pod.Metadata.Labels?.TryGetValue(ProbePod.RoleLabel, out var r) == true ? r : Role;
        return gateway.CallAsync($"create {role} pod", $"{ns}/{pod.Metadata.Name}",
            (c, t) => c.CoreV1.CreateNamespacedPodAsync(pod, ns, cancellationToken: t), ct);
    }

    /// <summary>Whether a pod follows the seed contract: the role label, the helper init container and the seed command.</summary>
    public static bool IsSeedPod(V1Pod pod) =>
        pod.Metadata?.Labels?.TryGetValue(ProbePod.RoleLabel, out var role) == true && role is Role or PrePullRole
        && pod.Spec?.Containers?.FirstOrDefault(c => c.Name == ContainerName) is { } c
        && c.Command is { } cmd && cmd.SequenceEqual(SeedCommand);
}
