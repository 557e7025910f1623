namespace ClydePS;

/// <summary>One layer of an image: its digest and its (compressed) size in bytes as the registry stores it.</summary>
public sealed class ClydeImageLayer
{
    public string Digest { get; init; } = "";
    public long SizeBytes { get; init; }
    public string MediaType { get; init; } = "";

    public override string ToString() => $"{Digest} ({SizeBytes} bytes)";
}

/// <summary>
/// An image as its registry describes it (<c>Get-ClydeImage</c>): the digest the reference resolves to (for a
/// multi-platform image the index digest, which kubelet reports as imageID), the manifest of the chosen platform,
/// every platform offered, and the layer sizes that decide how long pulls and seeding take.
/// </summary>
public sealed class ClydeImage
{
    /// <summary>The normalized reference (<c>docker.io/library/nginx:1.27</c>); binds by property name to -Image of later cmdlets.</summary>
    public string Image { get; init; } = "";

    /// <summary>The reference as given.</summary>
    public string Reference { get; init; } = "";

    public string Registry { get; init; } = "";
    public string Repository { get; init; } = "";
    public string? Tag { get; init; }

    /// <summary>The digest the reference resolves to: the index digest for a multi-platform image, else the manifest digest.</summary>
    public string Digest { get; init; } = "";

    /// <summary>The digest of the chosen platform's image manifest (equal to Digest for a single-platform image).</summary>
    public string PlatformDigest { get; init; } = "";

    /// <summary>
    /// The digests of every image manifest the index lists (one per platform; attestations excluded), so a node of any
    /// platform is recognised; for a single-platform image just <see cref="Digest"/>.
    /// </summary>
    public string[] ManifestDigests { get; init; } = [];

    /// <summary>The chosen platform, <c>os/architecture[/variant]</c>.</summary>
    public string? Platform { get; init; }

    /// <summary>Every platform the image offers (one entry for a single-platform image).</summary>
    public string[] Platforms { get; init; } = [];

    public bool MultiPlatform { get; init; }
    public string MediaType { get; init; } = "";

    /// <summary>Total of the layer sizes of the chosen platform, in bytes (compressed, as pulled).</summary>
    public long SizeBytes { get; init; }

    public ClydeImageLayer[] Layers { get; init; } = [];
    public ClydeImageLayer? LargestLayer { get; init; }

    /// <summary>Size of the largest layer in bytes: the pull time of one node is bounded below by it.</summary>
    public long LargestLayerSizeBytes => LargestLayer?.SizeBytes ?? 0;
    public string? ConfigDigest { get; init; }

    /// <summary>Where the manifest came from: the registry itself or a mirror's URL.</summary>
    public string? ServedBy { get; init; }

    public override string ToString() => Image;
}
