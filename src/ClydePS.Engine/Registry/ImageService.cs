namespace ClydePS.Engine.Registry;

/// <summary>Resolves an image reference at its registry into a <see cref="ClydeImage"/> for one platform.</summary>
public static class ImageService
{
    private static readonly HashSet<string> ImageManifestTypes =
        [ManifestDocument.OciManifest, ManifestDocument.DockerManifest, ""];

    /// <param name="platform">The platform the cluster's nodes run; chooses the manifest of a multi-platform image.</param>
    public static async Task<ClydeImage> GetImageAsync(RegistryClient client, ImageReference image, Platform platform, string? originalText, CancellationToken cancellationToken)
    {
        var (top, servedBy) = await client.GetManifestAsync(image, image.ManifestReference, cancellationToken).ConfigureAwait(false);
        ManifestDocument manifest;
        string[] platforms;
        string[] manifestDigests;
        Platform? chosen;
        if (top.IsIndex)
        {
            var entries = top.Manifests
                .Where(m => ImageManifestTypes.Contains(m.MediaType) && m.Platform is { } p && p.OperatingSystem != "unknown")
                .ToList();
            platforms = entries.Select(e => e.Platform!.ToString()).Distinct().ToArray();
            manifestDigests = entries.Select(e => e.Digest).Distinct(StringComparer.Ordinal).ToArray();
            var index = platform.Choose(entries.Select(e => e.Platform).ToList());
            if (index < 0)
            {
                throw new ClydeException(ClydeErrorKind.NotFound, RegistryErrorIds.PlatformNotFound,
                    $"Image {image} has no manifest for {platform}. It offers: {(platforms.Length == 0 ? "no image platforms" : string.Join(", ", platforms))}. Choose one with -Platform.",
                    image.ToString());
            }
            chosen = entries[index].Platform;
            (manifest, _) = await client.GetManifestAsync(image, entries[index].Digest, cancellationToken).ConfigureAwait(false);
            if (manifest.IsIndex)
            {
                throw new ClydeException(ClydeErrorKind.Invalid, RegistryErrorIds.UnsupportedManifest,
                    $"The index of {image} points to another index for {chosen}; nested indexes are not supported.", image.ToString());
            }
        }
        else
        {
            manifest = top;
            manifestDigests = [top.Digest];
            chosen = null;
            if (manifest.Config is { } config && config.Size is > 0 and < 1024 * 1024)
            {
                var bytes = await client.GetBlobBytesAsync(image, config.Digest, 1024 * 1024, cancellationToken).ConfigureAwait(false);
                chosen = ManifestDocument.ReadConfigPlatform(bytes);
            }
            platforms = chosen is null ? [] : [chosen.ToString()];
        }

        var layers = manifest.Layers.Select(l => new ClydeImageLayer { Digest = l.Digest, SizeBytes = l.Size, MediaType = l.MediaType }).ToArray();
        return new ClydeImage
        {
            Image = image.ToString(),
            Reference = originalText ?? image.ToString(),
            Registry = image.Registry,
            Repository = image.Repository,
            Tag = image.Tag,
            Digest = top.Digest,
            PlatformDigest = manifest.Digest,
            ManifestDigests = manifestDigests,
            Platform = chosen?.ToString(),
            Platforms = platforms,
            MultiPlatform = top.IsIndex,
            MediaType = top.MediaType,
            SizeBytes = layers.Sum(l => l.SizeBytes),
            Layers = layers,
            LargestLayer = layers.OrderByDescending(l => l.SizeBytes).FirstOrDefault(),
            ConfigDigest = manifest.Config?.Digest,
            ServedBy = servedBy.IsMirror ? servedBy.BaseUri!.ToString() : servedBy.Host,
        };
    }
}
