using System.Security.Cryptography;
using System.Text.Json;

namespace ClydePS.Engine.Registry;

/// <summary>One content descriptor of a manifest or index (mediaType, digest, size, platform).</summary>
public sealed record Descriptor(string MediaType, string Digest, long Size, Platform? Platform = null);

/// <summary>
/// A parsed manifest: an image manifest (OCI or Docker schema 2: config and layers) or an index (OCI index or
/// Docker manifest list: platform manifests). Other documents (schema 1, artifacts without layers) are rejected
/// with ClydeUnsupportedManifest.
/// </summary>
public sealed class ManifestDocument
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
    public const string DockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";

    /// <summary>The Accept header of every manifest request, in order of preference.</summary>
    public static readonly string[] AcceptedMediaTypes = [OciIndex, DockerManifestList, OciManifest, DockerManifest];

    private ManifestDocument(string mediaType, string digest, Descriptor? config, IReadOnlyList<Descriptor> layers, IReadOnlyList<Descriptor> manifests)
    {
        MediaType = mediaType;
        Digest = digest;
        Config = config;
        Layers = layers;
        Manifests = manifests;
    }

    public string MediaType { get; }

    /// <summary>sha256 of the exact bytes the registry served.</summary>
    public string Digest { get; }

    public bool IsIndex => MediaType is OciIndex or DockerManifestList;

    public Descriptor? Config { get; }

    public IReadOnlyList<Descriptor> Layers { get; }

    /// <summary>An index's platform manifests (attestation and other non-image entries included, as served).</summary>
    public IReadOnlyList<Descriptor> Manifests { get; }

    public static string ComputeDigest(ReadOnlySpan<byte> content) => "sha256:" + Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant();

    /// <param name="contentType">The response's Content-Type; the document's own mediaType wins when present.</param>
    public static ManifestDocument Parse(byte[] content, string? contentType, object? target = null)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(content);
        }
        catch (JsonException e)
        {
            throw Unsupported($"The registry returned a manifest that is not valid JSON ({e.Message}).", target);
        }
        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Unsupported("The registry returned a manifest that is not a JSON object.", target);
            }
            var mediaType = String(root, "mediaType");
            if (string.IsNullOrEmpty(mediaType))
            {
                var header = contentType?.Split(';')[0].Trim();
                mediaType = header is OciManifest or OciIndex or DockerManifest or DockerManifestList
                    ? header
                    : root.TryGetProperty("manifests", out _) ? OciIndex
                    : root.TryGetProperty("layers", out _) ? OciManifest : header;
            }
            if (root.TryGetProperty("schemaVersion", out var version) && version.ValueKind == JsonValueKind.Number && version.GetInt32() == 1
                || mediaType is DockerSchema1 or DockerSchema1Signed)
            {
                throw Unsupported("The image uses the Docker schema 1 manifest format, which registries and container runtimes no longer support. Push it again with a current client.", target);
            }
            var digest = ComputeDigest(content);
            switch (mediaType)
            {
                case OciIndex or DockerManifestList:
                    var manifests = Array(root, "manifests").Select(ReadDescriptor).ToList();
                    return new ManifestDocument(mediaType!, digest, null, [], manifests);
                case OciManifest or DockerManifest:
                    if (!root.TryGetProperty("config", out var config) || config.ValueKind != JsonValueKind.Object)
                    {
                        throw Unsupported("The image manifest has no config descriptor.", target);
                    }
                    var layers = Array(root, "layers").Select(ReadDescriptor).ToList();
                    return new ManifestDocument(mediaType!, digest, ReadDescriptor(config), layers, []);
                default:
                    throw Unsupported($"The registry returned a document of media type '{mediaType}', which is not an image manifest or index.", target);
            }
        }
    }

    /// <summary>Reads os/architecture/variant from an image config blob; null when it has none.</summary>
    public static Platform? ReadConfigPlatform(byte[] config)
    {
        try
        {
            using var json = JsonDocument.Parse(config);
            var root = json.RootElement;
            var os = String(root, "os");
            var arch = String(root, "architecture");
            return string.IsNullOrEmpty(os) || string.IsNullOrEmpty(arch) ? null : Platform.Normalize(os, arch, String(root, "variant"));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static Descriptor ReadDescriptor(JsonElement e)
    {
        Platform? platform = null;
        if (e.TryGetProperty("platform", out var p) && p.ValueKind == JsonValueKind.Object)
        {
            platform = Platform.Normalize(String(p, "os"), String(p, "architecture"), String(p, "variant"));
        }
        var size = e.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt64() : 0;
        return new Descriptor(String(e, "mediaType") ?? "", String(e, "digest") ?? "", size, platform);
    }

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static IEnumerable<JsonElement> Array(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().ToList() : [];

    private static ClydeException Unsupported(string message, object? target) =>
        new(ClydeErrorKind.Invalid, RegistryErrorIds.UnsupportedManifest, message, target);
}
