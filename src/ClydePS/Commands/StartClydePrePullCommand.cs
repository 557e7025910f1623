using System.Management.Automation;
using ClydePS.Engine.Seeders;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>
/// Pre-pulls an image list on every healthy seeder (nodes carrying the seeder label, Ready and schedulable): one pod per
/// image and seeder, done when the node reports the digest, failures with their reason, and by default one completed holder
/// pod per seeder and image left in place so kubelet's image garbage collection keeps the image.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "ClydePrePull", DefaultParameterSetName = FileSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ClydePrePullResult))]
public sealed class StartClydePrePullCommand : ClydePrePullCmdletBase
{
    private const string FileSet = "File";
    private const string ImageSet = "Image";

    private readonly List<string> images = [];

    /// <summary>Image references to pre-pull instead of -ImageFile.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ImageSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Image { get; set; } = [];

    /// <summary>One node's pull limit; default derived from the image's size (3 minutes plus 4 x its transfer time at 5 MB/s).</summary>
    [Parameter]
    [Duration]
    public TimeSpan Timeout { get; set; }

    protected override TimeSpan? PullLimit => MyInvocation.BoundParameters.ContainsKey(nameof(Timeout)) ? Timeout : null;

    protected override void ProcessRecord()
    {
        if (ParameterSetName == ImageSet)
        {
            images.AddRange(Image);
        }
    }

    protected override void EndProcessing() => Guard(() =>
    {
        // Every input is validated before the cluster is contacted: bad input creates nothing.
        ValidateCommon();
        if (ParameterSetName == ImageSet && ImageFileBound)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeImageAndImageFile",
                "Give -Image or -ImageFile, not both: -ImageFile is the whole list (holders of images it no longer lists are removed).", ImageFile);
        }

        bool wholeList = ParameterSetName == FileSet;
        IReadOnlyList<PrePullImage> list = wholeList ? ReadImageFile() : PrePullImageList.FromArguments(images);
        SeederLabel label = ParsedLabel;
        OpenLog();
        WriteVerbose(wholeList
            ? $"{list.Count} image(s) listed in '{ResolvePath(ImageFile)}'."
            : $"{list.Count} image(s) given with -Image.");

        var gateway = Gateway;
        string ns = Namespace;
        PrePullCluster cluster = Run(ct => PrePullCluster.ReadAsync(gateway, label, ns, ct));
        foreach (var (node, reason) in cluster.Skipped)
        {
            Narrate("WARNING", $"Skipping seeder {node}: {reason}.");
        }

        TrackerContent tracker = SeederTracker.Read(ResolvedTrackerPath);
        var names = cluster.NodeNames.ToHashSet(StringComparer.Ordinal);
        foreach (string missing in tracker.Names.Where(n => !names.Contains(n)))
        {
            Narrate("WARNING", $"Tracked seeder {missing} no longer exists; Watch-ClydeSeeder or Set-ClydeSeeder replaces it.");
        }

        if (cluster.Seeders.Count == 0)
        {
            throw new ClydeException(ClydeErrorKind.NotFound, SeederErrorIds.NoSeeders,
                $"No healthy seeder carries the label {label}" + (cluster.Skipped.Count > 0 ? $" ({cluster.Skipped.Count} labelled node(s) are not Ready or cordoned)" : "") +
                ". Label seeders with Set-ClydeSeeder first.", label.ToString());
        }

        IReadOnlyList<PrePullImageSpec> specs = ResolveImages(list);
        PrePull(specs, cluster, wholeList, write: true);
    });
}
