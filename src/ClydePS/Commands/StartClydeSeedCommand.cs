using System.Collections;
using System.Management.Automation;
using ClydePS.Completion;
using ClydePS.Engine.Probe;
using ClydePS.Engine.Registry;
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
public sealed class StartClydeSeedCommand : ClydeRegistryCmdletBase
{
    private const string ImageSet = "Image";
    private const string PathSet = "Path";
    private const int ProgressId = 7401;

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

    /// <summary>Adaptive or Doubling (a string: parameter types never name engine types, which load in their own context).</summary>
    [Parameter]
    [ValidateSet(nameof(SeedStrategy.Adaptive), nameof(SeedStrategy.Doubling))]
    public string Strategy { get; set; } = nameof(SeedStrategy.Adaptive);

    /// <summary>Classic doubling only (same as -Strategy Doubling).</summary>
    [Parameter]
    public SwitchParameter DisableBandwidthAware { get; set; }

    /// <summary>Seeding stops once this share of the eligible nodes holds the image (0 &lt; ratio &lt;= 1).</summary>
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

    protected override bool UsesCluster => true;

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
        if (ParameterSetName == PathSet)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeNotImplemented", "-Path is not available yet.", Path);
        }

        foreach (object image in images)
        {
            Seed(image, null);
        }
    });

    private void Validate()
    {
        if (!(StopRatio > 0 && StopRatio <= 1))
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeInvalidStopRatio",
                $"-StopRatio must be more than 0 and at most 1 (the share of eligible nodes to seed); got {StopRatio}.", StopRatio);
        }

        if (MonitorInterval <= TimeSpan.Zero || MonitorWindow < MonitorInterval)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeInvalidMonitorTiming",
                $"-MonitorInterval ({MonitorInterval}) must be positive and no longer than -MonitorWindow ({MonitorWindow}).", MonitorInterval);
        }

        if (MyInvocation.BoundParameters.ContainsKey(nameof(Timeout)) && Timeout <= TimeSpan.Zero)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeInvalidTimeout", $"-Timeout must be positive; got {Timeout}.", Timeout);
        }

        ImageReference.Parse(HelperImage);
        ImageReference.Parse(ProbeImage);
        if (MonitorImage is not null)
        {
            ImageReference.Parse(MonitorImage);
        }
    }

    private SeedPolicyOptions PolicyOptions => new()
    {
        Strategy = DisableBandwidthAware ? SeedStrategy.Doubling : Enum.Parse<SeedStrategy>(Strategy, ignoreCase: true),
        StopRatio = StopRatio,
        InitialSeeds = MyInvocation.BoundParameters.ContainsKey(nameof(InitialSeeds)) ? InitialSeeds : null,
        PublicSeeds = PublicSeeds,
        MonitorInterval = MonitorInterval,
        MonitorWindow = MonitorWindow,
        Thresholds = new HealthThresholds(MonitorBandwidthThreshold, MonitorJitterThreshold, MonitorDropThreshold),
        MaxFailedSeeds = MaxFailedSeeds,
    };

    private void Seed(object image, SeedWorkload? workload)
    {
        object value = image is PSObject pso ? pso.BaseObject : image;
        var resolved = value as ClydeImage;
        string referenceText = resolved?.Reference is { Length: > 0 } given ? given : resolved?.Image ?? value.ToString()!;
        ImageReference reference = ImageReference.Parse(resolved?.Image ?? value.ToString());
        var gateway = Gateway;
        string ns = workload?.Namespace ?? Namespace ?? gateway.Namespace;
        Run(ct => SeedWorkload.EnsureNamespaceAsync(gateway, ns, ct));

        RegistryClient client = Registry;
        Platform platform = TargetPlatform;
        resolved ??= Run(ct => ImageService.GetImageAsync(client, reference, platform, referenceText, ct));
        ClydeImage monitored = resolved;
        ImageReference monitoredRef = reference;
        if (MonitorImage is not null)
        {
            monitoredRef = ImageReference.Parse(MonitorImage);
            monitored = Run(ct => ImageService.GetImageAsync(client, monitoredRef, platform, MonitorImage, ct));
        }

        Uri? mirror = Mirror is { Length: > 0 } ? RegistryMirrors.Parse(Mirror[0]) : RegistryMirrors.FromLab(gateway.Lab);
        var placement = workload?.Placement ?? TemporaryPlacement();
        var pullSecrets = workload?.ImagePullSecrets ?? (ImagePullSecret is null ? [] : [ImagePullSecret]);
        string? daemonSet = DaemonSetName ?? workload?.Name;
        var request = new SeedRequest
        {
            Image = resolved,
            Reference = referenceText,
            Namespace = ns,
            Placement = placement,
            ImagePullSecrets = pullSecrets,
            Nodes = nodes.Count == 0 ? null : nodes.Distinct(StringComparer.Ordinal).ToArray(),
            Policy = PolicyOptions,
            HelperImage = HelperImage,
            PullTimeout = MyInvocation.BoundParameters.ContainsKey(nameof(Timeout)) ? Timeout : null,
            Workload = daemonSet is null ? null : $"{ns}/{daemonSet}",
            ProbeBlobUrl = monitored.LargestLayer is { } blob ? ProbePod.BlobUrl(monitoredRef, blob.Digest, mirror, AllowInsecureHttp) : null,
            ProbeImage = ProbeImage,
            ProbePullSecret = pullSecrets.FirstOrDefault(),
        };

        var executor = new SeedExecutor(gateway);
        SeedPreparation prep = Run(ct => executor.PrepareAsync(request, ct));
        foreach (string warning in prep.Warnings)
        {
            WriteWarning(warning);
        }

        foreach (SkippedNode skip in prep.Skipped)
        {
            WriteVerbose($"Skipping node {skip.Name}: {skip.Reason}.");
        }

        if (prep.Eligibility.Eligible.Count == 0)
        {
            throw new ClydeException(ClydeErrorKind.NotFound, "ClydeNoEligibleNodes",
                prep.Skipped.Count == 0
                    ? "The cluster has no nodes to seed."
                    : $"No node can run the workload, so none can be seeded: {string.Join("; ", prep.Skipped.Take(5).Select(s => $"{s.Name}: {s.Reason}"))}{(prep.Skipped.Count > 5 ? "; ..." : "")}.",
                referenceText);
        }

        var plan = prep.Plan;
        WriteVerbose($"{plan.ClusterClass} cluster: {prep.Eligibility.Eligible.Count} eligible node(s), target {plan.Target}, " +
                     $"{plan.AlreadySeeded.Count} already seeded, initial seeds {plan.InitialSeeds}, strategy {prep.Policy.Name}, run {request.RunId}.");
        var waves = prep.PreviewWaves();
        if (WhatIfRequested)
        {
            for (int i = 0; i < waves.Count; i++)
            {
                ShouldProcess($"Wave {i + 1}: seed pods in namespace {ns} on {string.Join(", ", waves[i])}", "Create seed pods");
            }

            if (waves.Count == 0)
            {
                ShouldProcess($"{referenceText}: nothing to seed ({plan.AlreadySeeded.Count} of target {plan.Target} already hold it)", "Seed image");
            }

            return;
        }

        if (!ShouldProcess($"{referenceText} on up to {plan.Target - plan.AlreadySeeded.Count} node(s) in namespace {ns} ({prep.Policy.Name}, {waves.Count} planned wave(s))", "Seed image"))
        {
            return;
        }

        string activity = $"Seeding {referenceText}";
        ClydeSeedResult result = Run(ct => executor.RunAsync(prep,
            p => Post(() => WriteProgress(new ProgressRecord(ProgressId, activity,
                $"Wave {p.Wave}: {p.Seeded}/{p.Target} seeded, {p.InFlight} pulling{(p.BandwidthMBps is { } bw ? $", registry {bw:0.#} MB/s" : "")}")
            {
                PercentComplete = p.Target == 0 ? 100 : Math.Min(100, p.Seeded * 100 / p.Target),
            })),
            d => Post(() => WriteVerbose(d.Narrative)),
            message => Post(() => WriteVerbose(message)),
            ct));
        WriteProgress(new ProgressRecord(ProgressId, activity, "Done") { RecordType = ProgressRecordType.Completed });
        foreach (ClydeSeedPull failed in result.Pulls.Where(p => !p.Succeeded))
        {
            WriteError(ErrorRecords.From(new ClydeException(ClydeErrorKind.Unavailable, "ClydeSeedPullFailed",
                $"Seeding node {failed.Node} failed: {failed.Error}", failed.Node)));
        }

        WriteVerbose(result.Outcome);
        WriteObject(result);
    }

    private WorkloadPlacement TemporaryPlacement()
    {
        var selector = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (object o in NodeSelector ?? [])
        {
            object v = o is PSObject p ? p.BaseObject : o;
            if (v is IDictionary d)
            {
                foreach (DictionaryEntry e in d)
                {
                    selector[e.Key.ToString()!] = e.Value?.ToString() ?? "";
                }
            }
            else if (v.ToString()!.Split('=', 2) is [var k, var val])
            {
                selector[k] = val;
            }
        }

        var tolerations = new List<TolerationFact>();
        foreach (object o in Toleration ?? [])
        {
            string t = o.ToString()!;
            string? effect = t.Contains(':') ? t[(t.LastIndexOf(':') + 1)..] : null;
            string kv = effect is null ? t : t[..t.LastIndexOf(':')];
            tolerations.Add(kv.Split('=', 2) is [var k, var val] ? new TolerationFact(k, "Equal", val, effect) : new TolerationFact(kv, "Exists", null, effect));
        }

        return new WorkloadPlacement(selector, tolerations, []);
    }

    private bool WhatIfRequested =>
        MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? w) && w is SwitchParameter s && s.IsPresent
        || SessionState.PSVariable.GetValue("WhatIfPreference") is true or SwitchParameter { IsPresent: true };
}
