using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ClydePS.Lab.Cluster;

namespace ClydePS.Lab.Images;

/// <summary>
/// The images the Lab knows. Images declared in the cluster file (<c>images:</c>) come first; any other
/// well-formed reference is an existing image with synthetic layers derived from a hash of its normalised
/// reference (the Lab seed plays no part, so the same reference has the same digests in every Lab):
/// <c>pause</c> one ~310 KB layer, <c>busybox</c> ~2.1 MB, <c>alpine</c> ~3.5 MB, <c>distroless</c>/<c>scratch</c>
/// a few small layers, anything else 3-8 layers totalling tens to hundreds of MB. Synthetic images have two
/// platforms (linux/amd64, linux/arm64) behind an OCI index. Manifests, indexes and configs are real JSON
/// whose sha256 is their digest; layer digests are declared (random-looking sha256 hex), not the hash of the
/// filler content the registry mirror streams. Thread-safe.
/// </summary>
public sealed class ImageCatalog
{
    readonly Dictionary<string, ClusterImageSpec> _declared = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, CatalogImage> _images = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, (CatalogImage Image, CatalogDocument Document)> _documents = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, (CatalogImage Image, CatalogLayer Layer)> _layers = new(StringComparer.Ordinal);

    public ImageCatalog(IEnumerable<ClusterImageSpec>? declared = null)
    {
        foreach (var spec in declared ?? [])
        {
            var r = ImageReference.Parse(spec.Reference)
                ?? throw new LabOptionsException($"images: \"{spec.Reference}\" is not a valid image reference");
            if (!_declared.TryAdd(r.ToString(), spec)) throw new LabOptionsException($"images: \"{spec.Reference}\" is listed twice");
            Validate(spec);
        }
        foreach (var key in _declared.Keys) Resolve(key); // index declared digests for the registry
    }

    static void Validate(ClusterImageSpec spec)
    {
        var at = $"images[\"{spec.Reference}\"]";
        foreach (var p in spec.Platforms ?? [])
            if (p.Split('/') is not { Length: 2 or 3 } parts || parts.Any(string.IsNullOrEmpty))
                throw new LabOptionsException($"{at}.platforms: \"{p}\" is not os/arch[/variant]");
        if (spec.Platforms is { Count: 0 }) throw new LabOptionsException($"{at}.platforms: at least one platform");
        foreach (var l in spec.Layers ?? []) ParseSize(l.Size, at + ".layers.size");
        if (spec.Size is not null) ParseSize(spec.Size, at + ".size");
        if (spec.LayerCount is < 1 or > 127) throw new LabOptionsException($"{at}.layerCount must be 1..127");
        if (spec.Layers is not null && spec.Size is not null) throw new LabOptionsException($"{at}: give layers or size, not both");
    }

    /// <summary>Parses a size: bytes, or a quantity with Ki/Mi/Gi/Ti or K/M/G/T (decimal) suffix.</summary>
    public static long ParseSize(string text, string at = "size")
    {
        var t = text.Trim();
        (string Suffix, double Factor)[] units = [("Ki", 1024), ("Mi", 1024d * 1024), ("Gi", 1024d * 1024 * 1024), ("Ti", 1024d * 1024 * 1024 * 1024),
            ("K", 1e3), ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12)];
        double factor = 1;
        foreach (var (suffix, f) in units)
            if (t.EndsWith(suffix, StringComparison.Ordinal)) { factor = f; t = t[..^suffix.Length]; break; }
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v < 0 || double.IsInfinity(v))
            throw new LabOptionsException($"{at}: \"{text}\" is not a size (e.g. 52428800, 50Mi, 2Gi)");
        return (long)Math.Round(v * factor);
    }

    /// <summary>The image for a reference (declared or synthetic); null when the reference is malformed.</summary>
    public CatalogImage? Resolve(string reference)
    {
        if (!ImageReference.TryParse(reference, out var r)) return null;
        var key = r.ToString();
        if (_images.TryGetValue(key, out var img)) return img;
        // name@digest of an image already known under a tag: the same image
        if (r.Digest is not null && _documents.TryGetValue(r.Digest, out var doc) && doc.Image.Reference.Name == r.Name)
            return _images.GetOrAdd(key, doc.Image);
        var declared = _declared.GetValueOrDefault(key)
            ?? (r.Tag is not null && r.Digest is not null ? _declared.GetValueOrDefault(new ImageReference(r.Registry, r.Repository, r.Tag, null).ToString()) : null);
        img = Build(r, declared);
        img = _images.GetOrAdd(key, img);
        Index(img);
        return img;
    }

    /// <summary>A manifest, index or config blob by digest (only of images resolved so far).</summary>
    public (CatalogImage Image, CatalogDocument Document)? FindDocument(string digest) =>
        _documents.TryGetValue(digest, out var d) ? d : null;

    /// <summary>A layer by digest (only of images resolved so far).</summary>
    public (CatalogImage Image, CatalogLayer Layer)? FindLayer(string digest) =>
        _layers.TryGetValue(digest, out var l) ? l : null;

    void Index(CatalogImage img)
    {
        if (img.Missing) return;
        if (img.OciIndex is { } oi) _documents.TryAdd(oi.Digest, (img, oi));
        if (img.DockerIndex is { } di) _documents.TryAdd(di.Digest, (img, di));
        foreach (var p in img.Platforms)
        {
            _documents.TryAdd(p.OciManifest.Digest, (img, p.OciManifest));
            _documents.TryAdd(p.DockerManifest.Digest, (img, p.DockerManifest));
            _documents.TryAdd(p.Config.Digest, (img, p.Config));
            foreach (var l in p.Layers) _layers.TryAdd(l.Digest, (img, l));
        }
    }

    static bool ShellLess(string name) =>
        name.Contains("distroless", StringComparison.Ordinal) || name.Contains("scratch", StringComparison.Ordinal) || name.Contains("pause", StringComparison.Ordinal);

    static CatalogImage Build(ImageReference r, ClusterImageSpec? spec)
    {
        var seedText = r.ToString();
        var hasShell = spec?.HasShell ?? !ShellLess(r.Repository);
        if (spec?.Missing == true)
            return new CatalogImage { Reference = r, Missing = true, HasShell = hasShell, Declared = true, Digest = "" };
        var platforms = (spec?.Platforms ?? ["linux/amd64", "linux/arm64"]).Select(p => p.Split('/')).ToList();
        var built = new List<CatalogPlatform>();
        foreach (var p in platforms)
        {
            var platformKey = string.Join('/', p);
            var sizes = spec?.Layers is { } ls ? ls.Select(l => ParseSize(l.Size)).ToList()
                : spec?.Size is { } total ? Split(ParseSize(total), spec.LayerCount ?? 1, seedText)
                : SyntheticSizes(r, platformKey);
            var layers = sizes.Select((s, i) => new CatalogLayer(Sha256Hex($"layer|{seedText}|{platformKey}|{i}"), s)).ToList();
            built.Add(MakePlatform(p[0], p[1], p.Length > 2 ? p[2] : null, layers, hasShell, r));
        }
        CatalogDocument? oci = null, docker = null;
        if (built.Count > 1)
        {
            oci = Document(MediaTypes.OciIndex, w => WriteIndex(w, MediaTypes.OciIndex, MediaTypes.OciManifest, built.Select(b => (b, b.OciManifest))));
            docker = Document(MediaTypes.DockerList, w => WriteIndex(w, MediaTypes.DockerList, MediaTypes.DockerManifest, built.Select(b => (b, b.DockerManifest))));
        }
        var digest = r.Digest ?? (oci?.Digest ?? built[0].OciManifest.Digest);
        return new CatalogImage
        {
            Reference = r, HasShell = hasShell, Declared = spec is not null, Platforms = built,
            OciIndex = oci, DockerIndex = docker, Digest = digest,
        };
    }

    static List<long> Split(long total, int count, string seed)
    {
        var rng = new Random(Seed(seed + "|split"));
        var weights = Enumerable.Range(0, count).Select(i => i == 0 ? 3.0 : 0.5 + rng.NextDouble()).ToArray();
        var sum = weights.Sum();
        var sizes = weights.Select(w => (long)(total * w / sum)).ToList();
        sizes[0] += total - sizes.Sum();
        return sizes;
    }

    static List<long> SyntheticSizes(ImageReference r, string platform)
    {
        var repo = r.Repository;
        var rng = new Random(Seed(r.Name + "|" + r.Tag + "|" + r.Digest));
        var platformJitter = new Random(Seed(r + "|" + platform));
        long Vary(long v) => (long)(v * (0.95 + 0.1 * platformJitter.NextDouble()));
        long Between(double lo, double hi) => (long)(lo + (hi - lo) * rng.NextDouble());
        List<long> sizes;
        if (repo.Contains("pause")) sizes = [Between(300_000, 330_000)];
        else if (repo.EndsWith("busybox", StringComparison.Ordinal)) sizes = [Between(2_100_000, 2_250_000)];
        else if (repo.EndsWith("alpine", StringComparison.Ordinal)) sizes = [Between(3_300_000, 3_700_000)];
        else if (repo.Contains("distroless") || repo.Contains("scratch"))
        {
            var n = 2 + rng.Next(4);
            sizes = [.. Enumerable.Range(0, n).Select(i => i == 0 ? Between(1_000_000, 20_000_000) : Between(100, 500_000))];
        }
        else
        {
            var n = 3 + rng.Next(6);
            sizes = [Between(25e6, 80e6)];
            for (var i = 1; i < n; i++)
            {
                var kind = rng.NextDouble();
                sizes.Add(kind < 0.4 ? Between(200, 2e6) : kind < 0.85 ? Between(5e6, 60e6) : Between(50e6, 150e6));
            }
        }
        return sizes.Select(Vary).ToList();
    }

    static CatalogPlatform MakePlatform(string os, string arch, string? variant, List<CatalogLayer> layers, bool hasShell, ImageReference r)
    {
        var config = Document(MediaTypes.OciConfig, w =>
        {
            w.WriteStartObject();
            w.WriteString("architecture", arch);
            w.WriteStartObject("config");
            w.WriteStartArray("Env");
            w.WriteStringValue("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
            w.WriteEndArray();
            var program = r.Repository.Contains("pause") ? "/pause" : hasShell ? "/bin/sh" : "/" + r.Repository[(r.Repository.LastIndexOf('/') + 1)..];
            w.WriteStartArray(hasShell && !r.Repository.Contains("pause") ? "Cmd" : "Entrypoint");
            w.WriteStringValue(program);
            w.WriteEndArray();
            w.WriteString("WorkingDir", "/");
            w.WriteEndObject();
            w.WriteString("created", "2024-06-01T00:00:00Z");
            w.WriteStartArray("history");
            foreach (var l in layers)
            {
                w.WriteStartObject();
                w.WriteString("created", "2024-06-01T00:00:00Z");
                w.WriteString("created_by", $"ADD layer {l.Digest[7..19]} in /");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("os", os);
            if (variant is not null) w.WriteString("variant", variant);
            w.WriteStartObject("rootfs");
            w.WriteString("type", "layers");
            w.WriteStartArray("diff_ids");
            foreach (var l in layers) w.WriteStringValue(Sha256Hex("diff|" + l.Digest));
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        });
        CatalogDocument Manifest(string type, string configType, string layerType) => Document(type, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("schemaVersion", 2);
            w.WriteString("mediaType", type);
            w.WriteStartObject("config");
            w.WriteString("mediaType", configType);
            w.WriteString("digest", config.Digest);
            w.WriteNumber("size", config.Size);
            w.WriteEndObject();
            w.WriteStartArray("layers");
            foreach (var l in layers)
            {
                w.WriteStartObject();
                w.WriteString("mediaType", layerType);
                w.WriteString("digest", l.Digest);
                w.WriteNumber("size", l.SizeBytes);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
        return new CatalogPlatform
        {
            Os = os, Architecture = arch, Variant = variant, Layers = layers, Config = config,
            OciManifest = Manifest(MediaTypes.OciManifest, MediaTypes.OciConfig, MediaTypes.OciLayer),
            DockerManifest = Manifest(MediaTypes.DockerManifest, MediaTypes.DockerConfig, MediaTypes.DockerLayer),
        };
    }

    static void WriteIndex(Utf8JsonWriter w, string type, string manifestType, IEnumerable<(CatalogPlatform P, CatalogDocument M)> manifests)
    {
        w.WriteStartObject();
        w.WriteNumber("schemaVersion", 2);
        w.WriteString("mediaType", type);
        w.WriteStartArray("manifests");
        foreach (var (p, m) in manifests)
        {
            w.WriteStartObject();
            w.WriteString("mediaType", manifestType);
            w.WriteString("digest", m.Digest);
            w.WriteNumber("size", m.Size);
            w.WriteStartObject("platform");
            w.WriteString("architecture", p.Architecture);
            w.WriteString("os", p.Os);
            if (p.Variant is not null) w.WriteString("variant", p.Variant);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    static CatalogDocument Document(string mediaType, Action<Utf8JsonWriter> write)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) write(w);
        var bytes = ms.ToArray();
        return new CatalogDocument(mediaType, bytes, "sha256:" + Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant());
    }

    static string Sha256Hex(string text) => "sha256:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();

    static int Seed(string text) => BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0);
}
