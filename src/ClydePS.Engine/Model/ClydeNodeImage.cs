using ClydePS.Engine.Seeding;

namespace ClydePS;

/// <summary>
/// Whether one node holds an image (<c>Get-ClydeNodeImage</c>), decided by digest: proved by a seed pod's imageID, hinted
/// by the node's image list, or unknown when the node lists 50 or more images (kubelet's cap).
/// </summary>
public sealed class ClydeNodeImage
{
    /// <summary>The node's name; binds by property name to -Node of later cmdlets.</summary>
    public string Name { get; init; } = "";

    /// <summary>The normalized image reference; binds by property name to -Image.</summary>
    public string Image { get; init; } = "";

    /// <summary>The digest the reference resolves to (the index digest of a multi-platform image).</summary>
    public string Digest { get; init; } = "";

    /// <summary>Every digest accepted as this image: the index digest and the platform manifest digests.</summary>
    public string[] Digests { get; init; } = [];

    /// <summary>True when the node holds the image (Evidence SeedPod or NodeImageList).</summary>
    public bool Holds { get; init; }

    public ImageEvidence Evidence { get; init; }

    /// <summary>The size the node reports for the image (status.images), in bytes; null when the node does not list it.</summary>
    public long? SizeBytes { get; init; }

    /// <summary>SizeBytes in MB (1 MB = 1,048,576 bytes), one decimal; null when unknown.</summary>
    public double? SizeMB => SizeBytes is { } b ? Math.Round(b / 1048576.0, 1) : null;

    /// <summary><c>namespace/name</c> of the seed pod whose imageID proves the pull (Evidence SeedPod).</summary>
    public string? SeedPod { get; init; }

    public NetworkClass NetworkClass { get; init; }

    /// <summary>How many images the node lists in status.images (at most 50).</summary>
    public int ListedImageCount { get; init; }

    /// <summary>The kubeconfig context the node was read through.</summary>
    public string? Context { get; init; }

    public override string ToString() => $"{Name}: {Image} {(Holds ? "held" : "not held")} ({Evidence})";
}
