using System.Globalization;
using ClydePS.Engine.Registry;
using k8s.Models;

namespace ClydePS.Engine.Probe;

/// <summary>Everything a probe pod needs besides its node.</summary>
public sealed record ProbePodOptions
{
    /// <summary>The pinned default probe image (curl on a busybox shell).</summary>
    public const string DefaultImage = "curlimages/curl:8.11.1";

    /// <summary>Time allowed beyond Duration for the probe image's pull and start (activeDeadlineSeconds margin).</summary>
    public static readonly TimeSpan StartAllowance = TimeSpan.FromMinutes(5);

    public required string Namespace { get; init; }
    public required string RunId { get; init; }
    public required string BlobUrl { get; init; }
    public string Image { get; init; } = DefaultImage;
    public string? ImagePullSecret { get; init; }
    public long SampleBytes { get; init; } = 8 * 1024 * 1024;
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    public int Samples => ProbeCommand.SampleCount(Duration, Interval);
}

/// <summary>
/// The probe pod role (ARCHITECTURE.md "Definitions"): one long-lived pod per probed node, pinned with
/// <c>nodeName</c> (no scheduler involved, so NoSchedule taints do not matter), <c>restartPolicy: Never</c>,
/// <c>activeDeadlineSeconds</c> = Duration + <see cref="ProbePodOptions.StartAllowance"/>, labelled
/// <c>app.kubernetes.io/managed-by=ClydePS</c>, <c>clydeps.io/run=&lt;run&gt;</c>, <c>clydeps.io/role=probe</c>. It
/// tolerates exactly the node's own NoExecute taints (which would otherwise evict it) and nothing else. Credentials
/// come only from the named pull secret, mounted read-only at <see cref="ProbeCommand.SecretMountPath"/> (and also
/// used to pull the probe image); the service account token is not mounted.
/// </summary>
public static class ProbePod
{
    public const string ContainerName = "probe";
    public const string Role = "probe";
    public const string RoleLabel = "clydeps.io/role";
    public const string RunLabel = "clydeps.io/run";
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string NodeAnnotation = "clydeps.io/node";

    /// <summary>A short random run id (lowercase hex), valid in names and label values.</summary>
    public static string NewRunId() => Guid.NewGuid().ToString("N")[..10];

    /// <summary>The pod name for the index-th probed node: <c>clydeps-probe-&lt;run&gt;-&lt;index&gt;</c>.</summary>
    public static string PodName(string runId, int index) => $"clydeps-probe-{runId}-{index.ToString(CultureInfo.InvariantCulture)}";

    public static string Selector(string runId) => $"{RunLabel}={runId},{RoleLabel}={Role}";

    /// <param name="nodeTaints">The node's taints as <c>key=value:Effect</c> / <c>key:Effect</c> strings (ClydeNode.Taints).</param>
    public static V1Pod Build(ProbePodOptions options, string nodeName, int index, IEnumerable<string>? nodeTaints = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var command = ProbeCommand.Build(new ProbeCommandSpec(options.BlobUrl, options.Interval, options.SampleBytes, options.Samples,
            options.ImagePullSecret is null ? null : ProbeCommand.SecretAuthFile));
        var deadline = (long)Math.Ceiling((options.Interval * options.Samples + ProbePodOptions.StartAllowance).TotalSeconds);
        var container = new V1Container
        {
            Name = ContainerName,
            Image = options.Image,
            Command = command.ToList(),
            Resources = new V1ResourceRequirements
            {
                Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("10m"), ["memory"] = new("16Mi") },
                Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("64Mi") },
            },
        };
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
                    [ManagedByLabel] = "ClydePS",
                    [RunLabel] = options.RunId,
                    [RoleLabel] = Role,
                },
                Annotations = new Dictionary<string, string> { [NodeAnnotation] = nodeName },
            },
            Spec = new V1PodSpec
            {
                NodeName = nodeName,
                RestartPolicy = "Never",
                ActiveDeadlineSeconds = deadline,
                TerminationGracePeriodSeconds = 1,
                AutomountServiceAccountToken = false,
                EnableServiceLinks = false,
                Containers = [container],
            },
        };
        var tolerations = NoExecuteTolerations(nodeTaints).ToList();
        if (tolerations.Count > 0)
        {
            pod.Spec.Tolerations = tolerations;
        }
        if (options.ImagePullSecret is { } secret)
        {
            pod.Spec.Volumes = [new V1Volume { Name = "pull-secret", Secret = new V1SecretVolumeSource { SecretName = secret } }];
            container.VolumeMounts = [new V1VolumeMount { Name = "pull-secret", MountPath = ProbeCommand.SecretMountPath, ReadOnlyProperty = true }];
            pod.Spec.ImagePullSecrets = [new V1LocalObjectReference { Name = secret }];
        }
        return pod;
    }

    static IEnumerable<V1Toleration> NoExecuteTolerations(IEnumerable<string>? taints)
    {
        foreach (var taint in taints ?? [])
        {
            var colon = taint.LastIndexOf(':');
            if (colon <= 0 || taint[(colon + 1)..] != "NoExecute")
            {
                continue;
            }
            var kv = taint[..colon];
            var eq = kv.IndexOf('=');
            yield return eq < 0
                ? new V1Toleration { Key = kv, OperatorProperty = "Exists", Effect = "NoExecute" }
                : new V1Toleration { Key = kv[..eq], OperatorProperty = "Equal", Value = kv[(eq + 1)..], Effect = "NoExecute" };
        }
    }

    /// <summary>
    /// The blob URL a probe pod fetches: through <paramref name="mirror"/> (containerd style,
    /// <c>&lt;mirror&gt;/v2/&lt;repo&gt;/blobs/&lt;digest&gt;?ns=&lt;registry&gt;</c>) when one is in use, else the registry's own
    /// API host over https (http when <paramref name="insecureHttp"/>).
    /// </summary>
    public static string BlobUrl(ImageReference image, string digest, Uri? mirror, bool insecureHttp = false)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (mirror is not null)
        {
            var basePath = mirror.AbsolutePath.TrimEnd('/');
            if (!basePath.EndsWith("/v2", StringComparison.Ordinal))
            {
                basePath += "/v2";
            }
            return new UriBuilder(mirror) { Path = $"{basePath}/{image.Repository}/blobs/{digest}", Query = "ns=" + Uri.EscapeDataString(image.Registry) }.Uri.AbsoluteUri;
        }
        return $"{(insecureHttp ? "http" : "https")}://{image.ApiHost}/v2/{image.Repository}/blobs/{digest}";
    }
}
