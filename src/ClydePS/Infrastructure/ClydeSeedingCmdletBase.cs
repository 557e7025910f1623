using System.Globalization;
using System.Management.Automation;
using ClydePS.Engine.Probe;
using ClydePS.Engine.Registry;
using ClydePS.Engine.Seeding;

namespace ClydePS.Infrastructure;

/// <summary>What one seeding run needs from the cmdlet that starts it (Start-ClydeSeed, New-ClydeDaemonSet -Seed).</summary>
internal sealed record SeedInvocation
{
    public required object Image { get; init; }
    public required string Namespace { get; init; }
    public WorkloadPlacement Placement { get; init; } = WorkloadPlacement.Anywhere;
    public IReadOnlyList<string> ImagePullSecrets { get; init; } = [];
    public string? DaemonSetName { get; init; }
    public IReadOnlyCollection<string>? Nodes { get; init; }
    public SeedPolicyOptions Policy { get; init; } = new();
    public string HelperImage { get; init; } = SeedPodOptions.DefaultHelperImage;
    public string ProbeImage { get; init; } = ProbePodOptions.DefaultImage;
    public string? MonitorImage { get; init; }
    public TimeSpan? PullTimeout { get; init; }
    public double? RegistryBandwidthMBps { get; init; }
    public double? NodeBandwidthMBps { get; init; }
}

/// <summary>
/// The seeding run shared by the cmdlets that seed: resolves the image, plans (listing the plan under -WhatIf), runs
/// the executor with progress and -Verbose narration on the pipeline thread, and reports failed pulls as
/// non-terminating errors.
/// </summary>
public abstract class ClydeSeedingCmdletBase : ClydeRegistryCmdletBase
{
    private const int SeedProgressId = 7402;

    protected override bool UsesCluster => true;

    /// <summary>Returns the result, or null when -WhatIf (or a declined -Confirm) stopped before anything was created.</summary>
    internal ClydeSeedResult? RunSeed(SeedInvocation inv)
    {
        object value = inv.Image is PSObject pso ? pso.BaseObject : inv.Image;
        var resolved = value as ClydeImage;
        string referenceText = resolved?.Reference is { Length: > 0 } given ? given : resolved?.Image ?? value.ToString()!;
        ImageReference reference = ImageReference.Parse(resolved?.Image ?? value.ToString());
        var gateway = Gateway;
        string ns = inv.Namespace;
        Run(ct => SeedWorkload.EnsureNamespaceAsync(gateway, ns, ct));

        RegistryClient client = Registry;
        Platform platform = TargetPlatform;
        resolved ??= Run(ct => ImageService.GetImageAsync(client, reference, platform, referenceText, ct));
        ClydeImage monitored = resolved;
        ImageReference monitoredRef = reference;
        if (inv.MonitorImage is { } monitorImage)
        {
            monitoredRef = ImageReference.Parse(monitorImage);
            monitored = Run(ct => ImageService.GetImageAsync(client, monitoredRef, platform, monitorImage, ct));
        }

        Uri? mirror = Mirror is { Length: > 0 } ? RegistryMirrors.Parse(Mirror[0]) : RegistryMirrors.FromLab(gateway.Lab);
        var request = new SeedRequest
        {
            Image = resolved,
            Reference = referenceText,
            Namespace = ns,
            Placement = inv.Placement,
            ImagePullSecrets = inv.ImagePullSecrets,
            Nodes = inv.Nodes,
            Policy = inv.Policy,
            HelperImage = inv.HelperImage,
            PullTimeout = inv.PullTimeout,
            RegistryBandwidthMBps = inv.RegistryBandwidthMBps,
            NodeBandwidthMBps = inv.NodeBandwidthMBps,
            Workload = inv.DaemonSetName is null ? null : $"{ns}/{inv.DaemonSetName}",
            ProbeBlobUrl = monitored.LargestLayer is { } blob ? ProbePod.BlobUrl(monitoredRef, blob.Digest, mirror, AllowInsecureHttp) : null,
            ProbeImage = inv.ProbeImage,
            ProbePullSecret = inv.ImagePullSecrets.FirstOrDefault(),
        };

        var executor = new SeedExecutor(gateway);
        bool planning = inv.Policy.Strategy == SeedStrategy.Pipelined && inv.RegistryBandwidthMBps is not null && inv.NodeBandwidthMBps is not null;
        if (planning)
        {
            // On a large cluster the start planner's bounded search takes seconds before the first pod: say so.
            WriteProgress(new ProgressRecord(SeedProgressId, $"Seeding {referenceText}", "Reading the nodes and planning the followers' start times in the transfer model"));
        }

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
        if (plan.FollowerStartOffsets is { Count: > 0 } offsets)
        {
            WriteVerbose(string.Create(CultureInfo.InvariantCulture,
                $"{offsets.Count} follower start(s) planned in the transfer model, from +{offsets.Min():0.#} s to +{offsets.Max():0.#} s after the registry copy begins (no follower fetches from the registry); the policy's rules start any others once the plan is used up."));
        }
        else if (planning)
        {
            WriteVerbose("No follower start was planned (no P2P mirror, a node already holds the image, one layer of half the image or more, or the rules alone are faster in the model): the policy's rules start the followers.");
        }
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

            return null;
        }

        if (!ShouldProcess($"{referenceText} on up to {Math.Max(0, plan.Target - plan.AlreadySeeded.Count)} node(s) in namespace {ns} ({prep.Policy.Name}, {waves.Count} planned wave(s))", "Seed image"))
        {
            return null;
        }

        string activity = $"Seeding {referenceText}";
        ClydeSeedResult result = Run(ct => executor.RunAsync(prep,
            p => Post(() => WriteProgress(new ProgressRecord(SeedProgressId, activity,
                $"Wave {p.Wave}: {p.Seeded}/{p.Target} seeded, {p.InFlight} pulling{(p.BandwidthMBps is { } bw ? $", registry {bw:0.#} MB/s" : "")}")
            {
                PercentComplete = p.Target == 0 ? 100 : Math.Min(100, p.Seeded * 100 / p.Target),
            })),
            d => Post(() => WriteVerbose(d.Narrative)),
            message => Post(() => WriteVerbose(message)),
            ct));
        WriteProgress(new ProgressRecord(SeedProgressId, activity, "Done") { RecordType = ProgressRecordType.Completed });
        foreach (ClydeSeedPull replaced in result.Pulls.Where(p => p.Replaced))
        {
            WriteWarning($"Seed pull on node {replaced.Node} was {replaced.Error}.");
        }

        foreach (ClydeSeedPull failed in result.Pulls.Where(p => !p.Succeeded && !p.Replaced))
        {
            WriteError(ErrorRecords.From(new ClydeException(ClydeErrorKind.Unavailable, "ClydeSeedPullFailed",
                $"Seeding node {failed.Node} failed: {failed.Error}", failed.Node)));
        }

        WriteVerbose(result.Outcome);
        return result;
    }

    /// <summary>The ErrorId of a stop ratio outside (0, 1].</summary>
    internal const string InvalidStopRatioErrorId = "ClydeInvalidStopRatio";

    /// <summary>Throws <c>ClydeInvalidStopRatio</c> (naming <paramref name="parameterName"/>) unless 0 &lt; ratio &lt;= 1.</summary>
    internal static void ValidateStopRatio(double ratio, string parameterName)
    {
        if (!(ratio > 0 && ratio <= 1))
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, InvalidStopRatioErrorId,
                $"-{parameterName} must be more than 0 and at most 1 (the share of eligible nodes to seed); got {ratio}.", ratio);
        }
    }

    /// <summary>
    /// The registry and node bandwidths given to a seeding run, checked before anything is created: each positive and
    /// finite (<c>ClydeInvalidBandwidth</c>), the registry's either given or read from a probe result
    /// (<c>ClydeBandwidthConflict</c> when both; <c>ClydeInvalidProbeResult</c> when the probe is not one or measured nothing),
    /// and the registry's and the node's both or neither (<c>ClydeBandwidthIncomplete</c>). Null when neither is given.
    /// </summary>
    internal static (double Registry, double Node)? SeedBandwidths(string registryName, double? registry, string nodeName, double? node,
        string probeName, object? probe, Action<string> verbose)
    {
        foreach (var (name, value) in new[] { (registryName, registry), (nodeName, node) })
        {
            if (value is { } v && !(v > 0 && double.IsFinite(v)))
            {
                throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeInvalidBandwidth",
                    $"-{name} must be a positive number of MB/s; got {v}.", v);
            }
        }

        if (probe is not null)
        {
            if (registry.HasValue)
            {
                throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeBandwidthConflict",
                    $"Use -{registryName} or -{probeName}, not both: each gives the registry's bandwidth.", probe);
            }

            var (measured, explanation) = ProbeBandwidth.RegistryMBps(probe, probeName, "ClydeInvalidProbeResult", $"-{registryName}");
            verbose(explanation);
            registry = measured;
        }

        if (registry.HasValue != node.HasValue)
        {
            var missing = registry.HasValue
                ? $"add -{nodeName} (a node's download bandwidth from peers, in MB/s)"
                : $"add -{registryName} or -{probeName} (the registry's bandwidth as the nodes see it)";
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeBandwidthIncomplete",
                $"The registry's and a node's bandwidth go together: {missing}, or give neither.", null);
        }

        return registry is { } r && node is { } n ? (r, n) : null;
    }

    /// <summary>
    /// The policy options for a strategy name (Pipelined, Adaptive or Doubling) and a stop ratio: the given ratio
    /// applies to every strategy; without one the wave strategies stop at 0.5 and Pipelined seeds every eligible node.
    /// The cmdlets that seed share it, so their defaults cannot drift apart.
    /// </summary>
    internal static SeedPolicyOptions SeedPolicy(string strategy, double? stopRatio) => new()
    {
        Strategy = Enum.Parse<SeedStrategy>(strategy, ignoreCase: true),
        StopRatio = stopRatio ?? 0.5,
        PipelinedStopRatio = stopRatio ?? 1,
    };

    /// <summary>The parameter's value when the caller gave it, else null.</summary>
    protected double? GivenOrNull(string parameter, double value) => MyInvocation.BoundParameters.ContainsKey(parameter) ? value : null;

    /// <summary>True under -WhatIf (the parameter or $WhatIfPreference).</summary>
    protected bool WhatIfRequested =>
        MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? w) && w is SwitchParameter s && s.IsPresent
        || SessionState.PSVariable.GetValue("WhatIfPreference") is true or SwitchParameter { IsPresent: true };

    /// <summary>
    /// Deletes each held seed pod once the workload's pod runs on its node (watching the workload's pods), within
    /// <paramref name="timeout"/>; the pods still held after it are reported in a warning.
    /// </summary>
    internal Task<IReadOnlyList<string>> ReleaseSeedPodsAsync(ClydeSeedResult seed, string podSelector, TimeSpan timeout, CancellationToken ct)
    {
        var executor = new SeedExecutor(Gateway);
        return executor.ReleaseAsync(seed.Namespace, seed.SeedPods, podSelector, timeout, message => Post(() => WriteVerbose(message)), ct);
    }
}
