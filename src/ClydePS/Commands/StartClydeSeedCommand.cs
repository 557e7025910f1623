using System.Management.Automation;
using ClydePS.Completion;
using ClydePS.Engine.Probe;
using ClydePS.Engine.Registry;
using ClydePS.Engine.Rollout;
using ClydePS.Engine.Seeding;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>
/// Seeds an image on part of the cluster before its DaemonSet rolls out (clydectl's network-aware seeding): seed
/// pods pull the image on a first wave of nodes, more waves follow by the chosen policy, and the result says which
/// nodes hold the digest, with every decision and the metrics behind it.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "ClydeSeed", DefaultParameterSetName = ImageSet, SupportsShouldProcess = true)]
[OutputType(typeof(ClydeSeedResult))]
public sealed class StartClydeSeedCommand : ClydeSeedingCmdletBase
{
    private const string ImageSet = "Image";
    private const string PathSet = "Path";

    private readonly List<string> nodes = [];
    private readonly List<object> images = [];

    /// <summary>An image reference, or a ClydeImage from Get-ClydeImage.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ImageSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public object Image { get; set; } = null!;

    /// <summary>A DaemonSet manifest (YAML or JSON): image, namespace, node selector, affinity, tolerations and pull secrets come from it.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = null!;

    /// <summary>Only these nodes (names or ClydeNode objects) may be seeded.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeCompleter))]
    public string[]? Node { get; set; }

    /// <summary>The workload's namespace: seed pods run there, so its pull secrets apply. Default: the context's namespace.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    /// <summary>The workload's node selector: a hashtable or key=value strings.</summary>
    [Parameter]
    public object[]? NodeSelector { get; set; }

    /// <summary>The workload's tolerations: key=value:Effect, key:Effect or key strings, or toleration objects.</summary>
    [Parameter]
    public object[]? Toleration { get; set; }

    /// <summary>The DaemonSet being seeded for (recorded on the seed pods, so they stay until it runs on their nodes).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DaemonSetName { get; set; }

    /// <summary>
    /// Pipelined (default: no wave barriers, a node starts as soon as a holder can feed it), Adaptive (clydectl's
    /// bandwidth-monitored doubling) or Doubling. A string: parameter types never name engine types, which load in their own context.
    /// </summary>
    [Parameter]
    [ValidateSet(nameof(SeedStrategy.Pipelined), nameof(SeedStrategy.Adaptive), nameof(SeedStrategy.Doubling))]
    public string Strategy { get; set; } = nameof(SeedStrategy.Pipelined);

    /// <summary>
    /// The registry's bandwidth as the nodes see it, in MB/s (e.g. Measure-ClydeRegistryProbe's median); with
    /// -NodeBandwidthMBps, Pipelined sizes its registry lane from them and plans its followers' starts in the transfer model.
    /// </summary>
    [Parameter]
    public double RegistryBandwidthMBps { get; set; }

    /// <summary>
    /// A ClydeProbeResult from Measure-ClydeRegistryProbe: the registry's bandwidth it measured (the concurrent in-cluster
    /// probers' sum) stands for -RegistryBandwidthMBps. Goes with -NodeBandwidthMBps.
    /// </summary>
    [Parameter]
    [ValidateNotNull]
    public object? ProbeResult { get; set; }

    /// <summary>A node's download bandwidth in MB/s (from peers; disk and unpack included). Goes with -RegistryBandwidthMBps or -ProbeResult.</summary>
    [Parameter]
    public double NodeBandwidthMBps { get; set; }

    /// <summary>Classic doubling only (same as -Strategy Doubling).</summary>
    [Parameter]
    public SwitchParameter DisableBandwidthAware { get; set; }

    /// <summary>Seeding stops once this share of the eligible nodes holds the image (0 &lt; ratio &lt;= 1); default 0.5, and 1 for Pipelined.</summary>
    [Parameter]
    public double StopRatio { get; set; } = 0.5;

    /// <summary>The first wave's size; default max(2, 10 % of the eligible nodes), capped at the stop target.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int InitialSeeds { get; set; }

    /// <summary>On a public cluster, pre-seed this many nodes before the DaemonSet deploys (Adaptive).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int PublicSeeds { get; set; }

    /// <summary>Time between probe samples while the first wave pulls.</summary>
    [Parameter]
    [Duration]
    public TimeSpan MonitorInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Length of one monitoring decision window.</summary>
    [Parameter]
    [Duration]
    public TimeSpan MonitorWindow { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The image whose largest layer the probes sample; default: -Image.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? MonitorImage { get; set; }

    [Parameter]
    [ValidateRange(0, double.MaxValue)]
    public double MonitorBandwidthThreshold { get; set; } = 50;

    [Parameter]
    [ValidateRange(0, double.MaxValue)]
    public double MonitorJitterThreshold { get; set; } = 20;

    [Parameter]
    [ValidateRange(0, 100)]
    public double MonitorDropThreshold { get; set; } = 1;

    /// <summary>Seeding fails when more seed pulls than this fail.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MaxFailedSeeds { get; set; } = 3;

    /// <summary>Limit of one node's seed pull; default derived from the image size and the measured bandwidth.</summary>
    [Parameter]
    [Duration]
    public TimeSpan Timeout { get; set; }

    /// <summary>The image that supplies the static binary seed pods run (so images without a shell can be seeded).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string HelperImage { get; set; } = SeedPodOptions.DefaultHelperImage;

    /// <summary>The probe pods' image: curl on a POSIX shell.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ProbeImage { get; set; } = ProbePodOptions.DefaultImage;

    protected override string? PullSecretNamespace => Namespace;

    protected override void ProcessRecord() => Guard(() =>
    {
        if (Node != null)
        {
            nodes.AddRange(Node);
        }

        if (ParameterSetName == ImageSet && !images.Contains(Image))
        {
            images.Add(Image);
        }
    });

    protected override void EndProcessing() => Guard(() =>
    {
        Validate();
        // Every input is parsed before the cluster is contacted, so bad input creates nothing.
        IReadOnlyDictionary<string, string>? selector = NodeSelectorParser.Parse(NodeSelector);
        IReadOnlyList<TolerationSpec>? tolerations = TolerationParser.Parse(Toleration);
        if (ParameterSetName == PathSet)
        {
            string path = ResolvePath(Path);
            if (!File.Exists(path))
            {
                throw new ClydeException(ClydeErrorKind.InvalidArgument, RolloutErrorIds.ManifestNotFound, $"Manifest file '{path}' does not exist.", Path);
            }

            var overrides = new DaemonSetOverrides { Namespace = Namespace, NodeSelector = selector, Tolerations = tolerations };
            DaemonSetService.Prepare(path, overrides, "default");
            PreparedDaemonSet workload = DaemonSetService.Prepare(path, overrides, Namespace ?? Gateway.Namespace);
            WorkloadPlacementInfo placement = workload.Placement;
            Seed(workload.Image, workload.Namespace, placement.ToPlacement(daemonSet: true),
                ImagePullSecret is null ? placement.ImagePullSecrets : [.. placement.ImagePullSecrets, ImagePullSecret], DaemonSetName ?? workload.Name);
            return;
        }

        var given = new WorkloadPlacementInfo
        {
            Namespace = "",
            Image = "",
            NodeSelector = selector ?? new Dictionary<string, string>(),
            Tolerations = tolerations ?? [],
        };
        foreach (object image in images)
        {
            Seed(image, Namespace ?? Gateway.Namespace, given.ToPlacement(daemonSet: DaemonSetName is not null),
                ImagePullSecret is null ? [] : [ImagePullSecret], DaemonSetName);
        }
    });

    private (double Registry, double Node)? _bandwidths;

    private void Validate()
    {
        ValidateStopRatio(StopRatio, nameof(StopRatio));

        _bandwidths = SeedBandwidths(nameof(RegistryBandwidthMBps), GivenOrNull(nameof(RegistryBandwidthMBps), RegistryBandwidthMBps),
            nameof(NodeBandwidthMBps), GivenOrNull(nameof(NodeBandwidthMBps), NodeBandwidthMBps), nameof(ProbeResult), ProbeResult, WriteVerbose);

        if (MonitorInterval <= TimeSpan.Zero || MonitorWindow < MonitorInterval)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeInvalidMonitorTiming",
                $"-MonitorInterval ({MonitorInterval}) must be positive and no longer than -MonitorWindow ({MonitorWindow}).", MonitorInterval);
        }

        if (MyInvocation.BoundParameters.ContainsKey(nameof(Timeout)))
        {
            RequirePositiveTimeout(Timeout);
        }

        if (!DisableBandwidthAware && Strategy.Equals(nameof(SeedStrategy.Pipelined), StringComparison.OrdinalIgnoreCase))
        {
            string[] unused = new[]
            {
                nameof(InitialSeeds), nameof(PublicSeeds), nameof(MonitorInterval), nameof(MonitorWindow), nameof(MonitorImage),
                nameof(MonitorBandwidthThreshold), nameof(MonitorJitterThreshold), nameof(MonitorDropThreshold),
            }.Where(MyInvocation.BoundParameters.ContainsKey).ToArray();
            if (unused.Length > 0)
            {
                WriteWarning($"-{string.Join(", -", unused)} apply to the wave strategies only; Pipelined starts each node when a holder can feed it. Add -Strategy Adaptive or Doubling to use them.");
            }
        }

        ImageReference.Parse(HelperImage);
        ImageReference.Parse(ProbeImage);
        if (MonitorImage is not null)
        {
            ImageReference.Parse(MonitorImage);
        }
    }

    private SeedPolicyOptions PolicyOptions => SeedPolicy(DisableBandwidthAware ? nameof(SeedStrategy.Doubling) : Strategy,
        GivenOrNull(nameof(StopRatio), StopRatio)) with
    {
        InitialSeeds = MyInvocation.BoundParameters.ContainsKey(nameof(InitialSeeds)) ? InitialSeeds : null,
        PublicSeeds = PublicSeeds,
        MonitorInterval = MonitorInterval,
        MonitorWindow = MonitorWindow,
        Thresholds = new HealthThresholds(MonitorBandwidthThreshold, MonitorJitterThreshold, MonitorDropThreshold),
        MaxFailedSeeds = MaxFailedSeeds,
    };

    private void Seed(object image, string ns, WorkloadPlacement placement, IReadOnlyList<string> pullSecrets, string? daemonSet)
    {
        ClydeSeedResult? result = RunSeed(new SeedInvocation
        {
            Image = image,
            Namespace = ns,
            Placement = placement,
            ImagePullSecrets = pullSecrets,
            DaemonSetName = daemonSet,
            Nodes = nodes.Count == 0 ? null : nodes.Distinct(StringComparer.Ordinal).ToArray(),
            Policy = PolicyOptions,
            HelperImage = HelperImage,
            ProbeImage = ProbeImage,
            MonitorImage = MonitorImage,
            PullTimeout = MyInvocation.BoundParameters.ContainsKey(nameof(Timeout)) ? Timeout : null,
            RegistryBandwidthMBps = _bandwidths?.Registry,
            NodeBandwidthMBps = _bandwidths?.Node,
        });
        if (result is not null)
        {
            WriteObject(result);
        }
    }
}
