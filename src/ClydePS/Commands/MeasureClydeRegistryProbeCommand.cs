using System.Management.Automation;
using ClydePS.Completion;
using ClydePS.Engine.Network;
using ClydePS.Engine.Probe;
using ClydePS.Engine.Registry;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>
/// Measures bandwidth, jitter and drop rate between probers and the registry serving an image's largest layer:
/// from probe pods on the cluster's nodes (the default), or from this machine (-Local).
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "ClydeRegistryProbe", DefaultParameterSetName = "Cluster", SupportsShouldProcess = true)]
[OutputType(typeof(ClydeProbeResult))]
[OutputType(typeof(ClydeProbeSample))]
public sealed class MeasureClydeRegistryProbeCommand : ClydeRegistryCmdletBase
{
    private const int ProgressId = 7301;
    private const int DefaultNodesPerClass = 2;

    private readonly List<string> nodes = [];
    private readonly List<object> images = [];

    /// <summary>An image reference, or a ClydeImage from Get-ClydeImage (then it is not resolved again).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public object Image { get; set; } = null!;

    [Parameter(Mandatory = true, ParameterSetName = "Local")]
    public SwitchParameter Local { get; set; }

    /// <summary>Nodes to probe from (names or ClydeNode objects); default: up to 2 eligible nodes of each network class.</summary>
    [Parameter(ParameterSetName = "Cluster", ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeCompleter))]
    public string[]? Node { get; set; }

    /// <summary>Where the probe pods run; default: the kubeconfig context's namespace.</summary>
    [Parameter(ParameterSetName = "Cluster")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    /// <summary>The probe pods' image: curl on a POSIX shell.</summary>
    [Parameter(ParameterSetName = "Cluster")]
    [ValidateNotNullOrEmpty]
    public string ProbeImage { get; set; } = ProbePodOptions.DefaultImage;

    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long SampleBytes { get; set; } = 8 * 1024 * 1024;

    [Parameter]
    [Duration]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    [Parameter]
    [Duration]
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(10);

    [Parameter]
    [ValidateRange(0, double.MaxValue)]
    public double BandwidthThreshold { get; set; } = 50;

    [Parameter]
    [ValidateRange(0, double.MaxValue)]
    public double JitterThreshold { get; set; } = 20;

    [Parameter]
    [ValidateRange(0, 100)]
    public double DropThreshold { get; set; } = 1;

    [Parameter]
    public SwitchParameter Raw { get; set; }

    private bool InCluster => ParameterSetName == "Cluster";

    protected override bool UsesCluster => InCluster;

    /// <summary>In-cluster, the secret the probe pods mount is the one the credentials come from: in -Namespace.</summary>
    protected override string? PullSecretNamespace => InCluster ? Namespace : null;

    protected override void ProcessRecord() => Guard(() =>
    {
        ValidateTiming();
        if (!InCluster)
        {
            ProbeLocal(Resolve(Image));
            return;
        }

        // Nodes and images may arrive one pipeline object at a time; the probe runs once, at the end.
        if (Node != null)
        {
            nodes.AddRange(Node);
        }

        if (!images.Contains(Image))
        {
            images.Add(Image);
        }
    });

    protected override void EndProcessing() => Guard(() =>
    {
        if (!InCluster)
        {
            return;
        }

        foreach (object image in images)
        {
            ProbeInCluster(Resolve(image));
        }
    });

    private void ValidateTiming()
    {
        if (Interval <= TimeSpan.Zero || Duration < Interval)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeInvalidProbeTiming",
                $"-Interval ({Interval}) must be positive and no longer than -Duration ({Duration}).", Interval);
        }
    }

    private (ClydeImage Image, ClydeImageLayer Blob, ImageReference Reference) Resolve(object image)
    {
        object value = image is PSObject pso ? pso.BaseObject : image;
        ClydeImage? resolved = value as ClydeImage;
        ImageReference reference = ImageReference.Parse(resolved?.Image ?? value.ToString());
        Platform platform = TargetPlatform;
        RegistryClient client = Registry;
        if (resolved == null)
        {
            resolved = Run(ct => ImageService.GetImageAsync(client, reference, platform, value.ToString(), ct));
        }

        ClydeImageLayer blob = resolved.LargestLayer ?? throw new ClydeException(ClydeErrorKind.Invalid, "ClydeImageHasNoLayers",
            $"Image {resolved.Image} has no layers to probe.", resolved.Image);
        return (resolved, blob, reference);
    }

    private ProbeOptions Options => new()
    {
        SampleBytes = SampleBytes,
        Interval = Interval,
        Duration = Duration,
        Thresholds = new HealthThresholds(BandwidthThreshold, JitterThreshold, DropThreshold),
    };

    private void ProbeLocal((ClydeImage Image, ClydeImageLayer Blob, ImageReference Reference) target)
    {
        var (resolved, blob, reference) = target;
        ProbeOptions options = Options;
        RegistryClient client = Registry;
        int expected = (int)Math.Ceiling(Duration / Interval);
        WriteVerbose($"Probing {blob.Digest} ({blob.SizeBytes} bytes) of {resolved.Image}: {expected} samples of up to {SampleBytes} bytes, one every {Interval.TotalSeconds:0.###} s.");

        DateTimeOffset started = DateTimeOffset.UtcNow;
        var prober = new LocalProber(client);
        int taken = 0;
        IReadOnlyList<ClydeProbeSample> samples = Run(ct => prober.RunAsync(reference, blob.Digest, options, sample =>
        {
            int n = Interlocked.Increment(ref taken);
            Post(() =>
            {
                WriteVerbose($"Sample {n}: HTTP {sample.StatusCode}, {sample.Bytes} bytes in {sample.Seconds:0.###} s, TTFB {sample.TimeToFirstByteMs:0.#} ms{(sample.Success ? "" : ", failed: " + sample.Error)}.");
                WriteProgress(new ProgressRecord(ProgressId, "Probing the registry", $"Sample {n} of {expected}")
                {
                    PercentComplete = Math.Min(100, n * 100 / Math.Max(1, expected)),
                });
            });
        }, ct));
        WriteProgress(new ProgressRecord(ProgressId, "Probing the registry", "Done") { RecordType = ProgressRecordType.Completed });
        Emit(LocalProber.Summarize(resolved, blob, ProbeMode.Local, options, started, samples), samples);
    }

    private void ProbeInCluster((ClydeImage Image, ClydeImageLayer Blob, ImageReference Reference) target)
    {
        var (resolved, blob, reference) = target;
        var gateway = Gateway;
        string ns = Namespace ?? gateway.Namespace;
        IReadOnlyList<ClydeNode> chosen = ChooseNodes();
        if (chosen.Count == 0)
        {
            throw new ClydeException(ClydeErrorKind.NotFound, "ClydeNoProbeNodes",
                "No Ready, schedulable worker node to probe from. Name nodes with -Node, or check them with Get-ClydeNodeNetwork.", null);
        }

        Uri? mirror = Mirror is { Length: > 0 } ? RegistryMirrors.Parse(Mirror[0]) : RegistryMirrors.FromLab(gateway.Lab);
        var podOptions = new ProbePodOptions
        {
            Namespace = ns,
            RunId = ProbePod.NewRunId(),
            BlobUrl = ProbePod.BlobUrl(reference, blob.Digest, mirror, AllowInsecureHttp),
            Image = ProbeImage,
            ImagePullSecret = ImagePullSecret,
            SampleBytes = SampleBytes,
            Interval = Interval,
            Duration = Duration,
        };
        ProbeRunPlan plan = InClusterProber.Plan(podOptions, chosen.Select(n => new ProbeTarget(n.Name, n.Taints)).ToArray());
        var approved = plan.Pods.Where(p => ShouldProcess(
            $"Pod {p.Namespace}/{p.Name} on node {p.Node} (image {ProbeImage}, {podOptions.Samples} samples of {blob.Digest})",
            "Create probe pod")).ToArray();
        if (approved.Length == 0)
        {
            return;
        }

        ProbeOptions options = Options;
        int expected = podOptions.Samples * approved.Length;
        WriteVerbose($"Probing {podOptions.BlobUrl} ({blob.SizeBytes} bytes) of {resolved.Image} from {approved.Length} node(s) in namespace {ns} (run {podOptions.RunId}): {podOptions.Samples} samples each of up to {SampleBytes} bytes, one every {Interval.TotalSeconds:0.###} s{(gateway.Lab is null ? "" : " of Lab time")}.");
        WriteProgress(new ProgressRecord(ProgressId, "Probing the registry from the cluster", "Starting the probe pods") { PercentComplete = 0 });

        DateTimeOffset started = gateway.LabTime.GetUtcNow();
        int taken = 0;
        var prober = new InClusterProber(gateway);
        InClusterProbeOutcome outcome = Run(ct => prober.RunAsync(plan, approved.Select(p => p.Name).ToHashSet(), sample =>
        {
            int n = Interlocked.Increment(ref taken);
            Post(() =>
            {
                WriteVerbose($"{sample.Prober}: HTTP {sample.StatusCode}, {sample.Bytes} bytes in {sample.Seconds:0.###} s, TTFB {sample.TimeToFirstByteMs:0.#} ms{(sample.Success ? "" : ", failed: " + sample.Error)}.");
                WriteProgress(new ProgressRecord(ProgressId, "Probing the registry from the cluster", $"Sample {n} of {expected}")
                {
                    PercentComplete = Math.Min(100, n * 100 / Math.Max(1, expected)),
                });
            });
        }, message => Post(() => WriteVerbose(message)), ct));
        WriteProgress(new ProgressRecord(ProgressId, "Probing the registry from the cluster", "Done") { RecordType = ProgressRecordType.Completed });

        foreach (var failure in outcome.Failures)
        {
            WriteWarning($"Probe from node {failure.Key}: {failure.Value}");
        }

        Emit(LocalProber.Summarize(resolved, blob, ProbeMode.InCluster, options, started, outcome.Samples, outcome.Failures,
            approved.Select(p => p.Node).ToArray(), ns), outcome.Samples);
    }

    /// <summary>The named nodes (each must exist), else up to 2 eligible nodes of each network class, by name.</summary>
    private IReadOnlyList<ClydeNode> ChooseNodes()
    {
        var gateway = Gateway;
        IReadOnlyList<ClydeNode> all = Run(ct => NodeNetworkService.GetNodesAsync(gateway, null, null, ct));
        if (nodes.Count == 0)
        {
            return all.Where(n => n.Eligible)
                .GroupBy(n => n.NetworkClass)
                .OrderBy(g => g.Key)
                .SelectMany(g => g.OrderBy(n => n.Name, StringComparer.Ordinal).Take(DefaultNodesPerClass))
                .ToArray();
        }

        var chosen = new List<ClydeNode>();
        foreach (string name in nodes.Distinct(StringComparer.Ordinal))
        {
            ClydeNode node = all.FirstOrDefault(n => n.Name == name) ?? throw new ClydeException(ClydeErrorKind.NotFound, "ClydeNodeNotFound",
                $"Node '{name}' was not found. List nodes with Get-ClydeNodeNetwork.", name);
            chosen.Add(node);
        }

        return chosen;
    }

    private void Emit(ClydeProbeResult result, IReadOnlyList<ClydeProbeSample> samples)
    {
        if (Raw)
        {
            foreach (ClydeProbeSample sample in samples)
            {
                WriteObject(sample);
            }

            return;
        }

        WriteVerbose(result.Reason);
        WriteObject(result);
    }
}
