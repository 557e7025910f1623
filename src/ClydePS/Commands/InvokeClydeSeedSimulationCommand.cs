using System.Globalization;
using System.Management.Automation;
using ClydePS.Engine.Probe;
using ClydePS.Engine.Seeding;
using ClydePS.Engine.Seeding.Simulation;
using ClydePS.Engine.Transfer;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>
/// Forecasts a seeded rollout in virtual time: runs Direct, Doubling, Adaptive and Pipelined over the transfer model for a
/// described cluster (or the ClydeNode objects piped in) and image, and writes one ClydeSeedForecast per strategy
/// with the lower bounds for the same inputs. Parameter types are PowerShell's own (engine types load privately).
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "ClydeSeedSimulation", DefaultParameterSetName = ParametersSet)]
[OutputType(typeof(ClydeSeedForecast))]
public sealed class InvokeClydeSeedSimulationCommand : ClydeCmdletBase
{
    private const string ParametersSet = "Parameters";
    private const string NodesSet = "Nodes";
    private const int ProgressId = 7311;
    private const double BytesPerGB = 1024d * 1024 * 1024;

    private readonly List<object> inputNodes = [];

    [Parameter(Mandatory = true, ParameterSetName = ParametersSet)]
    [ValidateRange(1, 100_000)]
    public int NodeCount { get; set; }

    [Parameter(ParameterSetName = ParametersSet)]
    [ValidateRange(0d, 1d)]
    public double PublicRatio { get; set; }

    /// <summary>ClydeNode objects (Get-ClydeNodeNetwork): the eligible ones are the simulated cluster.</summary>
    [Parameter(Mandatory = true, ParameterSetName = NodesSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public object[] InputObject { get; set; } = [];

    [Parameter]
    [ValidateRange(0.000001d, 100_000d)]
    public double ImageSizeGB { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public double[]? LayerSizesMB { get; set; }

    /// <summary>A ClydeImage (Get-ClydeImage): its layer sizes.</summary>
    [Parameter]
    [ValidateNotNull]
    public object? Image { get; set; }

    [Parameter]
    [ValidateRange(0.000001d, double.MaxValue)]
    public double RegistryBandwidthMBps { get; set; }

    /// <summary>A ClydeProbeResult (Measure-ClydeRegistryProbe): the registry bandwidth it measured.</summary>
    [Parameter]
    [ValidateNotNull]
    public object? ProbeResult { get; set; }

    [Parameter]
    [ValidateRange(0.000001d, double.MaxValue)]
    public double NodeBandwidthMBps { get; set; } = 250;

    [Parameter]
    [ValidateRange(0.000001d, double.MaxValue)]
    public double NatBandwidthMBps { get; set; }

    [Parameter]
    public SwitchParameter P2P { get; set; }

    [Parameter]
    public int Seed { get; set; } = 1;

    /// <summary>The executor sees whole pulls only, as on a real cluster or the Lab (Kubernetes reports no layer progress); by default it sees each layer complete.</summary>
    [Parameter]
    public SwitchParameter NoLayerProgress { get; set; }

    /// <summary>Pipelined is told the bandwidths even with -NoLayerProgress, as Start-ClydeSeed is when given -RegistryBandwidthMBps and -NodeBandwidthMBps.</summary>
    [Parameter]
    public SwitchParameter KnownBandwidth { get; set; }

    [Parameter]
    [ValidateSet("Direct", "Doubling", "Adaptive", "Pipelined", "All")]
    public string[] Strategy { get; set; } = ["All"];

    [Parameter]
    public double StopRatio { get; set; } = 0.5;

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int InitialSeeds { get; set; }

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int PublicSeeds { get; set; }

    [Parameter]
    [Duration]
    public TimeSpan MonitorInterval { get; set; } = TimeSpan.FromSeconds(2);

    [Parameter]
    [Duration]
    public TimeSpan MonitorWindow { get; set; } = TimeSpan.FromSeconds(20);

    [Parameter]
    [ValidateRange(0d, double.MaxValue)]
    public double MonitorBandwidthThreshold { get; set; } = 50;

    [Parameter]
    [ValidateRange(0d, double.MaxValue)]
    public double MonitorJitterThreshold { get; set; } = 20;

    [Parameter]
    [ValidateRange(0d, 100d)]
    public double MonitorDropThreshold { get; set; } = 1;

    [Parameter]
    [Duration]
    public TimeSpan SeedPodStart { get; set; } = TimeSpan.FromSeconds(3);

    [Parameter]
    [Duration]
    public TimeSpan HelperInit { get; set; } = TimeSpan.FromSeconds(2);

    [Parameter]
    [Duration]
    public TimeSpan WatchLatency { get; set; } = TimeSpan.FromSeconds(1);

    [Parameter]
    [Duration]
    public TimeSpan DaemonSetPodStart { get; set; } = TimeSpan.FromSeconds(3);

    [Parameter]
    [Duration]
    public TimeSpan ContainerStart { get; set; } = TimeSpan.FromSeconds(2);

    protected override void ProcessRecord()
    {
        if (ParameterSetName == NodesSet)
        {
            inputNodes.AddRange(InputObject);
        }
    }

    protected override void EndProcessing() => Guard(() =>
    {
        IReadOnlyList<TransferLayer> layers = ResolveLayers();
        double registry = ResolveRegistryBandwidth();
        IReadOnlyList<SimulatedNode> nodes = ResolveNodes();
        var input = new SeedSimulationInput
        {
            Nodes = nodes,
            Layers = layers,
            RegistryBandwidthMBps = registry,
            NodeBandwidthMBps = NodeBandwidthMBps,
            NatBandwidthMBps = MyInvocation.BoundParameters.ContainsKey(nameof(NatBandwidthMBps)) ? NatBandwidthMBps : null,
            PeerToPeer = P2P.IsPresent,
            LayerProgress = !NoLayerProgress.IsPresent,
            BandwidthsKnown = KnownBandwidth.IsPresent ? true : null,
            Seed = Seed,
            Policy = new SeedPolicyOptions
            {
                StopRatio = StopRatio,
                PipelinedStopRatio = MyInvocation.BoundParameters.ContainsKey(nameof(StopRatio)) ? StopRatio : 1,
                InitialSeeds = InitialSeeds,
                PublicSeeds = PublicSeeds,
                MonitorInterval = MonitorInterval,
                MonitorWindow = MonitorWindow,
                Thresholds = new HealthThresholds(MonitorBandwidthThreshold, MonitorJitterThreshold, MonitorDropThreshold),
            },
            Overheads = new SeedOverheads
            {
                SeedPodStart = SeedPodStart,
                HelperInit = HelperInit,
                WatchLatency = WatchLatency,
                DaemonSetPodStart = DaemonSetPodStart,
                ContainerStart = ContainerStart,
            },
        };
        try
        {
            input.Validate();
        }
        catch (ArgumentException ex)
        {
            throw Invalid(ex.Message, null);
        }

        List<SimulatedStrategy> strategies = Strategy.Contains("All", StringComparer.OrdinalIgnoreCase)
            ? [SimulatedStrategy.Direct, SimulatedStrategy.Doubling, SimulatedStrategy.Adaptive, SimulatedStrategy.Pipelined]
            : Strategy.Select(s => Enum.Parse<SimulatedStrategy>(s, ignoreCase: true)).Distinct().Order().ToList();

        int publicCount = nodes.Count(n => n.Public);
        WriteVerbose(string.Create(CultureInfo.InvariantCulture,
            $"Simulating {nodes.Count} node(s) ({publicCount} public), {layers.Sum(l => l.SizeBytes) / BytesPerGB:0.###} GB in {layers.Count} layer(s), registry {registry:0.##} MB/s, nodes {NodeBandwidthMBps:0.##} MB/s, NAT {(input.NatBandwidthMBps is { } nat ? nat.ToString("0.##", CultureInfo.InvariantCulture) + " MB/s" : "unconstrained")}, P2P {(P2P ? "on" : "off")}."));
        for (int i = 0; i < strategies.Count; i++)
        {
            Stopping.ThrowIfCancellationRequested();
            SimulatedStrategy strategy = strategies[i];
            WriteProgress(new ProgressRecord(ProgressId, "Invoke-ClydeSeedSimulation", $"Simulating {strategy}")
            {
                PercentComplete = i * 100 / strategies.Count,
            });
            ClydeSeedForecast forecast = SeedSimulator.Run(input, strategy, Stopping);
            foreach (string decision in forecast.Decisions)
            {
                WriteVerbose($"{strategy}: {decision}");
            }

            WriteObject(forecast);
        }

        WriteProgress(new ProgressRecord(ProgressId, "Invoke-ClydeSeedSimulation", "Done") { RecordType = ProgressRecordType.Completed });
    });

    private IReadOnlyList<TransferLayer> ResolveLayers()
    {
        var given = new List<string>();
        if (MyInvocation.BoundParameters.ContainsKey(nameof(ImageSizeGB)))
        {
            given.Add("-ImageSizeGB");
        }

        if (LayerSizesMB is not null)
        {
            given.Add("-LayerSizesMB");
        }

        if (Image is not null)
        {
            given.Add("-Image");
        }

        if (given.Count == 0)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeSimulationImageMissing",
                "Describe the image with -ImageSizeGB, -LayerSizesMB or -Image (a ClydeImage from Get-ClydeImage).");
        }

        if (given.Count > 1)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeSimulationConflictingImage",
                $"Use only one of {string.Join(", ", given)} to describe the image.");
        }

        try
        {
            if (LayerSizesMB is not null)
            {
                return ImageLayering.FromMB(LayerSizesMB);
            }

            if (Image is not null)
            {
                object value = Image is PSObject pso ? pso.BaseObject : Image;
                if (value is not ClydeImage image)
                {
                    throw Invalid($"-Image takes a ClydeImage object (from Get-ClydeImage), not '{value}'.", value);
                }

                if (image.Layers.Length == 0 || image.Layers.Any(l => l.SizeBytes <= 0))
                {
                    throw Invalid($"The image {image.Image} has no layer sizes to simulate.", image);
                }

                return ImageLayering.FromBytes(image.Layers.Select(l => l.SizeBytes).ToList());
            }

            return ImageLayering.Default((long)Math.Round(ImageSizeGB * BytesPerGB));
        }
        catch (ArgumentException ex)
        {
            throw Invalid(ex.Message, null);
        }
    }

    private double ResolveRegistryBandwidth()
    {
        bool given = MyInvocation.BoundParameters.ContainsKey(nameof(RegistryBandwidthMBps));
        if (given && ProbeResult is not null)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeSimulationConflictingBandwidth",
                "Use -RegistryBandwidthMBps or -ProbeResult, not both.");
        }

        if (given)
        {
            return RegistryBandwidthMBps;
        }

        if (ProbeResult is null)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeSimulationBandwidthMissing",
                "Give the registry bandwidth with -RegistryBandwidthMBps, or a ClydeProbeResult from Measure-ClydeRegistryProbe with -ProbeResult.");
        }

        var (bandwidth, explanation) = ProbeBandwidth.RegistryMBps(ProbeResult, nameof(ProbeResult), "ClydeSimulationInvalidInput", "-RegistryBandwidthMBps");
        WriteVerbose(explanation);
        return bandwidth;
    }

    private IReadOnlyList<SimulatedNode> ResolveNodes()
    {
        if (ParameterSetName == ParametersSet)
        {
            int publicCount = (int)Math.Round(PublicRatio * NodeCount, MidpointRounding.AwayFromZero);
            return SeedSimulationInput.MakeNodes(NodeCount, publicCount);
        }

        var nodes = new List<SimulatedNode>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (object item in inputNodes)
        {
            object value = item is PSObject pso ? pso.BaseObject : item;
            if (value is not ClydeNode node)
            {
                throw Invalid($"Pipe ClydeNode objects (from Get-ClydeNodeNetwork), not '{value}'.", value);
            }

            if (!node.Eligible)
            {
                WriteVerbose($"Skipping node {node.Name}: not eligible (Ready {node.Ready}, schedulable {node.Schedulable}, control plane {node.ControlPlane}).");
                continue;
            }

            if (seen.Add(node.Name))
            {
                nodes.Add(new SimulatedNode(node.Name, node.NetworkClass == NetworkClass.Public));
            }
        }

        if (nodes.Count == 0)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeSimulationNoNodes",
                "None of the nodes piped in is eligible (Ready, schedulable, not control plane): there is nothing to simulate.");
        }

        return nodes;
    }

    private static ClydeException Invalid(string message, object? target) =>
        new(ClydeErrorKind.InvalidArgument, "ClydeSimulationInvalidInput", message, target);
}
