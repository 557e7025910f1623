using ClydePS.Engine.Transfer;

namespace ClydePS.Lab.Images;

/// <summary>Media types the catalog serves.</summary>
public static class MediaTypes
{
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string DockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayer = "application/vnd.docker.image.rootfs.diff.tar.gzip";
}

/// <summary>A JSON document of the registry (index, manifest or config) with its media type and sha256 digest.</summary>
public sealed record CatalogDocument(string MediaType, byte[] Content, string Digest)
{
    public long Size => Content.LongLength;
}

/// <summary>One layer blob: digest, size and media type. Its content is filler; the digest is declared, not computed.</summary>
public sealed record CatalogLayer(string Digest, long SizeBytes)
{
    public TransferLayer ToTransfer() => new(Digest, SizeBytes);
}

/// <summary>One platform of an image: its layers, config blob and manifests (OCI and Docker media types).</summary>
public sealed class CatalogPlatform
{
    public required string Os { get; init; }
    public required string Architecture { get; init; }
    public string? Variant { get; init; }
    public required IReadOnlyList<CatalogLayer> Layers { get; init; }
    public required CatalogDocument Config { get; init; }
    public required CatalogDocument OciManifest { get; init; }
    public required CatalogDocument DockerManifest { get; init; }
    public string PlatformString => $"{Os}/{Architecture}{(Variant is null ? "" : "/" + Variant)}";
    /// <summary>Layers plus config (what a pull transfers, what containerd reports as the image size).</summary>
    public long SizeBytes => Layers.Sum(l => l.SizeBytes) + Config.Size;
}

/// <summary>An image the Lab knows: declared in the cluster file or synthesised from its name.</summary>
public sealed class CatalogImage
{
    public required ImageReference Reference { get; init; }
    public bool Missing { get; init; }
    public bool HasShell { get; init; }
    /// <summary>True when the cluster file declared it, false when synthesised.</summary>
    public bool Declared { get; init; }
    public IReadOnlyList<CatalogPlatform> Platforms { get; init; } = [];
    /// <summary>The OCI index (and its Docker manifest-list twin) when the image has several platforms.</summary>
    public CatalogDocument? OciIndex { get; init; }
    public CatalogDocument? DockerIndex { get; init; }

    /// <summary>The image digest (index digest for a multi-platform image, else the manifest digest; OCI media types).</summary>
    public string Digest { get; init; } = "";

    /// <summary>The platform a node of this architecture pulls (linux; falls back to the first platform).</summary>
    public CatalogPlatform? ForArchitecture(string? architecture, string os = "linux") =>
        Platforms.FirstOrDefault(p => p.Architecture == (architecture ?? "amd64") && p.Os == os)
        ?? Platforms.FirstOrDefault(p => p.Architecture == (architecture ?? "amd64"))
        ?? Platforms.FirstOrDefault();

    /// <summary>The imageID kubelet reports: <c>name@digest</c>.</summary>
    public string ImageId => Reference.Name + "@" + Digest;
}
