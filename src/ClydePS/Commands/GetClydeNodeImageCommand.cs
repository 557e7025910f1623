using System.Management.Automation;
using ClydePS.Completion;
using ClydePS.Engine.Registry;
using ClydePS.Engine.Seeding;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>
/// Per node, whether it holds an image's digest and how we know: a seed pod's imageID (proof), the node's image list (a hint),
/// or unknown because the node lists 50 or more images. Two API requests whatever the node count.
/// </summary>
[Cmdlet(VerbsCommon.Get, "ClydeNodeImage")]
[OutputType(typeof(ClydeNodeImage))]
public sealed class GetClydeNodeImageCommand : ClydeRegistryCmdletBase
{
    private readonly List<string> nodes = [];
    private readonly List<object> images = [];

    /// <summary>An image reference, or a ClydeImage from Get-ClydeImage (then it is not resolved again).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public object Image { get; set; } = null!;

    /// <summary>Only these nodes (names or ClydeNode objects); default: every node.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeCompleter))]
    public string[]? Node { get; set; }

    /// <summary>Where seed pods are looked for; default: all namespaces.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    protected override bool UsesCluster => true;

    protected override string? PullSecretNamespace => Namespace;

    protected override void ProcessRecord() => Guard(() =>
    {
        // Nodes and images may arrive one pipeline object at a time; the cluster is read once, at the end.
        if (Node != null)
        {
            nodes.AddRange(Node);
        }

        object value = Image is PSObject pso ? pso.BaseObject : Image;
        if (value is not ClydeImage)
        {
            // A bad reference is rejected before any request.
            _ = ImageReference.Parse(value.ToString() ?? "");
        }

        if (!images.Contains(value))
        {
            images.Add(value);
        }
    });

    protected override void EndProcessing() => Guard(() =>
    {
        var gateway = Gateway;
        string? seedNamespace = Namespace;
        NodeImageSnapshot snapshot = Run(ct => NodeImageService.ReadAsync(gateway, seedNamespace, ct));
        WriteVerbose($"Read {snapshot.NodeNames.Count} node(s) and {snapshot.SeedPodCount} seed pod(s) {(seedNamespace is null ? "in all namespaces" : "in namespace " + seedNamespace)}.");

        var known = new HashSet<string>(snapshot.NodeNames, StringComparer.OrdinalIgnoreCase);
        var wanted = new List<string>();
        foreach (string name in nodes.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (known.Contains(name))
            {
                wanted.Add(snapshot.NodeNames.First(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase)));
            }
            else
            {
                WriteClydeError(new ClydeException(ClydeErrorKind.NotFound, "ClydeNodeNotFound",
                    $"Node '{name}' was not found. List nodes with Get-ClydeNodeNetwork.", name));
            }
        }

        if (nodes.Count > 0 && wanted.Count == 0)
        {
            return;
        }

        Platform platform = Platform is not null ? Engine.Registry.Platform.Parse(Platform) : ClusterPlatform.Choose(snapshot.ClydeNodes);
        foreach (object value in images)
        {
            ClydeImage? image = value as ClydeImage ?? ResolveOrReport(value.ToString() ?? "", platform);
            if (image is null)
            {
                continue;
            }

            WriteVerbose($"Looking for {image.Image} by digest: {string.Join(", ", NodeImages.DigestsOf(image))}.");
            foreach (ClydeNodeImage result in NodeImageService.Inspect(snapshot, image, wanted))
            {
                WriteObject(result);
            }
        }
    });

    private ClydeImage? ResolveOrReport(string text, Platform platform)
    {
        ImageReference reference = ImageReference.Parse(text);
        RegistryClient client = Registry;
        WriteVerbose($"Resolving {reference} for {platform}.");
        try
        {
            return Run(ct => ImageService.GetImageAsync(client, reference, platform, text, ct));
        }
        catch (ClydeException ex) when (ex.ErrorId is RegistryErrorIds.ImageNotFound or RegistryErrorIds.PlatformNotFound or RegistryErrorIds.UnsupportedManifest)
        {
            // One image of many: report it and go on with the others.
            WriteClydeError(ex);
            return null;
        }
    }
}
