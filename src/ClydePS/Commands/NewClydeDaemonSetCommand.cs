using System.Management.Automation;
using ClydePS.Completion;
using ClydePS.Engine.Rollout;
using ClydePS.Infrastructure;
using SeedStrategyKind = ClydePS.Engine.Seeding.SeedStrategy;

namespace ClydePS.Commands;

/// <summary>
/// Creates or updates (idempotently) a DaemonSet: a minimal one from -Name and -Image, or one read from a YAML/JSON
/// file (-Path) with the parameters applied over it; with -Wait, waits for its rollout like <c>kubectl rollout status</c>.
/// </summary>
[Cmdlet(VerbsCommon.New, "ClydeDaemonSet", DefaultParameterSetName = ImageSet, SupportsShouldProcess = true)]
[OutputType(typeof(ClydeDaemonSet))]
[OutputType(typeof(string))]
public sealed class NewClydeDaemonSetCommand : ClydeSeedingCmdletBase
{
    private const string ImageSet = "Image";
    private const string PathSet = "Path";
    private const int ProgressId = 7401;

    /// <summary>The DaemonSet's name (also its selector app=&lt;name&gt; and its container's name).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ImageSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DaemonSetCompleter))]
    public string Name { get; set; } = null!;

    /// <summary>The container image; with -Path it replaces the image of the first (or -Container) container.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = ImageSet, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = PathSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Image { get; set; }

    /// <summary>A YAML or JSON file holding exactly one DaemonSet.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = null!;

    /// <summary>With -Path and -Image: the container whose image -Image replaces; default the first.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string? Container { get; set; }

    /// <summary>Where the DaemonSet lives; default the file's namespace (with -Path), else the kubeconfig context's namespace.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    /// <summary>A hashtable or key=value strings: the nodes the pods may run on.</summary>
    [Parameter]
    [ValidateNotNull]
    public object[]? NodeSelector { get; set; }

    /// <summary>key=value:Effect, key:Effect or key strings, hashtables or V1Toleration-shaped objects.</summary>
    [Parameter]
    [ValidateNotNull]
    public object[]? Toleration { get; set; }

    /// <summary>Nodes (1) or share of nodes (25%) whose pods may be unavailable during an update.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? MaxUnavailable { get; set; }

    /// <summary>Write the DaemonSet as YAML instead of applying it (nothing is sent to the cluster).</summary>
    [Parameter]
    public SwitchParameter AsManifest { get; set; }

    /// <summary>Wait until the rollout is complete (as kubectl rollout status says), then write the final counts.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <summary>A FlexDaemonsetTemplate (New-ClydeFlexTemplate) that sizes the pods as a percentage of each node (needs Install-ClydeFlexWebhook).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? FlexTemplate { get; set; }

    /// <summary>Seed the image first (as Start-ClydeSeed does, with -SeedStrategy, -SeedStopRatio and this DaemonSet's namespace, placement and pull secrets).</summary>
    [Parameter]
    public SwitchParameter Seed { get; set; }

    /// <summary>
    /// With -Seed: Pipelined (default, as Start-ClydeSeed), Adaptive or Doubling. A string: parameter types never name
    /// engine types, which load in their own context.
    /// </summary>
    [Parameter]
    [ValidateSet(nameof(SeedStrategyKind.Pipelined), nameof(SeedStrategyKind.Doubling), nameof(SeedStrategyKind.Adaptive))]
    public string SeedStrategy { get; set; } = nameof(SeedStrategyKind.Pipelined);

    /// <summary>With -Seed: the share of eligible nodes seeded before the DaemonSet is applied (0 &lt; ratio &lt;= 1); default 1 for Pipelined, 0.5 for the others.</summary>
    [Parameter]
    public double SeedStopRatio { get; set; }

    /// <summary>With -Seed: the registry's bandwidth as the nodes see it, in MB/s (as Start-ClydeSeed -RegistryBandwidthMBps); goes with -SeedNodeBandwidthMBps.</summary>
    [Parameter]
    public double SeedRegistryBandwidthMBps { get; set; }

    /// <summary>With -Seed: a ClydeProbeResult from Measure-ClydeRegistryProbe, whose measured bandwidth stands for -SeedRegistryBandwidthMBps (as Start-ClydeSeed -ProbeResult).</summary>
    [Parameter]
    [ValidateNotNull]
    public object? SeedProbeResult { get; set; }

    /// <summary>With -Seed: a node's download bandwidth from peers, in MB/s (as Start-ClydeSeed -NodeBandwidthMBps).</summary>
    [Parameter]
    public double SeedNodeBandwidthMBps { get; set; }

    /// <summary>A ClydeSeedResult from Start-ClydeSeed: its seed pods are released as the DaemonSet's pods run on their nodes.</summary>
    [Parameter(ValueFromPipeline = true)]
    public object? SeedResult { get; set; }

    /// <summary>How long -Wait waits (Lab time on a Lab); default 10 minutes.</summary>
    [Parameter]
    [Duration]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(10);

    protected override string? PullSecretNamespace => Namespace;

    protected override void ProcessRecord() => Guard(() =>
    {
        RequirePositiveTimeout(Timeout);
        ValidateSeedParameters();

        // Every input is checked before the cluster is contacted, so bad input creates nothing.
        IReadOnlyDictionary<string, string>? nodeSelector = NodeSelectorParser.Parse(NodeSelector);
        IReadOnlyList<TolerationSpec>? tolerations = TolerationParser.Parse(Toleration);
        if (MaxUnavailable is not null)
        {
            DaemonSetManifest.ValidateMaxUnavailable(MaxUnavailable);
        }

        if (Namespace is not null)
        {
            DaemonSetManifest.ValidateNamespace(Namespace);
        }

        if (AsManifest && Wait)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeConflictingParameters",
                "-AsManifest writes the DaemonSet as YAML and applies nothing, so there is no rollout for -Wait to wait for.", null);
        }

        PreparedDaemonSet prepared = Prepare(nodeSelector, tolerations, AsManifest ? ManifestNamespace : () => Gateway.Namespace);
        if (AsManifest)
        {
            WriteObject(prepared.ToYaml());
            return;
        }

        var gateway = Gateway;
        ClydeSeedResult? seed = (SeedResult is PSObject pso ? pso.BaseObject : SeedResult) as ClydeSeedResult;
        if (seed is not null && (seed.Namespace != prepared.Namespace || seed.Image != prepared.Image))
        {
            WriteWarning($"The seed result is for {seed.Image} in namespace {seed.Namespace}; DaemonSet {prepared.Namespace}/{prepared.Name} uses {prepared.Image}.");
        }

        if (Seed)
        {
            WorkloadPlacementInfo placement = prepared.Placement;
            seed = RunSeed(new SeedInvocation
            {
                Image = prepared.Image,
                Namespace = prepared.Namespace,
                Placement = placement.ToPlacement(daemonSet: true),
                ImagePullSecrets = placement.ImagePullSecrets,
                DaemonSetName = prepared.Name,
                Policy = SeedPolicy(SeedStrategy, GivenOrNull(nameof(SeedStopRatio), SeedStopRatio)),
                RegistryBandwidthMBps = _bandwidths?.Registry,
                NodeBandwidthMBps = _bandwidths?.Node,
            }) ?? seed;
        }

        ApplyOutcome plan = Run(ct => DaemonSetService.PlanAsync(gateway, prepared, ct));
        string action = plan switch
        {
            ApplyOutcome.Created => "Create",
            ApplyOutcome.Updated => "Update",
            _ => "Leave unchanged",
        };
        if (!ShouldProcess($"DaemonSet {prepared.Namespace}/{prepared.Name} (image {prepared.Image})", action))
        {
            return;
        }

        var (applied, note) = Run(ct => DaemonSetService.ApplyAsync(gateway, prepared, ct));
        if (note is not null)
        {
            WriteWarning(note);
        }

        WriteVerbose($"DaemonSet {applied.Namespace}/{applied.Name}: {applied.Outcome} (generation {applied.Generation}, resourceVersion {applied.ResourceVersion}).");
        bool release = seed is { SeedPods.Length: > 0 } && seed.Namespace == prepared.Namespace;
        if (!Wait)
        {
            if (release)
            {
                // Seeded nodes already hold the image, so their pods start at once; each seed pod goes when its node's pod runs.
                WarnHeld(Run(ct => ReleaseSeedPodsAsync(seed!, prepared.PodSelector, Timeout, ct)));
            }

            WriteObject(applied);
            return;
        }

        string activity = $"Rolling out DaemonSet {applied.Namespace}/{applied.Name}";
        (RolloutOutcome outcome, IReadOnlyList<string> held) = Run(async ct =>
        {
            Task<IReadOnlyList<string>> releasing = release ? ReleaseSeedPodsAsync(seed!, prepared.PodSelector, Timeout, ct) : Task.FromResult<IReadOnlyList<string>>([]);
            RolloutOutcome done = await RolloutWaiter.WaitAsync(gateway, RolloutKind.DaemonSet, applied.Namespace, applied.Name, Timeout,
                p => Post(() => ReportProgress(activity, p)), ct).ConfigureAwait(false);
            return (done, await releasing.ConfigureAwait(false));
        });
        WarnHeld(held);
        WriteProgress(new ProgressRecord(ProgressId, activity, "Done") { RecordType = ProgressRecordType.Completed });
        WriteVerbose(outcome.Status.Message);
        WriteObject(Run(ct => DaemonSetService.DescribeAsync(gateway, applied.Namespace, applied.Name, applied.Outcome, applied.ManagedByClydePS,
            outcome.Duration, outcome.Complete, ct)));
    });

    private PreparedDaemonSet Prepare(IReadOnlyDictionary<string, string>? nodeSelector, IReadOnlyList<TolerationSpec>? tolerations, Func<string> contextNamespace)
    {
        if (ParameterSetName == PathSet)
        {
            string path = ResolvePath(Path);
            if (!File.Exists(path))
            {
                throw new ClydeException(ClydeErrorKind.InvalidArgument, RolloutErrorIds.ManifestNotFound, $"Manifest file '{path}' does not exist.", Path);
            }

            var overrides = new DaemonSetOverrides
            {
                Namespace = Namespace,
                Image = Image,
                Container = Container,
                NodeSelector = nodeSelector,
                Tolerations = tolerations,
                ImagePullSecrets = ImagePullSecret is null ? null : [ImagePullSecret],
                MaxUnavailable = MaxUnavailable,
                FlexTemplate = FlexTemplate,
            };

            // Validate the file fully before asking the kubeconfig for the default namespace.
            DaemonSetService.Prepare(path, overrides, "default");
            return DaemonSetService.Prepare(path, overrides, contextNamespace());
        }

        var request = new DaemonSetRequest
        {
            Name = Name,
            Namespace = "default",
            Image = Image!,
            NodeSelector = nodeSelector,
            Tolerations = tolerations,
            ImagePullSecrets = ImagePullSecret is null ? null : [ImagePullSecret],
            MaxUnavailable = MaxUnavailable,
            FlexTemplate = FlexTemplate,
        };
        DaemonSetService.Prepare(request);
        return DaemonSetService.Prepare(request with { Namespace = Namespace ?? contextNamespace() });
    }

    /// <summary>-SeedStrategy, -SeedStopRatio and the seed bandwidths only shape a seeding run, so without -Seed they are a mistake, caught before any request.</summary>
    private void ValidateSeedParameters()
    {
        string[] given = new[] { nameof(SeedStrategy), nameof(SeedStopRatio), nameof(SeedRegistryBandwidthMBps), nameof(SeedProbeResult), nameof(SeedNodeBandwidthMBps) }
            .Where(MyInvocation.BoundParameters.ContainsKey).ToArray();
        if (given.Length > 0 && !Seed)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeSeedParameterWithoutSeed",
                $"-{string.Join(" and -", given)} only {(given.Length == 1 ? "applies" : "apply")} when the image is seeded first; add -Seed, or pipe a seed result from Start-ClydeSeed instead.", given[0]);
        }

        if (GivenOrNull(nameof(SeedStopRatio), SeedStopRatio) is { } ratio)
        {
            ValidateStopRatio(ratio, nameof(SeedStopRatio));
        }

        _bandwidths = SeedBandwidths(nameof(SeedRegistryBandwidthMBps), GivenOrNull(nameof(SeedRegistryBandwidthMBps), SeedRegistryBandwidthMBps),
            nameof(SeedNodeBandwidthMBps), GivenOrNull(nameof(SeedNodeBandwidthMBps), SeedNodeBandwidthMBps), nameof(SeedProbeResult), SeedProbeResult, WriteVerbose);
    }

    private (double Registry, double Node)? _bandwidths;

    /// <summary>With -AsManifest and no -Namespace: the context's namespace when a kubeconfig is there, else default.</summary>
    private string ManifestNamespace()
    {
        try
        {
            return Gateway.Namespace;
        }
        catch (ClydeException e)
        {
            WriteVerbose($"No kubeconfig to take the namespace from ({e.Message}); using 'default'.");
            return "default";
        }
    }

    private void WarnHeld(IReadOnlyList<string> held)
    {
        if (held.Count > 0)
        {
            WriteWarning($"{held.Count} seed pod(s) are still held because the DaemonSet's pod does not run on their node yet: {string.Join(", ", held)}. " +
                         "Remove-ClydeLeftover deletes them once it does.");
        }
    }

    private void ReportProgress(string activity, RolloutProgress p)
    {
        int percent = p.Desired <= 0 ? (p.Complete ? 100 : 0) : Math.Clamp((p.Updated + p.Available) * 50 / p.Desired, 0, 100);
        WriteProgress(new ProgressRecord(ProgressId, activity, p.Message.TrimEnd('.'))
        {
            PercentComplete = p.Complete ? 100 : percent,
        });
    }
}
