using System.Management.Automation;
using ClydePS.Engine.Registry;
using ClydePS.Engine.Seeders;
using ClydePS.Engine.Seeding;

namespace ClydePS.Infrastructure;

/// <summary>
/// Base of Start-ClydePrePull and Watch-ClydeSeeder: the image list (-ImageFile or -Image), the seeder label and tracker,
/// the pre-pull namespace and pods' options, the log file, and the pre-pull run itself (holders pruned, pods created,
/// progress, streams, results).
/// </summary>
public abstract class ClydePrePullCmdletBase : ClydeRegistryCmdletBase
{
    private const int ProgressIdBase = 7720;
    private PrePullLog? logFile;

    /// <summary>The image list: one reference per line, blank lines and # comments ignored; resolved against the current location.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ImageFile { get; set; } = PrePullImageList.DefaultPath;

    /// <summary>The namespace of the pre-pull and holder pods; created when missing.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Namespace { get; set; } = "clyde";

    /// <summary>The seeder label, key=value.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Label { get; set; } = SeederLabel.Default.ToString();

    /// <summary>The tracker file, resolved against the current PowerShell location.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string TrackerPath { get; set; } = "./seeder_tracker.json";

    /// <summary>How many images pull at once.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 2;

    /// <summary>The image supplying the static busybox binary the pods run (so images without a shell work).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string HelperImage { get; set; } = SeedPodOptions.DefaultHelperImage;

    /// <summary>Delete the pods once the pull is proved instead of keeping one holder pod per seeder and image.</summary>
    [Parameter]
    public SwitchParameter NoHold { get; set; }

    /// <summary>Also write the original ClydeSeeder's log format to this file (appended).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LogPath { get; set; }

    protected override bool UsesCluster => true;

    protected override string? PullSecretNamespace => Namespace;

    protected SeederLabel ParsedLabel => SeederLabel.Parse(Label);

    protected string ResolvedTrackerPath => ResolvePath(TrackerPath);

    /// <summary>True when -ImageFile was given explicitly.</summary>
    protected bool ImageFileBound => MyInvocation.BoundParameters.ContainsKey(nameof(ImageFile));

    /// <summary>The per-node pull limit, null to derive it from each image's size.</summary>
    protected abstract TimeSpan? PullLimit { get; }

    protected bool WhatIfRequested =>
        MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? w) && w is SwitchParameter s && s.IsPresent
        || SessionState.PSVariable.GetValue("WhatIfPreference") is true or SwitchParameter { IsPresent: true };

    /// <summary>Reads and validates -ImageFile (every line, before anything is created).</summary>
    protected IReadOnlyList<PrePullImage> ReadImageFile() => PrePullImageList.Read(ResolvePath(ImageFile));

    /// <summary>Checks the options shared by both cmdlets (InvalidArgument before any request).</summary>
    protected void ValidateCommon()
    {
        _ = ParsedLabel;
        ImageReference.Parse(HelperImage);
        if (PullLimit is { } t)
        {
            RequirePositiveTimeout(t);
        }
    }

    /// <summary>Opens -LogPath (once).</summary>
    protected void OpenLog()
    {
        if (LogPath is not null && logFile is null)
        {
            logFile = new PrePullLog(ResolvePath(LogPath));
        }
    }

    /// <summary>
    /// A narrative line: to -LogPath in the original's format, and to the PowerShell streams (INFO -> Verbose, WARNING ->
    /// Warning, ERROR -> Verbose (failures also become error records), DEBUG -> Debug). Safe from any thread.
    /// </summary>
    protected void Narrate(string level, string message)
    {
        if (level != "DEBUG")
        {
            logFile?.Write(level, message);
        }

        Post(() =>
        {
            switch (level)
            {
                case "WARNING":
                    WriteWarning(message);
                    break;
                case "DEBUG":
                    WriteDebug(message);
                    break;
                default:
                    WriteVerbose(message);
                    break;
            }
        });
    }

    protected override void OnDispose() => logFile?.Dispose();

    /// <summary>Resolves each image in the registry (digest, size), in list order; fails before anything is created.</summary>
    protected IReadOnlyList<PrePullImageSpec> ResolveImages(IReadOnlyList<PrePullImage> images)
    {
        RegistryClient client = Registry;
        Platform platform = TargetPlatform;
        var specs = new List<PrePullImageSpec>();
        foreach (PrePullImage image in images)
        {
            ImageReference reference = ImageReference.Parse(image.Reference);
            ClydeImage resolved = Run(ct => ImageService.GetImageAsync(client, reference, platform, image.Reference, ct));
            WriteVerbose($"{image.Reference} is {resolved.Digest} ({resolved.SizeBytes / 1048576.0:0.#} MB).");
            specs.Add(new PrePullImageSpec(image.Reference, resolved));
        }

        return specs;
    }

    /// <summary>
    /// Pre-pulls on the seeders of <paramref name="cluster"/> (Watch-ClydeSeeder passes a view with one node): prunes stale
    /// holders (under ShouldProcess), creates the namespace when missing, runs the pods, writes each result as it completes
    /// (when <paramref name="write"/>) and a non-terminating ClydePrePullFailed error per failed node. Returns null when -WhatIf
    /// or a declined -Confirm stopped it. Runs on the pipeline thread (it calls Run).
    /// </summary>
    protected IReadOnlyList<ClydePrePullResult>? PrePull(IReadOnlyList<PrePullImageSpec> images, PrePullCluster cluster, bool wholeList, bool write)
    {
        var gateway = Gateway;
        var runner = new PrePullRunner(gateway);
        string ns = cluster.Namespace;
        IReadOnlyList<StaleHolder> stale = cluster.StaleHolders(images, wholeList);
        IReadOnlyList<string> seeders = cluster.SeederNames;
        string where = string.Join(", ", seeders);

        if (WhatIfRequested)
        {
            if (!cluster.NamespaceExists)
            {
                ShouldProcess($"namespace {ns}", "Create namespace");
            }

            foreach (StaleHolder h in stale)
            {
                ShouldProcess($"holder pod {ns}/{h.Name} on {h.Node}: {h.Reason}", "Delete holder pod");
            }

            foreach (PrePullImageSpec image in images)
            {
                ShouldProcess($"{image.Reference} ({image.Image.Digest}) on {seeders.Count} seeder(s): {where}; pods in namespace {ns}" +
                              (NoHold ? ", deleted once pulled" : ", one holder pod per seeder kept"), "Pre-pull image");
            }

            return null;
        }

        if (!ShouldProcess($"{images.Count} image(s) on {seeders.Count} seeder(s) ({where}) in namespace {ns}", "Pre-pull images"))
        {
            return null;
        }

        if (Run(ct => cluster.EnsureNamespaceAsync(gateway, ct)))
        {
            Narrate("INFO", $"Created namespace {ns}.");
        }

        var approved = stale.Where(h => ShouldProcess($"holder pod {ns}/{h.Name} on {h.Node}: {h.Reason}", "Delete holder pod")).ToArray();
        if (approved.Length > 0)
        {
            foreach (StaleHolder h in approved)
            {
                Narrate("INFO", $"Removing holder pod {ns}/{h.Name}: {h.Reason}.");
            }

            string[] names = approved.Select(h => h.Name).ToArray();
            Run(ct => runner.DeletePodsAsync(ns, names, m => Narrate("DEBUG", m)));
            cluster.Forget(names);
        }

        var request = new PrePullRequest
        {
            Namespace = ns,
            Images = images,
            Seeders = cluster.Seeders,
            Label = cluster.Label,
            ImagePullSecrets = ImagePullSecret is null ? [] : [ImagePullSecret],
            HelperImage = HelperImage,
            Timeout = PullLimit,
            Hold = !NoHold,
            ThrottleLimit = ThrottleLimit,
        };
        var order = images.Select(i => i.Reference).ToList();
        Narrate("INFO", $"Pre-pull run {request.RunId}: {images.Count} image(s) on {seeders.Count} seeder(s) ({where}), at most {ThrottleLimit} image(s) at once.");
        IReadOnlyList<ClydePrePullResult> results = Run(ct => cluster.RunAsync(gateway, request,
            r => Post(() =>
            {
                WriteProgress(new ProgressRecord(ProgressIdBase + (order.IndexOf(r.Image) % 50), $"Pre-pulling {r.Image}", "Done")
                {
                    RecordType = ProgressRecordType.Completed,
                });
                foreach (ClydePrePullFailure f in r.Failed)
                {
                    WriteError(ErrorRecords.From(new ClydeException(ClydeErrorKind.Unavailable, SeederErrorIds.PrePullFailed,
                        $"Pre-pulling {r.Image} on seeder {f.Node} failed: {f.Reason}: {f.Message}", f.Node)));
                }

                WriteInformation(new InformationRecord($"{r.Image}: {r.Succeeded.Length} of {r.Nodes.Length} seeder(s) hold {r.Digest} " +
                                                       $"({r.AlreadyHeld.Length} already held, {r.Failed.Length} failed) in {r.Duration.TotalSeconds:0.#} s.", "Start-ClydePrePull"));
                if (write)
                {
                    WriteObject(r);
                }
            }),
            p => Post(() => WriteProgress(new ProgressRecord(ProgressIdBase + (p.ImageIndex % 50), $"Pre-pulling {p.Image}",
                p.Node is null ? $"0 of {p.Total} seeder(s)" : $"{p.Done} of {p.Total} seeder(s); {p.Node}: {p.Status}")
            {
                PercentComplete = p.Total == 0 ? 100 : Math.Min(100, p.Done * 100 / p.Total),
            })),
            Narrate,
            ct));
        return results;
    }
}
